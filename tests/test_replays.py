"""Recorded real-model runs, replayed offline through ../shared/tools/fake_provider.py.

Each folder under tests/replays/<run>/<problem>/ holds a problem text, the replies a real model
(the stand-in of ../shared/MODEL-ROLE.md) gave the tool, and what the run ended with
(benchmarks/standin/record_replays.py writes them). Replayed against the current code, a run must
take the same path — the same number of calls, so no new false alarm costs a round and no finding
vanishes — and end at the same optimum. Where that optimum equals the problem's label, the model
was correct, and it must be accepted in the round it was written: no round spent on warnings.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent / "replays"
FAKE = next((p / "shared" / "tools" / "fake_provider.py" for p in Path(__file__).resolve().parents
             if (p / "shared" / "tools" / "fake_provider.py").is_file()), None)
CASES = sorted(p for p in ROOT.glob("*/*") if (p / "replies.jsonl").is_file())
SLOW = 30.0  # recorded solves longer than this replay only with FORMALIZE_SLOW_REPLAYS=1

pytestmark = pytest.mark.skipif(FAKE is None, reason="../shared/tools/fake_provider.py is not beside the checkout")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _replay(case: Path, tmp: Path, mode: str):
    """Run the recorded problem against its replies; (result, calls the replay made)."""
    import formalize
    from formalize.llm.client import make_client

    port, log = _free_port(), tmp / "requests.jsonl"
    srv = subprocess.Popen([sys.executable, str(FAKE), "--port", str(port), "--script",
                            str(case / "replies.jsonl"), "--log", str(log)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.02)
        client = make_client("openai/replay", no_cache=True, api_base=f"http://127.0.0.1:{port}/v1")
        res = formalize.solve((case / "problem.txt").read_text(encoding="utf-8"), client,
                              mode=mode, time_limit=60)
    finally:
        srv.terminate()
        srv.wait(10)
    calls = len(log.read_text().splitlines()) if log.exists() else 0
    return res, calls


def test_replays_are_recorded() -> None:
    assert CASES, "no recorded runs under tests/replays"
    for case in CASES:
        meta = json.loads((case / "meta.json").read_text())
        replies = (case / "replies.jsonl").read_text().splitlines()
        assert meta["licence"] and meta["id"], case
        assert len(replies) == meta["recorded"]["calls"], case


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_replay_takes_the_recorded_path(case: Path, tmp_path: Path) -> None:
    meta = json.loads((case / "meta.json").read_text())
    rec = meta["recorded"]
    if rec.get("solve_seconds", 0) > SLOW and not os.environ.get("FORMALIZE_SLOW_REPLAYS"):
        pytest.skip(f"the recorded solve took {rec['solve_seconds']} s; set FORMALIZE_SLOW_REPLAYS=1")
    res, calls = _replay(case, tmp_path, rec["mode"])
    f = res.formalization
    want = meta.get("expect", {}).get("calls", rec["calls"])  # a false alarm since fixed: fewer calls
    assert calls == want, (
        f"{case.name}: the recorded run made {rec['calls']} calls (expected now: {want}), the replay {calls}; "
        f"diagnostics: {[d.message for d in f.diagnostics]}")
    assert res.solution is not None and res.solution.status.value == rec["status"]
    assert math.isclose(res.solution.objective, rec["objective"], rel_tol=1e-6, abs_tol=1e-6)
    label = meta["label"]
    if label is not None and math.isclose(rec["objective"], label, rel_tol=1e-6, abs_tol=1e-6):
        # the model was right: no round may be spent on findings that hold no error
        warned_only = [prev.step for prev, r in zip(f.history, f.history[1:])
                       if r.step.startswith("repair")
                       and not any(d.severity == "error" for d in prev.diagnostics)]
        assert not warned_only, (
            f"{case.name}: a correct model (optimum {label} = the label) was sent back on "
            f"warnings alone after {warned_only}")
