"""Prompts of the formalization program. Each step sees only the context it needs."""

from __future__ import annotations

from formalize.program.prompt_format import COMPACT_FORMAT

ROLE = """You are an expert operations-research modeller. You translate optimization problems
written in plain words into a formal model in a JSON format. You never solve the problem and you
never compute its answer: a solver does that. You only write structure and copy data."""

SYSTEM = ROLE + """

The format (JSON):
- "sets": name -> list of elements (strings or integers; tuples as lists) or {"range": [lo, hi]}
  (integers lo..hi inclusive).
- "params": name -> a number, or {"value": v, "source": "quote"}, or
  {"index": ["Set1", "Set2"], "values": {"a": {"x": 1}}, "source": "quote"}; every number must be
  copied from the text exactly (20% may be written 0.2); a derived number states its derivation in
  "source", e.g. "derived: 8 * 5 = 40".
- "variables": name -> {"index": ["Set"], "domain": "real"|"integer"|"binary", "lb": 0, "ub": null,
  "description": "..."}. Use "integer" when the text counts indivisible things (people, trucks,
  items) and "lb": 0 for quantities that cannot be negative.
- "sense": "minimize" | "maximize" | "feasibility"; "objective": an expression string.
- "constraints": list of {"name": "identifier", "forall": "i in I, j in J if cond", "expr":
  "sum(a[i, j] * x[i, j] for j in J) <= b[i]", "description": "what the text says"}.
- optional "assumptions": ["..."]: readings you make where the text is silent (shown to the user);
  optional "acknowledged": [{"number": "1.33", "reason": "exercise number"}]: numbers of the text
  the model deliberately does not use, each with the reason.
Expressions are Python-like: + - * / **, indexing x[i, j], sum(... for i in I if ...), <=, >=, ==,
ranges lo <= e <= hi, abs, min, max, implies(y[i] == 1, constraint), c1 or c2,
all_different(x[i] for i in I). Write every constraint once over its index sets; never expand
indexed families by hand."""

SYSTEM_COMPACT = ROLE + "\n\n" + COMPACT_FORMAT

READ = """Step 1 of 2 — read the DATA of this problem: the index sets and the parameters (every
number the problem gives, with the exact quote it comes from in "source"). Do not write
variables, objective or constraints yet.
{files}
Problem:
\"\"\"
{text}
\"\"\"

Answer with JSON: {{"sets": {{...}}, "params": {{...}}}}"""

FILES = """
Attached data files (the solver loads them; bind a parameter to a column with
{{"index": [...], "from": {{"file": "<name>", "column": "<col>", "keys": ["<key col>", ...]}}}}
and a set to a column with {{"from": {{"file": "<name>", "column": "<col>"}}}}):
{summaries}
"""

STRUCTURE = """Step 2 of 2 — write the decision variables, the objective and the constraints of this
problem over the declared symbols below (refer to them by name; do not repeat their data).

Problem:
\"\"\"
{text}
\"\"\"

Declared symbols:
{symbols}

Answer with JSON: {{"sense": ..., "variables": {{...}}, "objective": "...", "constraints": [...]}}"""

SINGLE = """Write the complete formal model of this problem (sets, data, variables, objective,
constraints).
{files}
Problem:
\"\"\"
{text}
\"\"\"

Answer with the JSON model only."""

REPAIR = """The checker found the problems below in the model you wrote. Fix every error; check each
piece of advice against the text and change the model only where the text requires it; keep
everything else as it is. Answer with the complete corrected JSON model.

Problem:
\"\"\"
{text}
\"\"\"

Current model:
{model}

Problems:
{problems}"""

ERRORS = """Errors (each must be fixed):
{items}"""

ADVICE = """Advice (check each against the text; change the model only where the text requires it):
{items}"""

INFEASIBLE = """The solver reports that the model is INFEASIBLE. These constraints conflict (an
irreducible infeasible subset):
{iis}
Re-read the problem text: is one of them mis-stated (wrong direction, wrong number, wrong index,
a bound that should not be there)? Fix the model. Answer with the complete corrected JSON model.
If the text itself is contradictory, keep the model and add "note": "infeasible as stated"."""

UNBOUNDED = """The solver reports that the model is UNBOUNDED: the objective improves without limit
along these variables: {variables}.
A constraint or a bound from the text is probably missing (capacities, budgets, demands,
non-negativity). Fix the model. Answer with the complete corrected JSON model."""

CODE = """Write Python code that BUILDS (does not solve) an optimization model for this problem
with {library}. Leave the model in a variable named `model`. Use only imports from {imports}
and math/itertools. Do not call any solve method, do not read or write files, do not print.

Problem:
\"\"\"
{text}
\"\"\"

Answer with the code only, in one ```python block."""

CODE_REPAIR = """Your code failed:
{problems}

Fix it. Answer with the complete corrected code in one ```python block."""
