"""Ground truth for the comparison mode: the solver's answer for the verified / given model,
confirmed by the independent checker and, for generated families, by an independently derived
optimum (DP, brute force, a construction or a second solver on a separately built model)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from formalize.evaluation.fmt import close, jnum, unjnum
from solvers import Model, Solution


class CompareError(RuntimeError):
    """The comparison cannot run (no verified model for the ground truth, bad input)."""


class GroundTruthError(CompareError):
    """The reference solve disagrees with the checker or the generator's known optimum."""


@dataclass
class GroundTruth:
    """The reference answer, confirmed by the checker.

    `objective` is the optimum answers are scored against: the solver's proven optimum, or —
    when the solver stops at a time limit — the independently derived `known_optimum`
    (`solver_status` / `solver_objective` then keep what the solver reached). `seconds` is the
    solver's wall time (lowering included). `bound` is a relaxation bound (`bound_kind`), for the
    integrality gap."""

    status: str
    objective: float | None
    sense: str
    source: str  # "given model" | "verified pipeline" | "family generator"
    solver: str = ""
    seconds: float = 0.0
    known_optimum: float | None = None  # independent optimum (family generators), when known
    checked: bool = False  # the checker found the solver's point feasible with its objective
    solution: Solution | None = None
    optimum_method: str = ""  # how known_optimum was derived
    bound: float | None = None
    bound_kind: str = ""
    solver_status: str = ""
    solver_objective: float | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def proven_by(self) -> str:
        """Who proves `objective` optimal: the solver, the independent method, or both."""
        solver = self.solver_status == "optimal"
        known = self.known_optimum is not None
        if solver and known:
            return f"{self.solver} and {self.optimum_method or 'an independent method'}"
        if known:
            return self.optimum_method or "an independent method"
        return self.solver if solver else "nobody (not proven)"

    @property
    def integrality_gap(self) -> float | None:
        """|optimum - bound| / max(1, |optimum|): how far the relaxation is from the optimum."""
        if self.objective is None or self.bound is None:
            return None
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "objective": jnum(self.objective), "sense": self.sense,
                "source": self.source, "solver": self.solver, "seconds": self.seconds,
                "known_optimum": jnum(self.known_optimum), "checked": self.checked,
                "optimum_method": self.optimum_method, "proven_by": self.proven_by,
                "solver_status": self.solver_status,
                "solver_objective": jnum(self.solver_objective), "bound": jnum(self.bound),
                "bound_kind": self.bound_kind, "integrality_gap": jnum(self.integrality_gap)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GroundTruth:
        """A ground truth from :meth:`to_dict` (a results file's record); the solver's point
        is not recorded (``solution`` is None)."""
        return cls(status=d["status"], objective=unjnum(d.get("objective")), sense=d["sense"],
                   source=d.get("source", ""), solver=d.get("solver", ""),
                   seconds=float(d.get("seconds") or 0.0),
                   known_optimum=unjnum(d.get("known_optimum")),
                   checked=bool(d.get("checked")), optimum_method=d.get("optimum_method", ""),
                   bound=unjnum(d.get("bound")), bound_kind=d.get("bound_kind", ""),
                   solver_status=d.get("solver_status", ""),
                   solver_objective=unjnum(d.get("solver_objective")))


def _exact_solve(model: Model, backend: str, time_limit: float | None) -> Solution:
    """solvers.solve with HiGHS's MIP gap at 0 (its default 1e-4 calls a point 0.01 % short of
    the optimum "optimal", which would score an exact answer as better than the reference)."""
    import solvers

    if backend == "highs":
        return solvers.solve(model, backend="highs", time_limit=time_limit, mip_rel_gap=0.0)
    sol = solvers.solve(model, backend=backend, time_limit=time_limit)
    if (sol.solver == "highs" and sol.status.value == "optimal" and sol.gap is not None
            and sol.gap > 1e-9):
        return solvers.solve(model, backend="highs", time_limit=time_limit, mip_rel_gap=0.0)
    return sol


def ground_truth(model: Model, *, source: str = "given model", known_optimum: float | None = None,
                 backend: str = "auto", time_limit: float | None = None, tol: float = 1e-6,
                 solution: Solution | None = None, optimum_method: str = "",
                 bound: float | None = None, bound_kind: str = "") -> GroundTruth:
    """Solve `model` (unless `solution` is given) and confirm the point with the checker.

    `time_limit` None is the solvers' default (FORMALIZE_TIME_LIMIT, else 300 s). With a
    `known_optimum` (derived independently by `optimum_method`), a solver that stops at a
    time limit is not an error: the known optimum is the reference and the solver's point is
    checked as a feasible point no better than it. Raises :class:`GroundTruthError` when the
    checker finds the solver's point infeasible, its objective differs from the solver's, the
    solver's proven optimum differs from `known_optimum`, or a point beats it."""
    from solvers.checker import check

    started = time.perf_counter()
    sol = solution if solution is not None else _exact_solve(model, backend, time_limit)
    seconds = sol.wall_time or (time.perf_counter() - started)
    gt = GroundTruth(status=sol.status.value, objective=sol.objective, sense=model.sense,
                     source=source, solver=sol.solver, seconds=seconds,
                     known_optimum=known_optimum, solution=sol, optimum_method=optimum_method,
                     bound=bound, bound_kind=bound_kind, solver_status=sol.status.value,
                     solver_objective=sol.objective)
    where = f"{model.name} ({source})"
    has_point = bool(getattr(sol, "has_solution", sol.ok)) and sol.objective is not None
    if has_point:
        rep = check(model, sol.values, tol=max(tol, 1e-6), claimed_objective=sol.objective)
        if not rep.feasible:
            raise GroundTruthError(f"{where}: the checker finds the solver's point not feasible:\n"
                                   f"{rep.summary(5)}")
        if rep.objective_consistent is False:
            raise GroundTruthError(f"{where}: the solver reports objective {sol.objective!r}, the "
                                   f"checker recomputes {rep.objective!r} from its values")
        gt.checked = True
        if not sol.ok:  # stopped (time limit, interrupt) with a point: a reference not proven
            gt.status = "feasible"
    if known_optimum is None:
        return gt
    what = optimum_method or "independently computed"
    if sol.status.value == "optimal" and sol.objective is not None:
        if not close(sol.objective, known_optimum, 1e-6):
            raise GroundTruthError(f"{where}: the solver's optimum {sol.objective:g} differs from "
                                   f"the generator's independently computed {known_optimum:g} "
                                   f"({what})")
        return gt
    if has_point and sol.objective is not None:
        better = (sol.objective > known_optimum) if model.sense == "maximize" else \
            (sol.objective < known_optimum)
        if better and not close(sol.objective, known_optimum, 1e-6):
            raise GroundTruthError(f"{where}: the solver's point ({sol.objective:g}) beats the "
                                   f"independently computed optimum {known_optimum:g} ({what})")
    if sol.status.value in ("feasible", "time_limit", "interrupted"):
        gt.status, gt.objective = "optimal", known_optimum
        return gt
    raise GroundTruthError(f"{where}: the solver returned {sol.status.value} ({sol.message}) "
                           f"but the generator knows the optimum {known_optimum:g} ({what})")
