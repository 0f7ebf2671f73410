"""The current text-aware verifier on recorded runs of the program with a real model.

    python benchmarks/verifier_on_runs.py RUNS_DIR [--labels SCORE.md] [--tol 1e-6]

RUNS_DIR holds one folder per problem with problem.txt and out.json (the `formalize solve
problem.txt --json` output of a run, e.g. a stand-in measurement; ../shared/MODEL-ROLE.md). For
each run, the current verifier (grounding, static checks, and the solution checks on a solve) is
applied to the first complete model the LLM wrote and to the final model, side by side with what
the run's own verifier said then (the findings recorded in out.json). With `--labels` (a markdown
table with columns `problem`, `label`, `objective`), the final models whose optimum equals the
label are counted apart: every complaint on them is a false alarm unless the model is wrong in a
way the label does not show.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# what the runs' verifier said that the current one decides differently: its grounding codes
OLD_CODES = ("ungrounded-number", "unused-number")


def current(doc: dict, text: str) -> list:
    import solvers
    from formalize.verify.report import check_text

    doc = {k: v for k, v in doc.items() if k != "note"}
    try:
        m = solvers.load_model(doc)
    except solvers.ModelError:
        return []
    try:
        sol = solvers.solve(m, time_limit=30)
    except solvers.ModelError:
        sol = None
    rep = check_text(m, text, solution=sol if sol is not None and sol.ok else None)
    return [d for d in rep.diagnostics() if d.severity in ("error", "warning")]


def labels(path: Path | None) -> dict[str, tuple[float | None, float | None]]:
    out: dict[str, tuple[float | None, float | None]] = {}
    if path is None:
        return out
    lines = [ln for ln in path.read_text().splitlines() if ln.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    for ln in lines[2:]:
        cells = dict(zip(head, (c.strip() for c in ln.strip("|").split("|"))))

        def num(x: str | None) -> float | None:
            try:
                return float(x) if x not in (None, "", "None", "null") else None
            except ValueError:
                return None

        out[cells.get("problem", "")] = (num(cells.get("objective")), num(cells.get("label")))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs")
    ap.add_argument("--labels", default=None)
    ap.add_argument("--tol", type=float, default=1e-6)
    a = ap.parse_args()
    lab = labels(Path(a.labels) if a.labels else None)
    rows = []
    agree_old = agree_new = n_agree = first_old = 0
    for run in sorted(Path(a.runs).iterdir()):
        out, txt = run / "out.json", run / "problem.txt"
        if not (out.is_file() and txt.is_file()):
            continue
        res = json.loads(out.read_text())
        f = res.get("formalization") or {}
        text = txt.read_text(encoding="utf-8")
        hist = f.get("history") or []
        complete = [h for h in hist if h.get("model") and h.get("step") != "read"]
        if not complete or not f.get("model"):
            continue
        first = complete[0]
        old_first = [d for d in first.get("diagnostics", []) if d["code"] in OLD_CODES]
        new_first = current(first["model"], text)
        old_final = [d for d in f.get("diagnostics", []) if d["code"] in OLD_CODES]
        new_final = current(f["model"], text)
        obj, label = lab.get(run.name, (None, None))
        agrees = (obj is not None and label is not None
                  and math.isclose(obj, label, rel_tol=a.tol, abs_tol=a.tol))
        if agrees:
            n_agree += 1
            agree_old += len(old_final)
            agree_new += len(new_final)
        first_old += bool(old_first)
        rows.append((run.name, "yes" if agrees else ("no" if label is not None else "?"),
                     str(len(old_first)), str(len(new_first)), str(len(old_final)), str(len(new_final)),
                     "; ".join(sorted({d.code for d in new_final}))))
        for d in new_final:
            print(f"  {run.name} final: {d}"[:400], file=sys.stderr)
        for d in new_first:
            print(f"  {run.name} first: {d}"[:400], file=sys.stderr)
    head = ("run", "label agrees", "first model: then", "first model: now", "final: then", "final: now",
            "now (codes)")
    w = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
    print(f"\n{len(rows)} runs; first models with a grounding complaint then: {first_old}, "
          f"with any finding now: {sum(1 for r in rows if r[3] != '0')}")
    if lab:
        print(f"final models whose optimum equals the label: {n_agree}; complaints on them then: {agree_old} "
              f"({10 * agree_old / max(n_agree, 1):.2f} per 10), now: {agree_new} "
              f"({10 * agree_new / max(n_agree, 1):.2f} per 10)")


if __name__ == "__main__":
    main()
