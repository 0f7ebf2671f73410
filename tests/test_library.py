"""The library's records, corrections and label audit (formalize.evaluation.library), and the
runner's library dataset, --labels corrected and audit output (formalize bench)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formalize.cli.main import main
from formalize.evaluation import library
from formalize.evaluation.bench import load_dataset, run_bench
from formalize.llm.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SHARED = next((up / "shared" / "datasets" for up in ROOT.parents
               if (up / "shared" / "datasets" / "comparisons").is_dir()), None)
needs_shared = pytest.mark.skipif(SHARED is None, reason="../shared/datasets not present")
DOLLAR = {"mode": "nearest", "unit": 1.0, "words": "rounded to the nearest dollar"}
CORR = {"p:1": {"id": "p:1", "our_status": "optimal", "our_optimum": 10.0, "kind": "not-optimal",
                "reason": "10 beats 8", "label": 8.0}}


def _corrections() -> list[dict]:
    """The library's recorded corrections (problems/datasets/corrections.jsonl)."""
    lines = (ROOT / "problems" / "datasets" / "corrections.jsonl").read_text().splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def _rec(pid: str, status: str, objective: float | None, label: float | None, **kw: object) -> dict:
    return {"id": pid, "dataset": "d-v", "status": status, "objective": objective, "label": label,
            "label_status": "ok" if label is not None else "missing", **kw}


# ------------------------------------------------------------------------------ the audit
def test_audit_verdicts() -> None:
    metas = {"p:2": {"dataset": "d-orig", "answer": 12.0, "answer_status": "ok", "label_versions": {}}}
    a = library.audit([
        _rec("p:0", "optimal", 5.0, 5.0),                      # agree
        _rec("p:1", "optimal", 10.0, 8.0),                     # disagree, explained by CORR
        _rec("q:2", "optimal", 12.0, 11.0, reference_id="p:2"),  # another version; library label 12
        _rec("p:3", "optimal", 7.0, 6.0),                      # no correction: unexplained
        _rec("p:4", "cannot-express", None, 3.0, note="needs a piecewise-linear cost"),
        _rec("p:5", "no-reference", None, 3.0),
        _rec("p:6", "error", None, 3.0, error="unknown symbol"),
        _rec("p:7", "infeasible", None, None),                 # null label, infeasible: agree
        _rec("p:8", "optimal", 5.0, 9.0, label_original=8.0, label_status_original="ok",
             reference_id="p:1"),  # stale: the correction says 10
        _rec("p:9", "optimal", 15.2351, 15.0, answer_rounding=DOLLAR),  # agree after the rounding asked
        _rec("p:10", "incomplete-text", None, 4.0, note="the demands of stores 2-6"),
        _rec("p:11", "optimal", 15.2351, 16.0, answer_rounding=DOLLAR),  # rounded, still not the label
    ], corrections=CORR, metas=metas)
    v = {e.id: e for e in a.entries}
    assert [v[i].verdict for i in ("p:0", "p:1", "q:2", "p:3", "p:4", "p:5", "p:6", "p:7", "p:8",
                                   "p:9", "p:10", "p:11")] == [
        "agree", "disagree", "disagree", "unexplained", "cannot-express", "not-modelled",
        "unexplained", "agree", "unexplained", "agree", "incomplete-text", "unexplained"]
    assert v["p:9"].rounded == "rounded to the nearest dollar" and not v["p:0"].rounded
    assert "15.2351 so rounded is the label 15" in v["p:9"].reason
    assert v["p:10"].reason == "the demands of stores 2-6"
    assert v["p:1"].kind == "not-optimal" and v["p:1"].reason == "10 beats 8"
    assert v["q:2"].kind == "other-version" and "d-orig label 12" in v["q:2"].reason
    assert "no correction is recorded" in v["p:3"].reason
    assert "unknown symbol" in v["p:6"].reason
    assert "stale correction" in v["p:8"].reason and v["p:8"].label == 8.0  # the original label
    counts = dict(a.counts())
    assert counts["all"]["agree"] == 3 and counts["all"]["unexplained"] == 4
    md = a.to_markdown()
    assert "| dataset | problems | agree | disagree | cannot express | incomplete text | not modelled |" in md
    assert "| d-v | 12 | 3 | 2 | 1 | 1 | 1 | 4 |" in md
    assert "needs a piecewise-linear cost" in md and "10 beats 8" in md
    assert "incomplete-text (1):" in md and "the demands of stores 2-6" in md
    # the column is there when no problem has that verdict (the statuses always show)
    assert "| incomplete text |" in library.audit([_rec("p:0", "optimal", 5.0, 5.0)],
                                                   corrections={}).table_markdown()
    metas = {"p:9": {"benchmark": "b", "label_versions": {}}}
    assert "| agree (rounded as the text asks) |" in library.results_markdown(a, metas)
    assert "| incomplete text |" in library.results_markdown(a, metas)


def test_record_errors() -> None:
    ok = {"library": {"status": "agree", "objective": 5}}
    assert library.record_errors(ok, True) == []
    assert library.record_errors({}, False) == []  # drawn, not modelled yet
    assert "without a library record" in library.record_errors({}, True)[0]
    bad = {"library": {"status": "disagree", "objective": float("nan"), "colour": 1}}
    errs = " | ".join(library.record_errors(bad, True))
    assert "unknown field(s) colour" in errs and "reason is required" in errs
    assert "finite number" in errs
    for status in ("cannot-express", "incomplete-text"):
        assert f"status {status}, but the folder has a model.json" in " ".join(library.record_errors(
            {"library": {"status": status, "objective": None, "reason": "x"}}, True))
        assert library.record_errors({"library": {"status": status, "objective": None, "reason": "x"}},
                                     False) == []
        assert "reason is required" in " ".join(library.record_errors(
            {"library": {"status": status, "objective": None}}, False))
    assert "has no model.json" in " ".join(library.record_errors(ok, False))
    assert library.record_errors({"library": {"status": "agree", "objective": None,
                                              "outcome": "infeasible"}}, True) == []
    assert "maybe" in " ".join(library.record_errors({"library": {"status": "maybe"}}, True))


def test_corrections_file_errors(tmp_path: Path) -> None:
    good = {"id": "a:1", "path": "a/1", "label": 1, "our_optimum": 2, "our_status": "optimal",
            "solution": {}, "label_versions": {}, "kind": "not-optimal", "reason": "r"}
    (tmp_path / "corrections.jsonl").write_text(json.dumps(good) + "\n")
    assert set(library.load_corrections(tmp_path)) == {"a:1"}
    for broken, msg in [({**good, "kind": "typo"}, "kind 'typo' is not one of"),
                        ({k: v for k, v in good.items() if k != "reason"}, "lacks reason"),
                        ({**good, "our_status": "great"}, "our_status 'great'")]:
        (tmp_path / "corrections.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(broken) + "\n")
        with pytest.raises(ConfigError, match=msg) as exc:
            library.load_corrections(tmp_path)
        assert "corrections.jsonl:2" in str(exc.value)
    (tmp_path / "corrections.jsonl").write_text("{not json\n")
    with pytest.raises(ConfigError, match="corrections.jsonl:1: not valid JSON"):
        library.load_corrections(tmp_path)


def test_replace_marked() -> None:
    text = "a\n<!-- s -->\nold\n<!-- e -->\nb\n"
    assert library.replace_marked(text, ("<!-- s -->", "<!-- e -->"), "new\n") == \
        "a\n<!-- s -->\nnew\n<!-- e -->\nb\n"
    with pytest.raises(ConfigError, match="not found"):
        library.replace_marked("no markers", ("<!-- s -->", "<!-- e -->"), "x")


# ------------------------------------------------------------------------------ the runner
def test_library_dataset_names() -> None:
    ds = load_dataset("library/complexor")
    assert ds.label == "library/complexor" and {p.dataset for p in ds.problems} == {"complexor-coe"}
    assert any(p.reference is not None for p in ds.problems)
    with pytest.raises(ConfigError, match="no benchmark 'nosuch'.*nl4opt"):
        load_dataset("library/nosuch")
    with pytest.raises(ConfigError, match="--version does not apply"):
        load_dataset("library", version="sirl")


def test_cli_library_audit_with_corrected_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lib.jsonl"
    rc = main(["bench", "library/complexor", "--model", "reference", "--labels", "corrected",
               "--ids", "prod", "steel4", "netasgn", "--out", str(out), "--no-progress", "--no-plot"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "label audit" in text and "not-attainable" in text and "not-optimal" in text
    assert "100.0%" in text  # corrected labels: every reference model scores
    n_coe = sum(1 for c in _corrections() if c["id"].startswith("complexor-coe:"))
    assert f"labels: corrected — {n_coe} problem(s)" in text  # the note counts the whole dataset
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert recs[0]["labels"] == "corrected"
    prod = next(r for r in recs if r.get("id") == "complexor-coe:prod")
    assert prod["label"] == pytest.approx(167 / 3) and prod["label_original"] == 66
    audit_md = (tmp_path / "lib.audit.md").read_text()
    assert "| complexor-coe | 3 | 1 | 2 | 0 |" in audit_md
    # resuming the same file with the other labels is refused
    rc = main(["bench", "library/complexor", "--model", "reference", "--resume", "--out", str(out),
               "--no-progress", "--no-plot"])
    assert rc == 2 and "labels was 'corrected', now 'original'" in capsys.readouterr().err


@needs_shared
def test_corrections_apply_to_other_versions_only_with_the_same_text(tmp_path: Path) -> None:
    """complexor-llm4or_clean carries the coe text (every coe correction applies, e.g. prod and
    steel4); llmopt rewrites it (its labels stay, and the note says how many corrections did not
    apply)."""
    coe = {c["id"].split(":", 1)[1]: c for c in _corrections() if c["id"].startswith("complexor-coe:")}
    same = run_bench("complexor", model="reference", path=SHARED, version="llm4or_clean",
                     labels="corrected", out=tmp_path / "a.jsonl", progress=False, workers=0, plot=False)
    fixed = {r["id"]: r for r in same.records if "label_original" in r}
    assert set(fixed) == {f"complexor-llm4or_clean:{name}" for name in coe} >= {
        "complexor-llm4or_clean:prod", "complexor-llm4or_clean:steel4"}
    assert fixed["complexor-llm4or_clean:steel4"]["label"] == 130
    # every reference model solves; the one the text's data make infeasible says so (multi)
    assert all(r["status"] in ("optimal", "no-reference") or
               r["status"] == coe[r["id"].split(":", 1)[1]]["our_status"] for r in same.records)
    g = same.summary.overall
    assert g.correct == g.scored  # every reference model matches once the labels are corrected
    other = run_bench("complexor", model="reference", path=SHARED, version="llmopt", labels="corrected",
                      out=tmp_path / "b.jsonl", progress=False, workers=0, plot=False)
    assert not any("label_original" in r for r in other.records)
    assert any(f"{len(coe)} correction(s) not applied" in n for n in other.dataset.notes)
    # the audit of a version whose labels we do not reproduce names the library's label
    e = {x.id: x for x in other.audit.entries}
    assert any(x.verdict == "disagree" for x in e.values())
    assert all(x.verdict != "unexplained" for x in e.values()), [x.reason for x in e.values()]


def test_record_writes_a_verdict_and_refuses_a_contradicted_one(tmp_path: Path) -> None:
    """problems/datasets/audit.py record: the verdict comes from a solve; a disagreement gets its
    correction with our solution, which the checker accepts."""
    import importlib.util
    import shutil

    spec = importlib.util.spec_from_file_location("audit", ROOT / "problems" / "datasets" / "audit.py")
    audit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(audit)
    src = ROOT / "problems" / "datasets" / "nl4opt" / "cpmpy_neg550351289"  # label 136, ours 143
    shutil.copytree(src, tmp_path / "nl4opt" / "x")
    (tmp_path / "corrections.jsonl").write_text("")
    with pytest.raises(SystemExit, match="that is a disagreement, not agree"):
        audit.record("nl4opt/x", "agree", None, "", None, root=tmp_path)
    audit.record("nl4opt/x", "disagree", "misread", "Strictly more caravans. 136 has equal numbers.",
                 None, root=tmp_path)
    meta = library.read_meta(tmp_path / "nl4opt" / "x")
    assert meta["library"] == {"status": "disagree", "objective": 143,
                               "reason": "misread: Strictly more caravans."}
    (corr,) = library.load_corrections(tmp_path).values()
    assert corr["path"] == "nl4opt/x" and corr["our_optimum"] == 143 and corr["label"] == 136
    assert corr["solution"] == {"camel": 9, "truck": 7}
    assert library.record_errors(meta, True) == []
    # recording again replaces the entry instead of adding a second one
    audit.record("nl4opt/x", "disagree", "misread", "Again.", "once", root=tmp_path)
    assert len(library.load_corrections(tmp_path)) == 1
    with pytest.raises(SystemExit, match="kind must be one of"):
        audit.record("nl4opt/x", "disagree", "typo", "r", None, root=tmp_path)


def _audit_script():  # noqa: ANN202
    import importlib.util

    spec = importlib.util.spec_from_file_location("audit", ROOT / "problems" / "datasets" / "audit.py")
    audit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(audit)
    return audit


def test_record_judges_after_the_rounding_the_text_asks_for(tmp_path: Path) -> None:
    """mamo_complexlp-original:188 asks for the least cost "rounded to the nearest dollar": our
    15.2351 agrees with the label 15, and the record says why; a disagreement is refused."""
    import shutil

    audit = _audit_script()
    shutil.copytree(ROOT / "problems" / "datasets" / "mamo_complexlp" / "original_188",
                    tmp_path / "mamo_complexlp" / "x")
    (tmp_path / "corrections.jsonl").write_text("")
    with pytest.raises(SystemExit, match="that is agreement, not disagree"):
        audit.record("mamo_complexlp/x", "disagree", "integrality", "r", None, root=tmp_path)
    audit.record("mamo_complexlp/x", "agree", None, "", None, root=tmp_path)
    rec = library.read_meta(tmp_path / "mamo_complexlp" / "x")["library"]
    assert rec["status"] == "agree" and rec["objective"] == pytest.approx(15.2351, abs=1e-4)
    assert "'rounded to the nearest dollar'" in rec["reason"] and "label 15" in rec["reason"]
    assert library.load_corrections(tmp_path) == {}


def test_record_incomplete_text(tmp_path: Path) -> None:
    """--incomplete-text: a folder without model.json, the missing data named; refused with a model."""
    import shutil

    audit = _audit_script()
    src = ROOT / "problems" / "datasets" / "nl4opt" / "cpmpy_neg550351289"
    shutil.copytree(src, tmp_path / "nl4opt" / "x")
    (tmp_path / "corrections.jsonl").write_text("")
    with pytest.raises(SystemExit, match="has a model.json"):
        audit.record("nl4opt/x", "incomplete-text", None, "the demand", None, root=tmp_path)
    (tmp_path / "nl4opt" / "x" / "model.json").unlink()
    with pytest.raises(SystemExit, match="needs a reason"):
        audit.record("nl4opt/x", "incomplete-text", None, " ", None, root=tmp_path)
    audit.record("nl4opt/x", "incomplete-text", None, "the camels' capacity", None, root=tmp_path)
    meta = library.read_meta(tmp_path / "nl4opt" / "x")
    assert meta["library"] == {"status": "incomplete-text", "objective": None,
                               "reason": "the camels' capacity"}
    assert library.record_errors(meta, False) == []


def test_incomplete_text_in_reference_and_corrected_runs(tmp_path: Path) -> None:
    """mamo_complexlp-original:164 omits most of its data: a reference run lists it as
    incomplete-text (not scored), and --labels corrected leaves it unscored for any run."""
    ids = ["mamo_complexlp-original:164", "mamo_complexlp-original:188"]
    rep = run_bench("library/mamo_complexlp", model="reference", out=tmp_path / "a.jsonl", progress=False,
                    workers=0, plot=False, ids=ids)
    r = {x["id"]: x for x in rep.records}
    assert r[ids[0]]["status"] == "incomplete-text" and "stores 3-8" in r[ids[0]]["note"]
    assert r[ids[1]]["answer_rounding"]["unit"] == 1.0
    g = rep.summary.overall
    assert (g.skipped, g.scored, g.correct) == (1, 1, 1)  # 188: 15.2351 rounds to the label 15
    v = {e.id: e for e in rep.audit.entries}
    assert v[ids[0]].verdict == "incomplete-text" and v[ids[1]].verdict == "agree" and v[ids[1]].rounded
    assert any("1 whose text lacks data" in n for n in rep.dataset.notes)
    c = run_bench("library/mamo_complexlp", model="reference", out=tmp_path / "c.jsonl", progress=False,
                  workers=0, plot=False, ids=ids, labels="corrected")
    rc = {x["id"]: x for x in c.records}
    assert rc[ids[0]]["label_status"] == "incomplete-text" and rc[ids[0]]["label"] is None
    assert rc[ids[0]]["label_original"] == library.read_meta(
        ROOT / "problems" / "datasets" / "mamo_complexlp" / "original_164")["answer"]
    assert "label_original" not in rc[ids[1]]  # an agreement needs no correction
    assert any("1 problem(s) not scored: the text omits data" in n for n in c.dataset.notes)
    assert c.audit.entries[0].verdict in ("incomplete-text", "agree")
