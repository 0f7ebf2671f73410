"""solvers — the execution side of formalize: a small modelling language, static checks,
HiGHS and CP-SAT backends, an independent checker, and exports. No LLM code lives here."""

from __future__ import annotations

from typing import Any

from .diagnostics import Diagnostic, Location, ModelError
from .display import register as _register_displays
from .model import Model, load_model
from .solution import Solution, Status

_register_displays()  # Model._repr_html_, Solution._repr_html_ (Jupyter)

__all__ = [
    "Diagnostic", "Location", "ModelError", "Model", "load_model", "Solution", "Status",
    "solve", "check", "check_model",
]


def solve(model: Any, backend: str = "auto", time_limit: float | None = None,
          threads: int | None = None, **options: Any) -> Solution:
    """Solve a model (path, dict, text or Model) with HiGHS or CP-SAT; see solvers.solve_api.
    `time_limit` None means the default limit (300 s or FORMALIZE_TIME_LIMIT); `progress=`
    takes a callback; Ctrl-C returns the best point with status `interrupted`."""
    from .solve_api import solve as _solve

    return _solve(model, backend=backend, time_limit=time_limit, threads=threads, **options)


def check(model: Any, assignment: Any, tol: float = 1e-6):
    """Score any assignment against a model (feasibility, violations, objective); see solvers.checker."""
    from .checker import check as _check

    return _check(model, assignment, tol=tol)


def check_model(model: Any, backend: str | None = None):
    """All static diagnostics of a model and its problem class; see solvers.checks."""
    from .checks import check_model as _check_model

    return _check_model(model, backend=backend)

