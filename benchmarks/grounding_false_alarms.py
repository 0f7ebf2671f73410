"""Grounding complaints on every correct model we have, before → after this work (issue 7).

    python benchmarks/grounding_false_alarms.py [--before /work/before] [--markdown]

Every folder under problems/ with problem.txt + model.json is a correct model of its text, so
every complaint the verifier raises on it is a false alarm. Columns, side by side in one run:
- before: the code before this session (`--before`, a checkout; run in a subprocess with that
  PYTHONPATH) on the models as they were there — ungrounded numbers + unused text numbers, the
  two complaints it had (both cost a repair round then); a pair the old tree lacks (marked *) is
  read from the current model without its acknowledgements;
- after, models without acknowledgements: the current grounding and wrong-but-valid checks on the
  current models with their `acknowledged` lists removed — what the readings alone fix;
- after: the same on the models as they are (acknowledgements answering the advice): errors,
  advice, and the acknowledged numbers (info, shown with their reasons).
A pair the old code cannot read (format v2 constructs) shows "n/a".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_BEFORE_JOB = r"""
import json, sys
from pathlib import Path
from solvers import load_model
try:
    from formalize.grounding import ground
except ImportError:
    from formalize.verify.grounding import ground
out = {}
for key, model, text in json.load(open(sys.argv[1])):
    try:
        m = load_model(model, data_dirs=[str(Path(model).parent)])
        r = ground(m, Path(text).read_text(encoding="utf-8"))
        out[key] = [len(r.ungrounded), len(r.unused)]
    except Exception as exc:
        out[key] = str(exc).splitlines()[0][:80]
json.dump(out, open(sys.argv[2], "w"))
"""


def pairs() -> list[Path]:
    return sorted(p.parent for p in ROOT.glob("problems/**/problem.txt") if (p.parent / "model.json").is_file())


def before_counts(folders: list[Path], before: Path) -> dict[str, object]:
    """(ungrounded, unused) per pair with the old code on the old models, in a subprocess."""
    jobs = []
    with tempfile.TemporaryDirectory() as d:
        for i, f in enumerate(folders):
            rel = f.relative_to(ROOT)
            old = before / rel
            if (old / "model.json").is_file() and (old / "problem.txt").is_file():
                jobs.append([str(rel), str(old / "model.json"), str(old / "problem.txt")])
            else:  # not in the old tree: the current model without the fields the old code lacks
                doc = json.loads((f / "model.json").read_text(encoding="utf-8"))
                doc.pop("acknowledged", None)
                doc.pop("assumptions", None)
                tmp = Path(d) / f"m{i}" / "model.json"
                tmp.parent.mkdir()
                tmp.write_text(json.dumps(doc))
                for extra in f.iterdir():  # data files beside the model
                    if extra.suffix in (".csv", ".json") and extra.name != "model.json":
                        (tmp.parent / extra.name).write_bytes(extra.read_bytes())
                jobs.append(["+" + str(rel), str(tmp), str(f / "problem.txt")])
        inp, outp = Path(d) / "in.json", Path(d) / "out.json"
        inp.write_text(json.dumps(jobs))
        env = {**os.environ, "PYTHONPATH": str(before)}
        subprocess.run([sys.executable, "-c", _BEFORE_JOB, str(inp), str(outp)], env=env, check=True,
                       cwd=str(before), timeout=900)
        return json.loads(outp.read_text())


def after_counts(folder: Path, acknowledgements: bool) -> tuple[int, int, int]:
    """(errors, advice, acknowledged) of the current verifier (grounding + static checks + the
    solution checks on a solve)."""
    import solvers
    from formalize.verify.report import check_text

    doc = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    if not acknowledgements:
        doc.pop("acknowledged", None)
    m = solvers.load_model(doc, data_dirs=[folder])
    m._base_dir = folder
    sol = solvers.solve(m, time_limit=60)
    rep = check_text(m, (folder / "problem.txt").read_text(encoding="utf-8"),
                     solution=sol if sol.ok else None)
    diags = rep.diagnostics()
    return (sum(d.severity == "error" for d in diags), sum(d.severity == "warning" for d in diags),
            sum(d.code == "acknowledged-number" for d in diags))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="/work/before", help="checkout of the code before this work")
    ap.add_argument("--markdown", action="store_true", help="a markdown table")
    a = ap.parse_args()
    folders = pairs()
    before = Path(a.before)
    old = before_counts(folders, before) if (before / "formalize").is_dir() else {}
    rows, tot = [], {"b_ung": 0, "b_unu": 0, "b_n": 0, "raw_e": 0, "raw_a": 0, "e": 0, "a": 0, "ack": 0,
                     "b_pairs_with": 0, "a_pairs_with": 0}
    for f in folders:
        key = str(f.relative_to(ROOT))
        b = old.get(key)
        newer = b is None and isinstance(old.get("+" + key), list)
        if newer:
            b = old["+" + key]
        raw = after_counts(f, acknowledgements=False)
        now = after_counts(f, acknowledgements=True)
        if isinstance(b, list):
            tot["b_ung"] += b[0]
            tot["b_unu"] += b[1]
            tot["b_n"] += 1
            tot["b_pairs_with"] += bool(b[0] or b[1])
            bs = f"{b[0]} + {b[1]}" + (" *" if newer else "")
        else:
            bs = "n/a"
        tot["raw_e"] += raw[0]
        tot["raw_a"] += raw[1]
        tot["e"] += now[0]
        tot["a"] += now[1]
        tot["ack"] += now[2]
        tot["a_pairs_with"] += bool(now[0] or now[1])
        rows.append((key.removeprefix("problems/"), bs, f"{raw[0]} + {raw[1]}", f"{now[0]} + {now[1]}", str(now[2])))
    head = ("reference pair", "before: ungrounded + unused", "after, no acks: errors + advice",
            "after: errors + advice", "acknowledged")
    total = ("TOTAL", f"{tot['b_ung']} + {tot['b_unu']} on {tot['b_n']} pairs ({tot['b_pairs_with']} with a complaint)",
             f"{tot['raw_e']} + {tot['raw_a']}", f"{tot['e']} + {tot['a']} ({tot['a_pairs_with']} pairs with one)",
             str(tot["ack"]))
    if a.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in [*rows, total]:
            print("| " + " | ".join(r) + " |")
    else:
        w = [max(len(r[i]) for r in [head, *rows, total]) for i in range(len(head))]
        for r in [head, *rows, total]:
            print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
    print(f"\n{len(folders)} reference pairs; before = {before} (old code, old models; * = a pair the old tree "
          "lacks: the old code on the current model without its acknowledgements), after = this tree.")


if __name__ == "__main__":
    main()
