"""Prompts of the formalization program. Each step sees only the context it needs."""

from __future__ import annotations

import functools

from formalize.program import answer_schema
from formalize.program.prompt_format import (
    COMPACT_FORMAT,
    CONSTRUCTS_CANONICAL,
    CONSTRUCTS_COMPACT,
    SOLVERS,
)

ROLE = """You are an expert operations-research modeller. You translate optimization problems
written in plain words into a formal model. You never solve the problem and you never compute its
answer: a solver does that. You only write structure and copy data."""

ROLE_CODE = """You are an expert operations-research modeller. You translate optimization problems
written in plain words into Python code that builds (does not solve) an optimization model. You
never solve the problem and you never compute its answer: a solver runs the model your code
builds."""

EXPRESSIONS = """Expressions are Python-like strings: + - * / **, indexing x[i, j], sum(... for i in I
if ...), <=, >=, ==, ranges lo <= e <= hi, abs, min, max, implies(y[i] == 1, constraint),
c1 or c2, all_different(x[i] for i in I). Write every constraint once over its index sets; never
expand indexed families by hand."""

EXAMPLE_TEXT = ("Seattle can ship 350 cases and San Diego 600. New York needs 325 cases and Chicago "
                "300. A case costs $2.5 to ship from Seattle to New York, $1.7 to Chicago, $2.5 from "
                "San Diego to New York and $1.8 to Chicago. Minimize the shipping cost.")


def _entries(table: dict) -> list[dict]:
    return [{"key": list(k), "value": v} for k, v in table.items()]


EXAMPLE_DATA = {
    "sets": [
        {"name": "Plants", "elements": ["seattle", "san_diego"], "range": None, "from": None,
         "expr": None, "description": None},
        {"name": "Markets", "elements": ["new_york", "chicago"], "range": None, "from": None,
         "expr": None, "description": None}],
    "params": [
        {"name": "supply", "index": ["Plants"], "value": None,
         "values": _entries({("seattle",): 350, ("san_diego",): 600}), "default": None, "from": None,
         "expr": None,
         "source": "Seattle can ship 350 cases and San Diego 600"},
        {"name": "demand", "index": ["Markets"], "value": None,
         "values": _entries({("new_york",): 325, ("chicago",): 300}), "default": None, "from": None,
         "expr": None,
         "source": "New York needs 325 cases and Chicago 300"},
        {"name": "cost", "index": ["Plants", "Markets"], "value": None,
         "values": _entries({("seattle", "new_york"): 2.5, ("seattle", "chicago"): 1.7,
                             ("san_diego", "new_york"): 2.5, ("san_diego", "chicago"): 1.8}),
         "default": None, "from": None, "expr": None,
         "source": "$2.5 ... from Seattle to New York, $1.7 to Chicago, $2.5 from San Diego to New "
                   "York and $1.8 to Chicago"}]}

EXAMPLE_STRUCTURE = {
    "sense": "minimize",
    "variables": [{"name": "ship", "index": ["Plants", "Markets"], "domain": "real", "lb": 0,
                   "ub": None, "description": "cases shipped from a plant to a market"}],
    "objective": "sum(cost[p, m] * ship[p, m] for p in Plants for m in Markets)",
    "constraints": [
        {"name": "supply_limit", "forall": "p in Plants",
         "expr": "sum(ship[p, m] for m in Markets) <= supply[p]", "description": "a plant ships "
         "no more than it has"},
        {"name": "meet_demand", "forall": "m in Markets",
         "expr": "sum(ship[p, m] for p in Plants) >= demand[m]", "description": "each market gets "
         "what it needs"}],
    "assumptions": [],
    "acknowledged": []}

EXAMPLE_MODEL = {**EXAMPLE_DATA, **EXAMPLE_STRUCTURE, "note": None}


def _system(answer: type, example_doc: dict, *, expressions: bool) -> str:
    parts = [ROLE, answer_schema.describe(answer)]
    if expressions:
        parts.append(EXPRESSIONS)
    parts.append(CONSTRUCTS_CANONICAL)
    if expressions:
        parts.append(SOLVERS)
    parts.append(f"Example, for the text \"{EXAMPLE_TEXT}\":\n{answer_schema.example(example_doc)}")
    return "\n\n".join(parts)


@functools.cache
def system(kind: str) -> str:
    """The system prompt of a kind of call, consistent with what the call asks for and the
    schema it sends: "data" (read step), "structure", "model" (a single call or a repair, canonical),
    "compact" (the compact notation, no schema), "code" (code mode: Python, no JSON)."""
    if kind == "data":
        return _system(answer_schema.DataAnswer, EXAMPLE_DATA, expressions=False)
    if kind == "structure":
        return _system(answer_schema.StructureAnswer, EXAMPLE_STRUCTURE, expressions=True)
    if kind == "model":
        return _system(answer_schema.ModelAnswer, EXAMPLE_MODEL, expressions=True)
    if kind == "compact":
        return "\n\n".join((ROLE, COMPACT_FORMAT, CONSTRUCTS_COMPACT, SOLVERS))
    if kind == "code":
        return ROLE_CODE
    raise ValueError(f"no system prompt for {kind!r}")


READ = """Step 1 of 2 — read the DATA of this problem: the index sets and the parameters (every
number the problem gives, with the exact quote it comes from in "source"). Do not write
variables, objective or constraints yet.
{files}
Problem:
\"\"\"
{text}
\"\"\"

Answer with the data only: one JSON object with "sets" and "params", in the format above."""

FILES = """
Attached data files (the solver loads them: bind a param or a set to a column of one with its
"from" field — the file's name, the column, and for an indexed param its key columns — instead of
copying the values):
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

Answer with the structure only: one JSON object with "sense", "variables", "objective",
"constraints", "assumptions" and "acknowledged", in the format above."""

SINGLE = """Write the complete formal model of this problem (sets, data, variables, objective,
constraints).
{files}
Problem:
\"\"\"
{text}
\"\"\"

Answer with the complete model: one JSON object in the format above."""

REPAIR = """The checker found the problems below in the model you wrote. Fix every error; check each
piece of advice against the text and change the model only where the text requires it; keep
everything else as it is. Answer with the complete corrected model: one JSON object in the format
above.

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
a bound that should not be there)? Fix the model. If the text itself is contradictory, keep the
model and set "note" to "infeasible as stated"."""

UNBOUNDED = """The solver reports that the model is UNBOUNDED: the objective improves without limit
along these variables: {variables}.
A constraint or a bound from the text is probably missing (capacities, budgets, demands,
non-negativity). Fix the model."""

CODE = """Write Python code that BUILDS (does not solve) an optimization model for this problem
with {library}. Leave the model in a variable named `model`. Use only imports from {imports}
and math/itertools. Do not call any solve method, do not read or write files, do not print.

Write every number of the text as a literal in the code exactly as the text gives it (a number
you compute from the text's numbers: write the arithmetic, 8 * 5 rather than 40, or for a table
of computed numbers state it in a comment on its line, `# derived: 10 // 4 = 2`): a checker
matches the numbers your model uses against the text. Where the text is ambiguous or silent,
state the reading you take in a comment `# assumption: <the reading>`; a number of the text
the model deliberately does not use gets `# acknowledged: <number> - <why>` (a number the text
writes more than once with different meanings: one comment for each meaning, quoting the text's
words around it, `# acknowledged: two - "two shifts": <why>`); a number of your own that is not
from the text (a priority weight) gets `# modelling: <why>` on its line.

Problem:
\"\"\"
{text}
\"\"\"

Answer with the code only, in one ```python block."""

CODE_REPAIR = """The checker found the problems below in your code. Fix every error; check each
piece of advice against the problem text and change the code only where the text requires it
(a number the model deliberately does not use: say why in a comment
`# acknowledged: <number> - <why>`, one for each meaning of a number the text writes more than
once, quoting the words around it); keep everything else as it is.

{problems}

Answer with the complete corrected code in one ```python block."""
