"""Score a stand-in run (../shared/MODEL-ROLE.md) against the labels of sample.json.

A run folder holds one sub-folder per problem key, each written by /work/standin/bin/start.sh:
problem.txt, out.json (the tool's --json output), queue/ (the relay's requests and replies),
notes.md (the stand-in's notes). The stand-in never saw the labels; they are read only here.

    python benchmarks/standin/score.py RUN_DIR [RUN_DIR ...] [--markdown]

Per problem: status, objective, label(s), agreement at 1e-6 and at 5% (ORLM), LLM calls, repair
rounds, rounds whose findings were warnings only, and the grounding findings left on the final
model. Summary: the same as totals, and grounding findings per 10 problems on the final models
whose optimum equals the label.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from formalize.evaluation.bench import ORLM_TOLERANCE, is_correct  # noqa: E402
from formalize.evaluation.scoring import answer_rounding  # noqa: E402

GROUNDING = ("ungrounded-number", "unused-number", "wrong-derivation", "unused-text-number")


def _grounding_codes(diags: list[dict]) -> list[dict]:
    return [d for d in diags if d.get("code") in GROUNDING or "ground" in str(d.get("code"))]


def score_problem(folder: Path, meta: dict) -> dict:
    out_path = folder / "out.json"
    rec = {"key": folder.name, "label": meta["label"], "label_status": meta["label_status"],
           "labels": sorted({v for v in meta["label_versions"].values() if v is not None}),
           "calls": len(list((folder / "queue").glob("*.request.json")))}
    try:
        out = json.loads(out_path.read_text())
    except (OSError, ValueError):
        return rec | {"status": "no-output", "objective": None, "ok_1e6": False, "ok_5pct": False}
    f = out.get("formalization") or {}
    hist = f.get("history") or []
    repairs = [r for r in hist if r.get("step") == "repair"]
    # a round is "warnings only" when the findings that triggered it held no error
    warn_only = 0
    for prev, r in zip(hist, hist[1:]):
        if r.get("step") == "repair" and prev.get("diagnostics") and not any(
                d.get("severity") == "error" for d in prev["diagnostics"]):
            warn_only += 1
    status, obj = out.get("status"), out.get("objective")
    text = folder / "problem.txt"  # scored after the rounding the text asks of its answer
    rnd = answer_rounding(text.read_text(encoding="utf-8")) if text.is_file() else None
    final_g = _grounding_codes(f.get("diagnostics") or [])
    rec |= {"status": status, "objective": obj, "repairs": len(repairs), "warning_only_rounds": warn_only,
            "final_grounding": [d.get("message", "")[:160] for d in final_g],
            "ok_1e6": bool(is_correct(meta["label"], meta["label_status"], status, obj, 1e-6, rnd)),
            "ok_5pct": bool(is_correct(meta["label"], meta["label_status"], status, obj, ORLM_TOLERANCE, rnd)),
            "any_version_1e6": any(is_correct(v, "ok", status, obj, 1e-6, rnd) for v in rec["labels"])}
    return rec


def score_runs(dirs: list[Path]) -> list[dict]:
    sample = {p["key"]: p for p in json.loads((HERE / "sample.json").read_text())["problems"]}
    rows = []
    for d in dirs:
        for folder in sorted(p for p in d.iterdir() if p.is_dir() and p.name in sample):
            if (folder / "queue").is_dir():
                rows.append(score_problem(folder, sample[folder.name]))
    return rows


def summary(rows: list[dict]) -> dict:
    n = len(rows)
    agree = [r for r in rows if r.get("ok_1e6")]
    return {"problems": n, "agree_1e6": len(agree), "agree_5pct": sum(r.get("ok_5pct", False) for r in rows),
            "agree_any_version_1e6": sum(r.get("any_version_1e6", False) for r in rows),
            "calls_per_problem": round(sum(r["calls"] for r in rows) / max(n, 1), 2),
            "repairs": sum(r.get("repairs", 0) for r in rows),
            "warning_only_rounds": sum(r.get("warning_only_rounds", 0) for r in rows),
            "grounding_findings_on_agreeing_final_models": sum(len(r["final_grounding"]) for r in agree),
            "per_10_agreeing": round(10 * sum(len(r["final_grounding"]) for r in agree) / max(len(agree), 1), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    rows = score_runs(a.runs)
    if a.json:
        print(json.dumps({"rows": rows, "summary": summary(rows)}, indent=1))
        return
    print("| problem | status | objective | label | 1e-6 | 5% | calls | repairs | warn-only rounds | grounding left |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['key']} | {r.get('status')} | {r.get('objective')} | {r['label']} | "
              f"{'yes' if r.get('ok_1e6') else 'no'} | {'yes' if r.get('ok_5pct') else 'no'} | {r['calls']} | "
              f"{r.get('repairs', '-')} | {r.get('warning_only_rounds', '-')} | {len(r.get('final_grounding', []))} |")
    print()
    print(json.dumps(summary(rows), indent=1))


if __name__ == "__main__":
    main()
