"""Hand-run procedures for the comparison mode's "trace" variant: the LLM runs a named algorithm
step by step and reports its intermediate states in a given JSON shape; each module here states
the procedure, computes the correct trace and checks a reported one step by step.

| procedure | module | families | a step is |
|---|---|---|---|
| knapsack-dp | knapsack_dp | knapsack, knapsack-* | one step of a DP row (a capacity where best[i][c] rises, from the previous row), then the trace-back |
| simplex | simplex | productmix | one pivot (entering, ratios, leaving, basis, objective), then the stop |
| nn-2opt | tsp_2opt | tsp | one nearest-neighbour choice, the tour length, one 2-opt move, then the stop |

Every module has NAME, TITLE, KEYS (top-level keys of the answer object), ``available(model)``
(raises :class:`TraceUnavailable` when the procedure cannot be offered), ``instructions(model)``
(prompt text: the procedure and the JSON shape), ``reference(model)`` (the correct trace in that
shape) and ``check(model, doc)`` -> :class:`TraceCheck`.
"""

from __future__ import annotations

from types import ModuleType

from formalize.evaluation.traces import knapsack_dp, simplex, tsp_2opt
from formalize.evaluation.traces.base import StepFault, TraceCheck, TraceUnavailable

__all__ = ["PROCEDURES", "StepFault", "TraceCheck", "TraceUnavailable", "procedure"]

PROCEDURES: dict[str, ModuleType] = {m.NAME: m for m in (knapsack_dp, simplex, tsp_2opt)}


def procedure(name: str) -> ModuleType:
    """The module of a procedure by name; ValueError naming the known ones."""
    try:
        return PROCEDURES[name]
    except KeyError:
        raise ValueError(f"unknown procedure {name!r}; known: {', '.join(PROCEDURES)}") from None
