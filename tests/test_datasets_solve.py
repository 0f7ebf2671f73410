"""Hand-written models of third-party benchmark problems (problems/datasets/): each is solved and its
optimum compared with the dataset's label, or with our recorded correction where the two disagree;
every solution is confirmed by the independent checker."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import solvers

ROOT = Path(__file__).resolve().parent.parent / "problems" / "datasets"
FOLDERS = sorted(p.parent for p in ROOT.glob("*/*/model.json"))
CORRECTIONS: dict[str, dict[str, Any]] = {
    c["id"]: c
    for c in (json.loads(line) for line in (ROOT / "corrections.jsonl").read_text().splitlines() if line)
}
MIN_PER_BENCHMARK = {"nl4opt": 6, "mamo_easylp": 3, "mamo_complexlp": 3, "nlp4lp": 4, "complexor": 3,
                     "industryor": 4}


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def _meta(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "meta.json").read_text())


def _key_text(k: Any) -> str:
    return ",".join(str(e) for e in (k if isinstance(k, tuple) else (k,)))


def _recorded_assignment(recorded: dict[str, Any], template: dict[str, dict[Any, float]]
                         ) -> dict[str, dict[Any, float]]:
    """Our recorded solution (names -> number or {"i,j": value}) on the solver's keys; zero elsewhere."""
    out = {name: {k: 0.0 for k in vals} for name, vals in template.items()}
    for name, val in recorded.items():
        assert name in out, f"corrections.jsonl names variable {name!r}, which the model lacks"
        if not isinstance(val, dict):
            out[name][()] = float(val)
            continue
        by_text = {_key_text(k): k for k in out[name]}
        for text, v in val.items():
            assert text in by_text, f"corrections.jsonl: {name}[{text}] is not an index of {name}"
            out[name][by_text[text]] = float(v)
    return out


def test_inventory() -> None:
    """At least 24 problems in the required mix, each complete, with licence files per benchmark."""
    assert len(FOLDERS) >= 24
    counts: dict[str, int] = {}
    for folder in FOLDERS:
        meta = _meta(folder)
        assert meta["benchmark"] == folder.parent.name
        for key in ("id", "dataset", "answer", "answer_status", "label_versions", "licence", "source_repo"):
            assert key in meta, f"{folder}: meta.json lacks {key}"
        assert (folder / "problem.txt").read_text().strip()
        counts[meta["benchmark"]] = counts.get(meta["benchmark"], 0) + 1
    for bench, n in MIN_PER_BENCHMARK.items():
        assert counts.get(bench, 0) >= n, f"{bench}: {counts.get(bench, 0)} problems < {n}"
        assert (ROOT / bench / "LICENSE").is_file() and (ROOT / bench / "ATTRIBUTION.md").is_file()
    assert counts["mamo_easylp"] + counts["mamo_complexlp"] >= 6


def test_corrections_are_disagreements() -> None:
    """Each correction names an existing problem, quotes its label and differs from it."""
    ids = {_meta(f)["id"]: f for f in FOLDERS}
    for cid, corr in CORRECTIONS.items():
        assert cid in ids, f"correction for unknown problem {cid}"
        assert ids[cid].relative_to(ROOT).as_posix() == corr["path"]
        assert corr["label"] == _meta(ids[cid])["answer"]
        assert corr["reason"].strip()
        if corr["label"] is not None and corr["our_optimum"] is not None:
            assert not _close(corr["label"], corr["our_optimum"])


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f"{f.parent.name}/{f.name}")
def test_solve_matches_label_or_correction(folder: Path) -> None:
    meta = _meta(folder)
    corr = CORRECTIONS.get(meta["id"])
    expected = corr["our_optimum"] if corr else meta["answer"]
    model = solvers.load_model(folder / "model.json")
    sol = solvers.solve(model)
    if expected is None:  # label null: the text's data admit no solution
        assert sol.status.value == "infeasible", f"{meta['id']}: {sol.status.value} {sol.objective}"
        return
    assert sol.status.value == "optimal", f"{meta['id']}: {sol.status.value} {sol.message}"
    assert _close(sol.objective, expected), f"{meta['id']}: solver {sol.objective} != {expected}"
    report = solvers.check(model, sol.values)
    assert report.feasible, f"{meta['id']}: checker rejects the solver's point"
    assert _close(report.objective, sol.objective)
    if corr:
        mine = solvers.check(model, _recorded_assignment(corr["solution"], sol.values))
        assert mine.feasible, f"{meta['id']}: the recorded correction solution is infeasible"
        assert _close(mine.objective, corr["our_optimum"])
        assert not _close(sol.objective, corr["label"])
