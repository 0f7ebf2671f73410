"""Solves that report and stop: the default time limit, progress, Ctrl-C, conversions inside the
limit (the backend contract of solvers/backends/contract.py), on HiGHS and CP-SAT.

The hard model is the Cornuéjols–Dawande market split (5 rows, 40 binaries, right-hand sides at
half the row sums) with slack variables: any x is feasible, so an incumbent comes at once, while
the LP bound stays 0 and branch and bound needs far more than a minute (hard by construction).
Results are checked by the independent checker, not against a hard-coded number.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import solvers
from formalize.cli import main as cli
from formalize.cli import options as cli_options
from solvers import Status
from solvers.backends import contract
from solvers.backends.common import BlockValues
from solvers.backends.contract import (
    DEFAULT_TIME_LIMIT,
    SolveControl,
    relative_gap,
    stop_all,
)
from solvers.lower import lower
from solvers.model import load_model
from solvers.solution import Solution

ROOT = Path(__file__).resolve().parent.parent
TRANSPORT = ROOT / "problems/examples/transport/model.json"


def market_split(m: int = 5, n: int = 40, seed: int = 3, slack: str | None = "real") -> dict:
    """min Σ(over + under) s.t. Σ_j a[i,j]·x[j] + under[i] − over[i] = b[i] (slack=None: no
    slacks and no objective — a feasibility problem with no point found for a long time)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n))
    b = a.sum(1) // 2
    doc: dict = {
        "name": "market_split", "sense": "minimize",
        "sets": {"I": {"elements": [f"r{i}" for i in range(m)]},
                 "J": {"elements": [f"c{j}" for j in range(n)]}},
        "params": {"a": {"index": ["I", "J"], "values": a.tolist()},
                   "b": {"index": ["I"], "values": b.tolist()}},
        "variables": {"x": {"index": ["J"], "domain": "binary"}},
    }
    if slack is None:
        doc["sense"] = "feasibility"
        doc["constraints"] = [{"name": "split", "forall": "i in I",
                               "expr": "sum(a[i, j] * x[j] for j in J) == b[i]"}]
        return doc
    dom = {"domain": "integer", "ub": int(a.sum())} if slack == "integer" else {"domain": "real"}
    doc["variables"] |= {"over": {"index": ["I"], "lb": 0, **dom},
                         "under": {"index": ["I"], "lb": 0, **dom}}
    doc["objective"] = "sum(over[i] + under[i] for i in I)"
    doc["constraints"] = [{"name": "split", "forall": "i in I",
                           "expr": "sum(a[i, j] * x[j] for j in J) + under[i] - over[i] == b[i]"}]
    return doc


def nonconvex_qp(n: int = 40, seed: int = 3) -> dict:
    """An indefinite quadratic programme over a box: SCIP finds points early and proves slowly."""
    rng = np.random.default_rng(seed)
    return {"name": "nonconvex_qp", "sets": {"I": {"range": [1, n]}},
            "params": {"q": {"index": ["I", "I"], "values": rng.integers(-5, 6, (n, n)).tolist()}},
            "variables": {"x": {"index": ["I"], "lb": -1, "ub": 1}},
            "objective": "3000 + sum(q[i, j] * x[i] * x[j] for i in I for j in I)",  # > 0, as the others
            "constraints": [{"name": "c", "expr": "sum(x[i] for i in I) <= 3"}]}


HARD = {"highs": market_split(), "cpsat": market_split(slack="integer"), "scip": nonconvex_qp()}
BACKENDS = ["highs", "cpsat", pytest.param("scip", marks=pytest.mark.skipif(
    importlib.util.find_spec("pyscipopt") is None, reason="pyscipopt is not installed"))]


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import the solvers once, so that no test's budget pays for imports."""
    import highspy  # noqa: F401
    from ortools.sat.python import cp_model  # noqa: F401


def assert_incumbent(sol: Solution, doc: dict) -> None:
    """A stopped solve's point is feasible, its objective is the point's, the gap is right."""
    assert sol.has_solution and not sol.ok and sol.stopped
    rep = solvers.check(doc, sol)
    assert rep.feasible and rep.complete, rep
    assert rep.objective == pytest.approx(sol.objective, abs=1e-6)
    assert sol.best_bound is not None and sol.best_bound <= sol.objective + 1e-6
    assert sol.gap == pytest.approx(relative_gap(sol.objective, sol.best_bound), abs=1e-6)


# --------------------------------------------------------------------------- time limits

def test_default_time_limit_is_configurable(monkeypatch) -> None:
    monkeypatch.delenv(contract.ENV_TIME_LIMIT, raising=False)
    assert SolveControl().time_limit == DEFAULT_TIME_LIMIT == cli_options.DEFAULT_TIME_LIMIT == 300
    monkeypatch.setenv(contract.ENV_TIME_LIMIT, "7.5")
    assert SolveControl().time_limit == 7.5
    assert SolveControl(2).time_limit == 2  # the caller's limit wins
    monkeypatch.setenv(contract.ENV_TIME_LIMIT, "none")
    c = SolveControl()
    assert c.time_limit == math.inf and c.deadline is None and c.remaining() is None
    monkeypatch.setenv(contract.ENV_TIME_LIMIT, "soon")
    with pytest.raises(ValueError, match="FORMALIZE_TIME_LIMIT='soon'.*positive number"):
        SolveControl()


@pytest.mark.parametrize("bad", [0, -3, float("nan"), "abc"])
def test_bad_time_limit_is_a_value_error(bad) -> None:
    with pytest.raises(ValueError, match="time limit"):
        solvers.solve(TRANSPORT, time_limit=bad)


@pytest.mark.parametrize("backend", BACKENDS)
def test_time_limit_returns_the_incumbent_with_its_gap(backend: str) -> None:
    doc = HARD[backend]
    t = time.perf_counter()
    sol = solvers.solve(doc, backend=backend, time_limit=2.5)
    took = time.perf_counter() - t
    assert sol.status == Status.TIME_LIMIT and sol.solver == backend
    assert 2.0 <= took < 4.0 and sol.wall_time <= took
    assert "time limit of 2.5s" in sol.message
    assert_incumbent(sol, doc)


def test_time_limit_without_a_point_is_not_infeasible() -> None:
    sol = solvers.solve(market_split(slack=None), backend="highs", time_limit=0.5)
    assert sol.status == Status.TIME_LIMIT
    assert not sol.has_solution and not sol.values and sol.objective is None
    assert "no feasible solution was found" in sol.message


def test_lowering_counts_against_the_limit() -> None:
    sol = solvers.solve(TRANSPORT, time_limit=1e-9)
    assert sol.status == Status.TIME_LIMIT and not sol.has_solution and sol.solve_time == 0
    assert "while loading and lowering" in sol.message


def test_building_the_cpsat_model_counts_against_the_limit() -> None:
    from solvers.backends.cpsat import solve_cpsat

    low = lower(load_model(HARD["cpsat"]), target="cpsat")
    late = SolveControl(1.0, started=time.perf_counter() - 5)  # the budget is already spent
    sol = solve_cpsat(low, late)
    assert sol.status == Status.TIME_LIMIT and not sol.has_solution
    assert "while the CP-SAT model was being built" in sol.message
    stopped = SolveControl(60)
    stopped.request_stop()
    sol = solve_cpsat(low, stopped)
    assert sol.status == Status.INTERRUPTED and not sol.has_solution


def test_a_solver_that_ignores_its_limit_is_stopped_by_the_watchdog() -> None:
    """The waiting thread stops the solve WATCHDOG_GRACE after the deadline even when the solver
    was not given the limit (as if it ignored it)."""
    from solvers.backends.highs import solve_highs

    class Forgetful(SolveControl):
        def remaining(self) -> None:  # the solver is told nothing
            return None

    low = lower(load_model(HARD["highs"]), target="highs")
    c = Forgetful(1.0)
    t = time.perf_counter()
    sol = solve_highs(low, c, threads=1)
    assert time.perf_counter() - t < 1.0 + contract.WATCHDOG_GRACE + 1.5
    assert c.stop_reason == "time_limit" and sol.status == Status.TIME_LIMIT
    assert_incumbent(sol, HARD["highs"])


# --------------------------------------------------------------------------- progress

@pytest.mark.parametrize("backend", BACKENDS)
def test_progress_reports_incumbent_bound_and_gap(backend: str) -> None:
    seen = []
    sol = solvers.solve(HARD[backend], backend=backend, time_limit=2.5, progress=seen.append,
                        progress_interval=0.2)
    # a report when the numbers change, else a heartbeat every 10 intervals (2 s): a search that
    # finds its incumbent at once and never moves its bound gives two reports in 2.5 s
    assert len(seen) >= 2
    assert all(b.elapsed >= a.elapsed for a, b in zip(seen, seen[1:]))
    assert all(p.solver == backend and p.time_limit == 2.5 for p in seen)
    with_point = [p for p in seen if p.incumbent is not None]
    assert with_point, [str(p) for p in seen]
    incumbents = [p.incumbent for p in with_point]
    assert all(b <= a + 1e-9 for a, b in zip(incumbents, incumbents[1:]))  # minimize: improving
    assert min(incumbents) >= sol.objective - 1e-6
    for p in with_point:
        assert p.bound is not None and p.bound <= sol.objective + 1e-6
        assert p.gap == pytest.approx(relative_gap(p.incumbent, p.bound))
        assert re.search(r"incumbent \d.*bound \d.*gap \d+\.\d\d%", str(p))


def test_short_solves_report_no_progress() -> None:
    seen = []
    sol = solvers.solve(TRANSPORT, progress=seen.append, progress_interval=1.0)
    assert sol.status == Status.OPTIMAL and seen == []


# --------------------------------------------------------------------------- stopping

def _signal_when_running(how: str, after: float = 0.8) -> threading.Thread:
    """Once a solve is running (and `after` seconds later), stop it: SIGINT to this process (as
    Ctrl-C) or `stop_all()` (as another thread would)."""

    def go() -> None:
        t0 = time.perf_counter()
        while not contract._active and time.perf_counter() - t0 < 20:
            time.sleep(0.01)
        time.sleep(after)
        if not contract._active:
            return  # the solve ended on its own: never signal outside it
        go.at = time.perf_counter()
        if how == "sigint":
            os.kill(os.getpid(), signal.SIGINT)
        else:
            stop_all()

    go.at = None
    t = threading.Thread(target=go, daemon=True)
    t.go = go
    t.start()
    return t


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("how", ["sigint", "stop_all"])
def test_ctrl_c_returns_the_best_point_as_interrupted(backend: str, how: str) -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    doc = HARD[backend]
    t = _signal_when_running(how, after=2.0 if backend == "cpsat" else 1.0)
    sol = solvers.solve(doc, backend=backend, time_limit=60)
    done = time.perf_counter()
    t.join()
    assert t.go.at is not None
    assert done - t.go.at < 1.5, done - t.go.at  # stopped within a second (1.5: loaded CI)
    assert sol.status == Status.INTERRUPTED and "interrupted" in sol.message
    assert_incumbent(sol, doc)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # nothing left behind


def test_control_run_hands_back_errors_and_a_second_ctrl_c_leaves() -> None:
    c = SolveControl(60)
    with pytest.raises(ZeroDivisionError):
        c.run(lambda: 1 / 0)

    release = threading.Event()
    c = SolveControl(60)
    c.on_stop(lambda: None)  # a canceller that does not stop anything

    def stubborn() -> str:
        release.wait(10)
        return "done"

    def twice() -> None:
        while not contract._active:
            time.sleep(0.01)
        for _ in range(2):
            time.sleep(0.2)
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=twice, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        c.run(stubborn)
    assert c.stop_reason == "interrupted"
    release.set()


def test_stop_before_the_solver_starts() -> None:
    from solvers.backends.highs import solve_highs

    c = SolveControl(60)
    c.request_stop()
    sol = solve_highs(lower(load_model(HARD["highs"]), target="highs"), c)
    assert sol.status == Status.INTERRUPTED and not sol.has_solution
    assert "before the solver started" in sol.message


def test_ctrl_c_during_the_conflict_search_keeps_what_it_found() -> None:
    """3000 parity rows 2x − 2y = 1 over integers: each alone is infeasible, the LP relaxation is
    not, so the deletion filter runs thousands of MILPs (about 8 s here; 400 rows took only
    0.4 s, too quick to be stopped reliably); a stop ends it within a second with a conflicting
    (not minimal) set."""
    doc = {"sets": {"I": {"range": [1, 3000]}},
           "variables": {v: {"index": ["I"], "domain": "integer", "lb": 0, "ub": 10} for v in "xy"},
           "objective": "sum(x[i] for i in I)",
           "constraints": [{"name": "odd", "forall": "i in I", "expr": "2 * x[i] - 2 * y[i] == 1"}]}
    at = []

    def stop_the_search() -> None:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 30:
            time.sleep(0.02)
            if any(c.time_limit == 30.0 for c in list(contract._active)):  # the IIS's control
                time.sleep(0.3)
                at.append(time.perf_counter())
                stop_all()
                return

    threading.Thread(target=stop_the_search, daemon=True).start()
    sol = solvers.solve(doc, backend="highs", iis_time_limit=30.0)
    assert sol.status == Status.INFEASIBLE and at and time.perf_counter() - at[0] < 1.5
    assert "the search was interrupted" in sol.message and "may not be minimal" in sol.message
    assert sol.iis and 1 < len(sol.iis) <= 3000 and all(r.startswith("odd[") for r in sol.iis)


def test_solution_flags() -> None:
    assert not Solution(Status.TIME_LIMIT).has_solution
    s = Solution(Status.TIME_LIMIT, objective=3.0, values={"x": {(): 3.0}})
    assert s.has_solution and s.stopped and not s.ok
    assert Solution(Status.OPTIMAL).ok and not Solution(Status.OPTIMAL).stopped
    assert Solution(Status.INTERRUPTED).to_dict()["status"] == "interrupted"


# --------------------------------------------------------------------------- values as arrays

def test_values_stay_arrays_until_asked() -> None:
    sol = solvers.solve(TRANSPORT)
    vals = sol.values
    assert isinstance(vals, BlockValues) and vals._built == {}
    assert list(vals) == ["ship"] and len(vals) == 1 and "ship" in vals
    ship = vals["ship"]
    assert set(vals._built) == {"ship"}
    assert ship[("seattle", "new_york")] == sol.value("ship", "seattle", "new_york")
    arr = vals.array("ship")
    assert arr.tolist() == list(ship.values()) and not arr.flags.writeable
    assert vals == {"ship": dict(ship)} and dict(vals) == {"ship": ship}
    back = pickle.loads(pickle.dumps(sol))
    assert type(back.values) is dict and back.values == vals
    assert type(back.duals) is dict and back.duals == sol.duals
    assert len(sol.to_dataframe()) == len(ship)
    assert solvers.check(TRANSPORT, sol).feasible


# --------------------------------------------------------------------------- program loop

def test_program_does_not_repair_a_time_limited_solve() -> None:
    """Also the first round's advice (unused text numbers) is not asked about: another round
    would cost another full time limit."""
    from formalize.llm.testing import ScriptedLLM
    from formalize.program.pipeline import formalize

    doc = market_split()
    a, b = doc["params"]["a"]["values"], doc["params"]["b"]["values"]
    text = ("Split 40 products between two divisions so that each of 5 regions gets as close as "
            "possible to its target share. Demand of each product by region:\n"
            + "\n".join(f"region {i + 1}: " + ", ".join(map(str, row)) for i, row in enumerate(a))
            + "\nTargets: " + ", ".join(map(str, b)) + ". Minimize the total deviation.")
    llm = ScriptedLLM([doc], name="timelimit")
    try:
        f = formalize(text, llm.client(), strategy="single", time_limit=1.0)
    finally:
        llm.close()
    assert f.solution is not None and f.solution.status == Status.TIME_LIMIT
    assert f.repair_rounds == 0 and llm.remaining == 0
    codes = [d.code for d in f.diagnostics]
    assert "time_limit" in codes and f.ok, [str(d) for d in f.diagnostics]
    d = f.diagnostics[codes.index("time_limit")]
    assert d.severity == "warning" and "not repaired" in d.message and "gap" in d.message


# --------------------------------------------------------------------------- the command

def test_cli_help_shows_the_time_limit(capsys) -> None:
    for cmd in ("solve", "check", "bench", "compare"):
        assert cli.main([cmd, "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "--time-limit SECONDS" in out and "default 300" in out and "'none'" in out, cmd


def test_cli_rejects_a_bad_time_limit(capsys) -> None:
    assert cli.main(["solve", str(TRANSPORT), "--time-limit", "soon"]) == cli.EXIT_USAGE
    assert "--time-limit" in capsys.readouterr().err


@pytest.fixture
def hard_files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, doc in {**HARD, "nopoint": market_split(slack=None)}.items():
        out[name] = tmp_path / f"{name}.json"
        out[name].write_text(json.dumps(doc))
    return out


def test_cli_time_limit_json_with_progress_on_stderr(capsys, hard_files) -> None:
    code = cli.main(["solve", str(hard_files["highs"]), "--time-limit", "2", "--json",
                     "--progress-every", "0.2"])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_TIME_LIMIT == 6
    doc = json.loads(out)  # stdout is the JSON document alone
    assert doc["exit_code"] == 6 and doc["solution"]["status"] == "time_limit"
    assert doc["solution"]["values"]["x"] and doc["solution"]["gap"] is not None
    assert re.search(r"… highs .*incumbent \d.*gap", err)


def test_cli_time_limit_without_a_point_is_not_infeasible(capsys, hard_files) -> None:
    code = cli.main(["solve", str(hard_files["nopoint"]), "--time-limit", "0.5", "--quiet"])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_TIME_LIMIT != cli.EXIT_NO_SOLUTION
    assert "time_limit" in out and "no feasible solution was found" in " ".join(out.split())
    assert err == ""  # --quiet


def _cli_solving(path: Path) -> tuple[subprocess.Popen, list[str]]:
    """The CLI solving `path` in a real process, once it reports an incumbent on stderr."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop(contract.ENV_TIME_LIMIT, None)
    p = subprocess.Popen([sys.executable, "-m", "formalize.cli.main", "solve", str(path),
                          "--progress-every", "0.2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(p.stderr), daemon=True)
    reader.start()
    t0 = time.perf_counter()
    while not any(re.search(r"incumbent \d", s) for s in lines):
        assert time.perf_counter() - t0 < 20 and p.poll() is None, lines
        time.sleep(0.02)
    return p, lines


def test_cli_ctrl_c_stops_within_two_seconds_with_the_incumbent(hard_files) -> None:
    """A real process, a real SIGINT: the incumbent is printed and the exit is prompt."""
    p, lines = _cli_solving(hard_files["highs"])
    assert "/300s" in lines[-1]  # the default limit is in force
    sent = time.perf_counter()
    p.send_signal(signal.SIGINT)
    out, rest = p.communicate(timeout=10)
    took = time.perf_counter() - sent
    lines.append(rest or "")
    assert p.returncode == cli.EXIT_INTERRUPTED == 130
    assert took < 2.0, took
    text = " ".join(out.split())
    assert "interrupted" in text and re.search(r"objective = \d", text) and "gap" in text
    assert "Traceback" not in "".join(lines)


# --------------------------------------------------------------------------- code mode

CPSAT_SPLIT = """
from ortools.sat.python import cp_model
a = [[81, 8, 17, 23, 18, 80, 86, 58, 3, 9, 33, 43, 62, 47, 26, 15, 69, 73, 3, 11, 45, 39, 88, 51, 42, 43, 66, 58, 17, 73, 75, 95, 78, 28, 31, 64, 65, 69, 86, 29], [93, 0, 7, 97, 94, 29, 13, 31, 4, 89, 66, 58, 24, 47, 19, 77, 47, 3, 25, 70, 51, 37, 25, 9, 60, 66, 52, 93, 92, 20, 60, 63, 24, 29, 48, 74, 29, 72, 65, 21], [38, 82, 84, 65, 0, 68, 22, 82, 91, 42, 95, 75, 32, 87, 38, 10, 59, 84, 65, 39, 90, 47, 38, 14, 21, 69, 79, 29, 62, 87, 14, 27, 52, 56, 39, 39, 12, 61, 93, 19], [79, 18, 4, 74, 18, 75, 33, 56, 94, 92, 47, 20, 25, 85, 58, 16, 88, 96, 96, 62, 97, 60, 50, 97, 60, 78, 33, 78, 97, 5, 53, 36, 5, 8, 26, 19, 71, 21, 62, 85], [49, 12, 6, 29, 41, 49, 30, 84, 56, 96, 93, 70, 2, 21, 74, 54, 94, 70, 81, 5, 29, 67, 63, 36, 15, 58, 8, 66, 80, 66, 6, 52, 30, 55, 68, 19, 3, 49, 61, 12]]
m, n = 5, 40
model = cp_model.CpModel()
x = [model.new_bool_var(f"x{j}") for j in range(n)]
dev = []
for i in range(m):
    b = sum(a[i]) // 2
    over = model.new_int_var(0, sum(a[i]), f"over{i}")
    under = model.new_int_var(0, sum(a[i]), f"under{i}")
    model.add(sum(a[i][j] * x[j] for j in range(n)) + under - over == b)
    dev += [over, under]
model.minimize(sum(dev))
"""


def test_code_mode_cpsat_follows_the_contract() -> None:
    """A harvested CP-SAT model (text format, parsed by CP-SAT itself) under the time limit:
    `time_limit` with the incumbent; its objective is the sum of the deviations it reports."""
    from formalize.codemode import solve_code

    sol, run = solve_code(CPSAT_SPLIT, time_limit=2.0, timeout=30)
    assert run.ok and run.model_format == "cpsat-text", run.diagnostics
    assert sol.status == Status.TIME_LIMIT and sol.has_solution, sol.message
    dev = sum(v[()] for k, v in sol.values.items() if k.startswith(("over", "under")))
    assert sol.objective == pytest.approx(dev)
    assert sol.best_bound is not None and sol.best_bound <= sol.objective


def test_cli_second_ctrl_c_leaves_at_once_and_cleanly(hard_files) -> None:
    """Two Ctrl-C in a row: out at once with 130, and no C++ abort at exit (the process must not
    finalize while a solver thread still runs)."""
    p, lines = _cli_solving(hard_files["highs"])
    sent = time.perf_counter()
    p.send_signal(signal.SIGINT)
    time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    _, rest = p.communicate(timeout=10)
    assert p.returncode == cli.EXIT_INTERRUPTED and time.perf_counter() - sent < 2.0
    err = "".join(lines) + (rest or "")
    assert "terminate called" not in err and "Traceback" not in err
