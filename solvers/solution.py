"""The result of a solve: status, objective, values by variable name and index."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .diagnostics import Diagnostic


class Status(str, Enum):
    """Outcome of a solve. For a feasibility model (no objective) OPTIMAL means a feasible point
    was found — on every backend (the zero objective is then trivially optimal).

    TIME_LIMIT and INTERRUPTED mean the solve did not finish: the values are the best point found
    so far when there is one (`has_solution`; `objective`, `best_bound` and `gap` say how good it
    is), and nothing is known about feasibility when there is none — it is not INFEASIBLE."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a feasible point, optimality not proven: a work limit set in options
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"  # the time limit ran out (with the incumbent, if any)
    INTERRUPTED = "interrupted"  # stopped on request, e.g. Ctrl-C (with the incumbent, if any)
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


def _key(index: tuple) -> Any:
    """The dict key for an instance index: the element itself for 1-d, a flat tuple otherwise
    (an element of a tuple set, given as one tuple, is spliced in: `("a", "b"), 1` → `("a", "b", 1)`)."""
    flat: list[Any] = []
    for p in index:
        if isinstance(p, (tuple, list)):
            flat.extend(p)
        else:
            flat.append(p)
    return flat[0] if len(flat) == 1 else tuple(flat)


@dataclass
class Solution:
    """What a backend returns. Values map a variable name to a dict by instance key:
    `values["ship"][("seattle", "ny")]`, `values["open"]["seattle"]`, `values["n"][()]` ...
    scalar variables are keyed by `()`. From the backends the mapping is a `BlockValues`: the
    solver's array, each variable's dict built on first access (`values.array("ship")` gives the
    numbers without keys); duals, slacks and reduced costs likewise. It pickles as plain dicts."""

    status: Status
    objective: float | None = None
    values: Mapping[str, dict[Any, float]] = field(default_factory=dict)
    best_bound: float | None = None
    gap: float | None = None
    duals: Mapping[str, dict[Any, float]] | None = None  # constraint -> index -> dual (LP)
    slacks: Mapping[str, dict[Any, float]] | None = None  # constraint -> index -> slack
    reduced_costs: Mapping[str, dict[Any, float]] | None = None
    solver: str = ""
    solve_time: float = 0.0  # the solver's own run time, seconds
    wall_time: float = 0.0  # wall time of solvers.solve (lowering included), seconds
    iis: list[str] | None = None  # infeasible: the conflicting constraint instances, e.g. "supply[seattle]"
    unbounded_variables: list[str] | None = None  # unbounded: variables that run off
    iis_bounds: list[str] | None = None  # infeasible: variable bounds in the conflict, "x[a] >= 0"
    message: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the solve finished with a point: optimal, or feasible (a work limit from the
        solver options). A time limit or an interrupt is not ok, even with an incumbent: see
        `has_solution`."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def has_solution(self) -> bool:
        """True when the solution carries a feasible point: ok, or stopped (time limit,
        interrupt) after finding one."""
        return self.ok or (self.status in (Status.TIME_LIMIT, Status.INTERRUPTED) and bool(self.values))

    @property
    def stopped(self) -> bool:
        """True when the solve did not finish: the time limit ran out or it was interrupted."""
        return self.status in (Status.TIME_LIMIT, Status.INTERRUPTED)

    def value(self, name: str, *index: Any) -> float:
        """The value of one variable instance: `sol.value("ship", "seattle", "ny")`."""
        return self.values[name][_key(tuple(index)) if index else ()]

    def assignment(self) -> Mapping[str, dict[Any, float]]:
        """Values in the form `solvers.check` takes."""
        return self.values

    def to_dict(self) -> dict:
        """JSON-ready dict (keys of multi-index values joined as lists)."""

        def enc(d: dict | None) -> Any:
            if d is None:
                return None
            out = {}
            for name, vals in d.items():
                out[name] = [
                    {"index": list(k) if isinstance(k, tuple) else [k], "value": _num(v)}
                    for k, v in vals.items()
                ]
            return out

        return {
            "status": self.status.value,
            "objective": _num(self.objective),
            "best_bound": _num(self.best_bound),
            "gap": _num(self.gap),
            "values": enc(self.values),
            "duals": enc(self.duals),
            "slacks": enc(self.slacks),
            "reduced_costs": enc(self.reduced_costs),
            "solver": self.solver,
            "solve_time": self.solve_time,
            "wall_time": self.wall_time,
            "iis": self.iis,
            "iis_bounds": self.iis_bounds,
            "unbounded_variables": self.unbounded_variables,
            "message": self.message,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }

    def _repr_html_(self) -> str | None:
        """Jupyter: status, objective, the nonzero values and binding constraints (solvers.display)."""
        from .model import DISPLAY

        show = DISPLAY.get("solution_html")
        return show(self) if show else None

    def to_dataframe(self):
        """One row per variable instance (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on environment
            raise ImportError("to_dataframe() needs pandas: pip install pandas") from exc
        keyed = getattr(self.values, "keyed_array", None)  # BlockValues: no per-entry dicts
        frames = []
        for name in self.values:
            keys, vals = keyed(name) if keyed else (list(self.values[name]), list(self.values[name].values()))
            frames.append(pd.DataFrame({
                "variable": name,
                "index": pd.Series([k if isinstance(k, tuple) else (k,) for k in keys], dtype=object),
                "value": pd.Series(vals, dtype=float)}))
        if not frames:
            return pd.DataFrame(columns=["variable", "index", "value"])
        return pd.concat(frames, ignore_index=True)[["variable", "index", "value"]]


def _num(x: float | None) -> float | None | str:
    if x is None:
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x
