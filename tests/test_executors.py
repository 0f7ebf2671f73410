"""The executor choice of the benchmark runner without Ray: the local executor's time budget,
and the usage errors of --executor ray when Ray is not installed (tests/test_ray_executor.py
runs the Ray executor itself)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from formalize.cli.main import main
from formalize.evaluation.bench import run_bench
from formalize.evaluation.executors import LocalExecutor


def _problems(path: Path) -> dict[str, dict]:
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    return {r["id"]: r for r in recs if r.get("type") == "problem"}


def test_a_problem_over_its_budget_is_recorded_as_timed_out(tmp_path: Path) -> None:
    ids = ["examples:job_shop", "examples:diet"]
    out = tmp_path / "t.jsonl"
    run_bench("examples", model="reference", ids=ids, out=out, progress=False, plot=False,
              executor=LocalExecutor(), task_timeout=1e-3)
    recs = _problems(out)
    assert set(recs) == set(ids)
    for r in recs.values():
        assert (r["status"], r["error_kind"], r["executed"], r["retry"]) == \
            ("timeout", "task-timeout", False, False)
        assert "1e-03 s" in r["error"] or "0.001 s" in r["error"]
    rep = run_bench("examples", model="reference", ids=ids, out=out, resume=True, progress=False,
                    plot=False, task_timeout=1e-3)
    assert (rep.ran, rep.resumed) == (0, 2)  # recorded as such, not run again
    assert rep.summary.overall.executed == 0


def test_without_ray_the_flag_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    for cmd in (["bench", "examples", "--model", "reference", "--out", str(tmp_path / "x.jsonl")],
                ["compare", "--family", "knapsack", "--sizes", "3", "--seeds", "1"]):
        rc = main([*cmd, "--executor", "ray"])
        err = capsys.readouterr().err
        assert rc == 2, err
        assert 'pip install "formalize[ray]"' in err and "--executor local" in err
    assert not (tmp_path / "x.jsonl").exists()


def test_address_without_the_ray_executor_is_a_usage_error(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture) -> None:
    rc = main(["bench", "examples", "--model", "reference", "--address", "auto",
               "--out", str(tmp_path / "x.jsonl")])
    assert rc == 2
    assert "--address applies to --executor ray only" in capsys.readouterr().err


def test_task_timeout_must_be_positive(capsys: pytest.CaptureFixture) -> None:
    assert main(["bench", "examples", "--model", "reference", "--task-timeout", "0"]) == 2
    assert "positive number of seconds" in capsys.readouterr().err


def test_solver_threads_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from solvers.backends.contract import default_threads

    monkeypatch.delenv("FORMALIZE_SOLVER_THREADS", raising=False)
    assert default_threads() is None
    monkeypatch.setenv("FORMALIZE_SOLVER_THREADS", "2")
    assert default_threads() == 2
    monkeypatch.setenv("FORMALIZE_SOLVER_THREADS", "0")
    with pytest.raises(ValueError, match="FORMALIZE_SOLVER_THREADS='0': give a positive"):
        default_threads()
