"""Options shared by the commands that solve (check, solve, bench, compare); imports nothing heavy, so
that `formalize --help` stays fast."""

from __future__ import annotations

import argparse

BACKENDS = ("auto", "highs", "cpsat", "scip")  # = solvers.solve_api.BACKENDS (a test holds them equal)
BACKEND_HELP = ("solver: auto (HiGHS for LP/MILP/convex QP, CP-SAT for CP and bounded integer models, SCIP "
                "only for what needs it: nonlinear or nonconvex terms), or one by name (scip needs "
                "pip install 'formalize[scip]')")
DEFAULT_TIME_LIMIT = 300  # = solvers.backends.contract.DEFAULT_TIME_LIMIT (a test holds them equal)
TIME_LIMIT_HELP = (f"wall-time limit of each solve in seconds, loading and lowering included "
                   f"(default {DEFAULT_TIME_LIMIT}, or FORMALIZE_TIME_LIMIT; 'none' for no limit); "
                   "at the limit the best solution so far is reported with its gap")


def time_limit(value: str) -> float:
    """The argparse type of --time-limit: positive seconds, or 'none' (math.inf)."""
    from solvers.backends.contract import parse_time_limit

    try:
        return parse_time_limit(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_time_limit(parser: argparse.ArgumentParser) -> None:
    """--time-limit SECONDS (None when not given: the default limit applies)."""
    parser.add_argument("--time-limit", type=time_limit, default=None, metavar="SECONDS",
                        help=TIME_LIMIT_HELP)


def add_backend(parser: argparse.ArgumentParser, default: str | None = "auto", help: str = BACKEND_HELP) -> None:
    """--backend auto|highs|cpsat|scip."""
    parser.add_argument("--backend", choices=BACKENDS, default=default, help=help)
