"""The verified library (problems/datasets): every reference model is solved and its outcome
compared with its recorded verdict and the dataset's label (or with the recorded correction where
the two disagree); every solution, and every recorded correction solution, is confirmed by the
independent checker; the library runs through the benchmark runner's reference backend, whose
label audit must explain every disagreement and match the tables in the READMEs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import solvers
from formalize.evaluation import library
from formalize.evaluation.bench import is_correct, run_bench
from formalize.evaluation.scoring import answer_rounding

ROOT = Path(__file__).resolve().parent.parent / "problems" / "datasets"
FOLDERS = library.folders(ROOT)
MODELLED = [f for f in FOLDERS if (f / "model.json").is_file()]
CORRECTIONS = library.load_corrections(ROOT)
SAMPLE = json.loads((ROOT / "library_sample.json").read_text())


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


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
    """Every drawn problem has its folder, complete, with licence files per benchmark."""
    drawn = {p["id"]: p for p in SAMPLE["problems"]}
    assert len(drawn) == sum(n for _, _, n in SAMPLE["plan"].values()) == 150
    by_id = {}
    for folder in FOLDERS:
        meta = library.read_meta(folder)
        by_id[meta["id"]] = folder
        assert meta["benchmark"] == folder.parent.name
        for key in ("id", "dataset", "answer", "answer_status", "label_versions", "licence", "source_repo"):
            assert key in meta, f"{folder}: meta.json lacks {key}"
        assert (folder / "problem.txt").read_text().strip()
        assert (ROOT / meta["benchmark"] / "LICENSE").is_file()
        assert (ROOT / meta["benchmark"] / "ATTRIBUTION.md").is_file()
        assert f"`{meta['id']}`" in (ROOT / meta["benchmark"] / "ATTRIBUTION.md").read_text()
    for rid, p in drawn.items():
        assert rid in by_id, f"drawn problem {rid} has no folder (run draw_library.py prepare)"
        assert by_id[rid].relative_to(ROOT).as_posix() == p["folder"]
        assert library.read_meta(by_id[rid])["library_seed"] == SAMPLE["seed"]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f"{f.parent.name}/{f.name}")
def test_library_record(folder: Path) -> None:
    """The verdict in meta.json is well formed and fits the folder (model or cannot-express)."""
    meta = library.read_meta(folder)
    errors = library.record_errors(meta, (folder / "model.json").is_file())
    assert not errors, f"{meta['id']}: " + "; ".join(errors)
    rec = meta.get("library")
    if rec is not None:
        assert (rec["status"] == "disagree") == (meta["id"] in CORRECTIONS), (
            f"{meta['id']}: status {rec['status']} but corrections.jsonl "
            + ("has" if meta["id"] in CORRECTIONS else "lacks") + " an entry")


def test_corrections_are_disagreements() -> None:
    """Each correction names an existing problem, quotes its labels and differs from the label."""
    ids = {library.read_meta(f)["id"]: f for f in FOLDERS}
    for cid, corr in CORRECTIONS.items():
        assert cid in ids, f"correction for unknown problem {cid}"
        meta = library.read_meta(ids[cid])
        assert ids[cid].relative_to(ROOT).as_posix() == corr["path"]
        assert corr["label"] == meta["answer"]
        assert corr["label_versions"].keys() == meta["label_versions"].keys()
        assert all(library.close(v, meta["label_versions"][k]) for k, v in corr["label_versions"].items())
        assert corr["reason"].strip() and corr["kind"] in library.CORRECTION_KINDS
        rounding = answer_rounding((ids[cid] / "problem.txt").read_text())
        assert not is_correct(meta["answer"], meta["answer_status"], corr["our_status"],
                              corr["our_optimum"], 1e-6, rounding), f"{cid}: the correction agrees with the label"


@pytest.mark.parametrize("folder", MODELLED, ids=lambda f: f"{f.parent.name}/{f.name}")
def test_solve_matches_verdict(folder: Path) -> None:
    """Solve; the outcome is the recorded one, agrees with the label exactly when the verdict says
    so, and the checker confirms the solver's point (and the correction's recorded point)."""
    meta = library.read_meta(folder)
    rec = meta["library"]
    model = solvers.load_model(folder / "model.json")
    sol = solvers.solve(model)
    assert sol.status.value == library.outcome_of(rec), f"{meta['id']}: {sol.status.value} {sol.message}"
    agrees = is_correct(meta["answer"], meta["answer_status"], sol.status.value, sol.objective, 1e-6,
                        answer_rounding((folder / "problem.txt").read_text()))
    assert agrees == (rec["status"] == "agree"), (
        f"{meta['id']}: solver {sol.status.value} {sol.objective}, label {meta['answer']}, "
        f"recorded {rec['status']}")
    if sol.status.value != "optimal":
        return
    assert _close(sol.objective, rec["objective"]), f"{meta['id']}: solver {sol.objective} != {rec['objective']}"
    report = solvers.check(model, sol.values)
    assert report.feasible, f"{meta['id']}: checker rejects the solver's point"
    assert _close(report.objective, sol.objective)
    corr = CORRECTIONS.get(meta["id"])
    if corr:
        assert _close(corr["our_optimum"], sol.objective)
        mine = solvers.check(model, _recorded_assignment(corr["solution"], sol.values))
        assert mine.feasible, f"{meta['id']}: the recorded correction solution is infeasible"
        assert _close(mine.objective, corr["our_optimum"])


@pytest.fixture(scope="module")
def library_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The whole library through the benchmark runner's reference backend, once."""
    out = tmp_path_factory.mktemp("library") / "library.jsonl"
    return run_bench("library", model="reference", out=out, progress=False, workers=0, plot=False)


def test_library_runs_through_the_reference_backend(library_run: Any) -> None:
    """Every modelled problem solves; the audit explains every disagreement; its verdicts are the
    recorded ones; corrected labels make every modelled problem correct."""
    rep = library_run
    assert len(rep.records) == len(FOLDERS)
    a = rep.audit
    unexplained = [(e.id, e.reason) for e in a.entries if e.verdict == library.UNEXPLAINED]
    assert not unexplained, unexplained
    metas = {library.read_meta(f)["id"]: library.read_meta(f) for f in FOLDERS}
    for e in a.entries:
        rec = metas[e.id].get("library")
        want = rec["status"] if rec else library.NOT_MODELLED
        assert e.verdict == want, f"{e.id}: audit {e.verdict}, meta.json {want}"
    counts = dict(a.counts())["all"]
    assert counts["disagree"] == len(CORRECTIONS)
    assert counts["agree"] + counts["disagree"] == len(MODELLED)
    # an agreement that needs the rounding the text asks for says so, and meta.json records why
    for e in a.entries:
        if e.rounded:
            assert e.verdict == "agree" and e.rounded in metas[e.id]["library"]["reason"], e.id
    assert rep.reports["audit"].read_text().count("|") > 20
    g = rep.summary.overall
    assert g.scored == len(MODELLED) and g.correct == counts["agree"]


def test_corrected_labels_score_every_model(tmp_path: Path) -> None:
    """--labels corrected: the reference models then match every label they can be scored on."""
    ids = [library.read_meta(f)["id"] for f in MODELLED if library.read_meta(f)["id"] in CORRECTIONS]
    ids += [library.read_meta(f)["id"] for f in MODELLED[:5]]
    rep = run_bench("library", model="reference", out=tmp_path / "c.jsonl", progress=False,
                    workers=0, plot=False, labels="corrected", ids=list(dict.fromkeys(ids)))
    g = rep.summary.overall
    assert g.scored == len(set(ids)) and g.correct == g.scored
    corrected = [r for r in rep.records if "label_original" in r]
    assert len(corrected) == len(CORRECTIONS)
    assert all(r["label_original"] == CORRECTIONS[r["id"]]["label"] for r in corrected)
    # the audit still judges the original labels
    assert sum(e.verdict == "disagree" for e in rep.audit.entries) == len(CORRECTIONS)


def test_readme_tables_are_current(library_run: Any) -> None:
    """The audit table of README.md, the results of problems/datasets/README.md and CORRECTIONS.md
    are what problems/datasets/audit.py writes from this run."""
    stale = [p for p, text in library.render_docs(library_run.audit, ROOT).items()
             if p.read_text(encoding="utf-8") != text]
    assert not stale, f"stale: {[str(p) for p in stale]}; run python problems/datasets/audit.py"
