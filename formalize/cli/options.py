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


PLOT_FORMATS = (".png", ".svg", ".pdf")  # what matplotlib writes by suffix and a reader opens


def add_plot(parser: argparse.ArgumentParser, what: str) -> None:
    """--plot OUT.png: write the figure the notebook display shows (`what` says which)."""
    parser.add_argument("--plot", default=None, metavar="OUT.png",
                        help=f"write {what} here (the figure the Jupyter display shows; "
                             f".png, or .svg/.pdf by suffix; needs matplotlib: pip install "
                             f"'formalize[plot]')")


def plot_path_error(path: str | None) -> str | None:
    """Why --plot PATH cannot be written (checked before any work), or None when it can."""
    if path is None:
        return None
    from pathlib import Path

    p = Path(path)
    if p.is_dir():
        return f"--plot {path}: is a directory; give a file name such as {p / 'plot.png'}"
    if p.suffix.lower() not in PLOT_FORMATS:
        return (f"--plot {path}: give a file name ending in {', '.join(PLOT_FORMATS)} "
                f"(the suffix chooses the format)")
    parent = next((q for q in p.absolute().parents if q.exists()), None)
    if parent is not None and not parent.is_dir():
        return f"--plot {path}: {parent} is a file, not a directory"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return "--plot needs matplotlib: pip install 'formalize[plot]' (or matplotlib>=3.8)"
    return None


def add_executor(parser: argparse.ArgumentParser) -> None:
    """--executor local|ray, --address, --worker-cpus (formalize.evaluation.executors)."""
    parser.add_argument("--executor", choices=["local", "ray"], default="local",
                        help="where problems run: this process (local), or Ray workers (ray; "
                             "pip install 'formalize[ray]'); results are written here either way")
    parser.add_argument("--address", default=None, metavar="auto|ray://HOST:PORT",
                        help="--executor ray: the cluster (default: RAY_ADDRESS, else a local "
                             "Ray started for this run)")
    parser.add_argument("--worker-cpus", type=int, default=1, metavar="N",
                        help="--executor ray: CPUs of each worker (its solver threads and "
                             "process pool; default 1)")


def executor_from(a: argparse.Namespace) -> object:
    """The executor the options name (None for local, the runner's default); a usage error
    (ConfigError) when ray is asked for and not installed."""
    from formalize.evaluation.executors import make_executor

    if a.executor == "local":
        make_executor("local", address=a.address)  # --address without ray: a usage error
        return None
    return make_executor("ray", address=a.address, workers=getattr(a, "workers", None),
                         cpus_per_worker=a.worker_cpus)
