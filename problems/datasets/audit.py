"""Record a library verdict, and rewrite the library's tables from a reference run.

    python problems/datasets/audit.py                  # rewrite the tables (below) from a fresh run
    python problems/datasets/audit.py --check          # exit 1 (naming the files) when they are stale
    python problems/datasets/audit.py record FOLDER --agree
    python problems/datasets/audit.py record FOLDER --disagree KIND "evidence ..." [--summary "..."]
    python problems/datasets/audit.py record FOLDER --cannot-express "the construct that is missing"
    python problems/datasets/audit.py record FOLDER --incomplete-text "the data the text omits"

`record` (FOLDER relative to problems/datasets, e.g. nl4opt/cpmpy_686025796) solves the folder's
model.json, refuses a verdict the solve contradicts (--agree when our optimum is not the label,
--disagree when it is; both judged after the rounding problem.txt asks of its answer, as the
runner scores), and writes the `library` record of meta.json — and for --disagree the entry of
corrections.jsonl with our solution's nonzero values (KIND: see corrections kinds in
formalize/evaluation/library.py). --cannot-express (the format lacks a construct) and
--incomplete-text (the text omits data the problem needs; name them) are for a folder without
model.json. Then run the script without arguments to rewrite the tables.

The tables: README.md (repository root) gets the audit table (per dataset: agree / disagree /
cannot express); problems/datasets/README.md the same table and one row per problem;
problems/datasets/CORRECTIONS.md every correction with its evidence. tests/test_datasets_solve.py
runs the --check, so a landed model needs this script run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import solvers  # noqa: E402
from formalize.evaluation import library  # noqa: E402
from formalize.evaluation.bench import run_bench  # noqa: E402
from formalize.evaluation.scoring import answer_rounding, is_correct  # noqa: E402


def tables(check: bool) -> int:
    """Rewrite (or check) the tables from a fresh run of the whole library."""
    with tempfile.TemporaryDirectory() as tmp:
        rep = run_bench("library", model="reference", out=Path(tmp) / "library.jsonl", progress=False,
                        plot=False)
    stale = []
    for path, text in library.render_docs(rep.audit, HERE).items():
        if path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if not check:
                path.write_text(text, encoding="utf-8")
    print(rep.audit.table_markdown(), end="")
    bad = [e for e in rep.audit.entries if e.verdict == library.UNEXPLAINED]
    for e in bad:
        print(f"unexplained: {e.id}: {e.reason}", file=sys.stderr)
    if check and stale:
        print("stale: " + ", ".join(str(p.relative_to(HERE.parents[1])) for p in stale)
              + " (run python problems/datasets/audit.py)", file=sys.stderr)
        return 1
    if not check:
        print("rewritten: " + (", ".join(str(p.relative_to(HERE.parents[1])) for p in stale) or "nothing"))
    return 1 if bad else 0


def _solution(values: dict[str, dict[Any, float]]) -> dict[str, Any]:
    """The nonzero values of a solution, keyed as corrections.jsonl writes them."""
    out: dict[str, Any] = {}
    for name, vals in values.items():
        if list(vals) == [()]:
            out[name] = _tidy(vals[()])
            continue
        nz = {",".join(str(e) for e in (k if isinstance(k, tuple) else (k,))): _tidy(v)
              for k, v in vals.items() if abs(v) > 1e-9}
        if nz:
            out[name] = nz
    return out


def _tidy(v: float) -> float | int:
    return int(round(v)) if abs(v - round(v)) < 1e-9 else v


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    raw = (folder / "meta.json").read_text(encoding="utf-8")
    indent = 2 if raw.startswith('{\n  "') else 1
    (folder / "meta.json").write_text(json.dumps(meta, indent=indent, ensure_ascii=False) + "\n",
                                      encoding="utf-8")


def record(folder_arg: str, status: str, kind: str | None, reason: str, summary: str | None,
           root: Path = HERE) -> int:
    """Solve the folder's model and write its verdict (and correction) under ``root``."""
    folder = (root / folder_arg).resolve()
    meta = library.read_meta(folder)
    corr_path = root / "corrections.jsonl"
    corrections = [json.loads(x) for x in corr_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    corrections = [c for c in corrections if c["id"] != meta["id"]]
    rec: dict[str, Any] = {"status": status}
    if status in library.NO_MODEL:
        if (folder / "model.json").is_file():
            sys.exit(f"{folder_arg}: has a model.json; a problem recorded {status} has none")
        if not reason.strip():
            sys.exit(f"{folder_arg}: {status} needs a reason naming what is missing")
        rec.update(objective=None, reason=reason)
    else:
        model = solvers.load_model(folder / "model.json")
        sol = solvers.solve(model)
        st = sol.status.value
        if st not in library.OUTCOMES:
            sys.exit(f"{folder_arg}: the model did not solve ({st}: {sol.message})")
        if st == "optimal" and not solvers.check(model, sol.values).feasible:
            sys.exit(f"{folder_arg}: the checker rejects the solver's point")
        obj = _tidy(sol.objective) if st == "optimal" else None
        rounding = answer_rounding((folder / "problem.txt").read_text(encoding="utf-8"))
        agrees = is_correct(meta["answer"], meta["answer_status"], st, obj, 1e-6, rounding)
        if agrees != (status == "agree"):
            sys.exit(f"{folder_arg}: ours {st} {obj}, label {meta['answer']}: that is "
                     f"{'agreement' if agrees else 'a disagreement'}, not {status}")
        rec["objective"] = obj
        if st != "optimal":
            rec["outcome"] = st
        if agrees and rounding is not None and not is_correct(meta["answer"], meta["answer_status"],
                                                              st, obj, 1e-6):
            rec["reason"] = (f"rounded as the text asks: '{rounding.words}'; our optimum "
                             f"{library.fmt_num(obj)} so rounded is the label "
                             f"{library.fmt_num(meta['answer'])}")
        if status == "disagree":
            if kind not in library.CORRECTION_KINDS:
                sys.exit(f"kind must be one of {', '.join(library.CORRECTION_KINDS)}")
            first = summary or re.split(r"(?<=[.;])\s", reason.strip())[0]
            rec["reason"] = f"{kind}: {first}"
            corrections.append({
                "id": meta["id"], "path": folder.relative_to(root.resolve()).as_posix(), "label": meta["answer"],
                "our_optimum": obj, "our_status": st,
                "solution": _solution(sol.values) if st == "optimal" else {},
                "label_versions": meta["label_versions"], "kind": kind, "reason": reason})
    meta["library"] = rec
    _write_meta(folder, meta)
    corr_path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in corrections),
                         encoding="utf-8")
    print(f"{meta['id']}: {json.dumps(rec, ensure_ascii=False)}")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["record"]:
        ap = argparse.ArgumentParser(prog="audit.py record", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
        ap.add_argument("folder")
        g = ap.add_mutually_exclusive_group(required=True)
        g.add_argument("--agree", action="store_true")
        g.add_argument("--disagree", nargs=2, metavar=("KIND", "REASON"))
        g.add_argument("--cannot-express", metavar="REASON")
        g.add_argument("--incomplete-text", metavar="MISSING")
        ap.add_argument("--summary", help="one-line reason for meta.json (default: the first sentence)")
        a = ap.parse_args(argv[1:])
        if a.agree:
            return record(a.folder, "agree", None, "", None)
        if a.disagree:
            return record(a.folder, "disagree", a.disagree[0], a.disagree[1], a.summary)
        if a.incomplete_text:
            return record(a.folder, "incomplete-text", None, a.incomplete_text, None)
        return record(a.folder, "cannot-express", None, a.cannot_express, None)
    if argv not in ([], ["--check"]):
        sys.exit(__doc__)
    return tables(check=argv == ["--check"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
