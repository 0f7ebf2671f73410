"""No false alarm on any correct model we have: the text-aware verifier over every reference pair
(problem.txt + model.json) under problems/. Where a reference text really holds a number its
model does not need, the model acknowledges it (with the reason) — never a silent drop."""

from __future__ import annotations

from pathlib import Path

import pytest

from formalize.verify.grounding import ground
from solvers import load_model

ROOT = Path(__file__).resolve().parent.parent
PAIRS = sorted(p.parent for p in ROOT.glob("problems/**/problem.txt") if (p.parent / "model.json").is_file())


def test_there_are_reference_pairs_in_every_group() -> None:
    groups = {p.relative_to(ROOT / "problems").parts[0] for p in PAIRS}
    # problems/benchmarks holds normalized JSONL files, no folders with a model (yet)
    assert {"examples", "datasets"} <= groups and len(PAIRS) >= 45


@pytest.mark.parametrize("folder", PAIRS, ids=[str(p.relative_to(ROOT / "problems")) for p in PAIRS])
def test_grounding_raises_no_false_alarm(folder: Path) -> None:
    model = load_model(folder / "model.json", data_dirs=[folder])
    rep = ground(model, (folder / "problem.txt").read_text(encoding="utf-8"))
    alarms = [str(d) for d in rep.diagnostics() if d.severity != "info"]
    assert alarms == []
    # every acknowledgement names a number of the text and says why
    assert all(reason.strip() for _, reason in rep.acknowledged)


@pytest.mark.parametrize("folder", PAIRS, ids=[str(p.relative_to(ROOT / "problems")) for p in PAIRS])
def test_wrong_but_valid_checks_raise_no_false_alarm(folder: Path) -> None:
    """Mixed money units, equalities that fix every variable, idle members of "each … must" sets
    (on the solved model): silent on every correct model."""
    import solvers
    from formalize.verify.report import check_text

    model = load_model(folder / "model.json", data_dirs=[folder])
    sol = solvers.solve(model, time_limit=60)
    report = check_text(model, (folder / "problem.txt").read_text(encoding="utf-8"), solution=sol)
    assert [str(d) for d in report.findings] == []
