"""The compact notation of the formal model, as the LLM is asked to write it.

`COMPACT_FORMAT` describes docs/model-format.md ("Compact notation") for the prompt: the
shorthands `solvers.model.expand_shorthands` reads, with one small example. Every document
written this way is a normal model document (`solvers.load_model` expands it), and grounding
checks the inline numbers of expressions against the text like param values.
"""

from __future__ import annotations

COMPACT_FORMAT = """The model is one JSON object in this compact notation:
- "sets": name -> list of elements (strings or integers; tuples as lists), or {"range": [lo, hi]}
  (integers lo..hi inclusive).
- "params": only data tables and numbers used in several places. A scalar is a number:
  "budget": 1000. An indexed param puts its sets in the key: "supply[Plants]": {"seattle": 350,
  "san_diego": 600} (or a list in set order: [350, 600]); two sets nest: "cost[P, M]": {"p1":
  {"m1": 4}}; with a default for entries not given: "cost[P, M]": {"values": {...}, "default": 0}.
- "variables": name -> "<domain>", "<domain> >= <lb>", "<domain> <= <ub>" or
  "<domain> in [<lb>, <ub>]" with domain real | integer | binary; an indexed variable puts its
  sets in the key, named when a bound uses them: "ship[Plants, Markets]": "real >= 0",
  "open[Plants]": "binary", "x[i in Items]": "integer in [0, stock[i]]". Use integer for
  indivisible things (people, trucks, items) and >= 0 for quantities that cannot be negative.
- "maximize" or "minimize": the objective expression (leave both out for a pure feasibility
  problem).
- "constraints": name -> expression; a constraint repeated over sets puts its forall in the key:
  "supply_limit[p in Plants]": "sum(ship[p, m] for m in Markets) <= supply[p]" (a condition is
  allowed: "c[i in I, j in J if i != j]").
- optional "assumptions": ["..."] (readings where the text is silent, shown to the user) and
  "acknowledged": [{"number": "1.33", "reason": "exercise number"}] (numbers of the text the
  model deliberately does not use, with the reason).
Write a number that is used once directly in the expression where the text uses it (50*small);
copy every number from the text exactly (20% may be written 0.2); a number the text does not
state is written as the arithmetic that gives it (8*5*x), never as its result. No descriptions.
Expressions are Python-like: + - * / **, indexing x[i, j], sum(... for i in I if ...), <=, >=,
==, ranges lo <= e <= hi, abs, min, max, implies(y[i] == 1, constraint), c1 or c2,
all_different(x[i] for i in I). Write each family of constraints once over its sets; never
expand it by hand.

Example: "A small suitcase holds 50 snacks and a large one 80. At least twice as many small as
large suitcases, at most 70 small and 50 large, at least 15 large, at most 70 in total. Maximize
the snacks delivered."
```json
{"variables": {"small": "integer in [0, 70]", "large": "integer in [15, 50]"},
 "maximize": "50*small + 80*large",
 "constraints": {"preference": "small >= 2*large", "total": "small + large <= 70"}}
```"""

# -- what the model format and the solvers offer beyond the basics (docs/model-format.md)

_DERIVED = """- A set may be defined from others (computed before solving): "Arcs": "(i, j) in N * N if i != j"
  (a filter), "A | B", "A - B", "A & B", "A * B", "{{(j, i) for (i, j) in Arcs}}", "keys(cost)" (the
  keys a param is given at). A variable indexed by such a set has only those entries:
  {arcs_var}.
- A param may be computed from other params (never compute numbers yourself):
  {computed}.
- Ordered sets: card(S), first(S), last(S), ord(t), prev(t), next(t), prev(t, wrap=True) (cyclic);
  a data-only choice (a if cond else b), e.g. (start if t == first(T) else stock[prev(t)]).
- A param over a tuple set is keyed by one string per element: {{"cut,1": 3, "weld,1": 5}}."""

CONSTRUCTS_COMPACT = _DERIVED.format(
    arcs_var='"flow[Arcs]": "real >= 0"',
    computed='"dist[i in N, j in N]": "sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)", '
             '"per_box": "price_per_hundred / 100"')
CONSTRUCTS_CANONICAL = _DERIVED.format(
    arcs_var='a variable entry with "index": ["Arcs"]',
    computed='a param entry with "index": ["i in N", "j in N"] and "expr": '
             '"sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)" (value, values and from null); a set entry '
             'with "expr": "(i, j) in N * N if i != j" (elements, range and from null)')

SOLVERS = """What the solvers can do (write what the text says; the solver is chosen for you):
- Linear models, with integer and binary variables too (LP, MILP), and a convex quadratic
  objective: HiGHS. Fastest: millions of terms. Prefer a linear formulation when the text is linear.
- Integer models with bounded variables, all_different, !=, disjunctions (c1 or c2), scheduling:
  CP-SAT (exact integer arithmetic).
- Products of variables, quadratic constraints, nonconvex objectives, sqrt, exp, log, powers
  (x**1.5), division by a variable, and any of these with integers (MINLP): SCIP, which finds the
  global optimum but is far slower (tens to hundreds of variables). Write such terms directly —
  never a grid or piecewise approximation — and give every variable in them finite bounds (and a
  positive lower bound under log, sqrt or a division). Keep implies, or, min and max over linear
  expressions."""

__all__ = ["COMPACT_FORMAT", "CONSTRUCTS_COMPACT", "CONSTRUCTS_CANONICAL", "SOLVERS"]
