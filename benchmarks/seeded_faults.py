"""Recall of the text-aware verifier on seeded faults in correct models (issue 7; target ≥ 90%).

    python benchmarks/seeded_faults.py [--seed 7] [--per-model 3] [--markdown] [--list]

Over every reference pair under problems/ (problem.txt + model.json: a correct model of its
text, on which the verifier raises nothing), two kinds of fault, each seeded alone:
- value: one inline param entry the model uses changed to a number that is *not* in the text
  (no reading of any text number equals it): an off-by-one, two digits swapped, a decimal point
  moved, or 10% off — the misreadings a model makes;
- drop: one constraint removed whose data includes a number that appears exactly once in the
  text (as a quantity) — a forgotten constraint.
A fault counts as flagged when the verifier (grounding, the static checks and, on a solve of the
faulty model, the solution checks) reports an error or advice it did not report on the correct
model. Printed: recall per kind, split into flagged as an error (must be repaired) and flagged as
advice only, and each miss with the reason. The faults are drawn with `--seed`.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Fault:
    pair: str
    kind: str  # value | drop
    what: str
    flagged: str = ""  # "" | error | advice
    codes: tuple[str, ...] = ()


def pairs() -> list[Path]:
    return sorted(p.parent for p in ROOT.glob("problems/**/problem.txt") if (p.parent / "model.json").is_file())


def findings(doc: dict, folder: Path, text: str) -> list:
    import solvers
    from formalize.verify.report import check_text

    m = solvers.load_model(copy.deepcopy(doc), data_dirs=[folder])
    m._base_dir = folder
    try:
        sol = solvers.solve(m, time_limit=30)
    except solvers.ModelError:
        sol = None
    rep = check_text(m, text, solution=sol if sol is not None and sol.ok else None)
    return [d for d in rep.diagnostics() if d.severity in ("error", "warning")]


def text_values(text: str) -> list[float]:
    from formalize.verify.text_numbers import text_numbers

    out = []
    for t in text_numbers(text):
        out += [*t.values, *(-v for v in t.values)]
        if t.percent:
            out.append(t.value / 100)
    return out


def in_text(v: float, vals: list[float]) -> bool:
    return any(math.isclose(v, x, rel_tol=1e-9, abs_tol=1e-12) for x in vals)


def mutants(v: float) -> list[tuple[str, float]]:
    """Misreadings of v, in a fixed order of kinds."""
    out: list[tuple[str, float]] = []
    if v == int(v):
        out += [("off by one", v + 1), ("off by one", v - 1)]
    else:
        text = repr(v)
        dec = len(text.split(".")[1]) if "." in text else 0
        step = 10.0 ** -dec
        out += [("off by one in the last digit", round(v + step, dec)), ("off by one in the last digit", round(v - step, dec))]
    digits = str(int(abs(v))) if v == int(v) else None
    if digits and len(digits) >= 2 and digits[-1] != digits[-2]:
        sw = digits[:-2] + digits[-1] + digits[-2]
        out.append(("two digits swapped", math.copysign(float(sw), v)))
    out += [("decimal point moved", v * 10), ("decimal point moved", v / 10)]
    out.append(("10% off", float(f"{v * 1.1:.3g}")))
    return [(k, x) for k, x in out if x != v and math.isfinite(x)]


def entries(values, path=()):
    """(path, value) of every number in an inline `values` structure."""
    if isinstance(values, dict):
        for k, x in values.items():
            yield from entries(x, (*path, k))
    elif isinstance(values, list):
        for i, x in enumerate(values):
            yield from entries(x, (*path, i))
    elif isinstance(values, (int, float)) and not isinstance(values, bool):
        yield path, float(values)


def set_at(doc: dict, name: str, path: tuple, v: float) -> None:
    p = doc["params"][name]
    if not path:
        p["value"] = v
        return
    node = p["values"]
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = v


def value_faults(doc: dict, text: str, rng: random.Random, per_model: int) -> list[tuple[str, dict]]:
    from formalize.verify.grounding import referenced_names
    from solvers import load_model

    used = referenced_names(load_model(copy.deepcopy(doc))) or set(doc.get("params", {}))
    tv = text_values(text)
    cands = []
    for name, p in (doc.get("params") or {}).items():
        if name not in used or not isinstance(p, dict) or "from" in p or "expr" in p:
            continue
        if p.get("value") is not None:
            cands.append((name, (), float(p["value"])))
        for path, v in entries(p.get("values")):
            cands.append((name, path, v))
    cands = [c for c in cands if c[2] not in (0.0, 1.0, -1.0)]
    rng.shuffle(cands)
    out = []
    for name, path, v in cands[:per_model]:
        opts = [(k, x) for k, x in mutants(v) if not in_text(x, tv)]
        if not opts:
            continue
        kind, x = opts[rng.randrange(len(opts))]
        d = copy.deepcopy(doc)
        set_at(d, name, path, x)
        where = f"{name}{list(path) if path else ''}"
        out.append((f"{where}: {v:g} -> {x:g} ({kind})", d))
    return out


def drop_faults(doc: dict, text: str, rng: random.Random, per_model: int) -> list[tuple[str, dict]]:
    """Constraints whose data includes a number the text states exactly once (a quantity)."""
    from formalize.verify.grounding import _expr_numbers, _parse
    from formalize.verify.text_numbers import text_numbers
    from solvers.diagnostics import Location
    from solvers.expr import set_names

    tns = [t for t in text_numbers(text) if t.demanded]
    once = {}
    for t in tns:
        once[t.value] = once.get(t.value, 0) + 1
    singles = {v for v, n in once.items() if n == 1 and v not in (0.0, 1.0, -1.0)}
    cons = doc.get("constraints") or []
    items = list(cons.items()) if isinstance(cons, dict) else [(c.get("name"), c) for c in cons]
    params = doc.get("params") or {}
    out = []
    for key, c in items:
        expr = c if isinstance(c, str) else c.get("expr", "")
        node = _parse(expr)
        if node is None:
            continue
        nums = {n.value for n in _expr_numbers(node, Location(), set(params))}
        for name in set_names(node):
            p = params.get(name)
            if isinstance(p, (int, float)):
                nums.add(float(p))
            elif isinstance(p, dict):
                if p.get("value") is not None:
                    nums.add(float(p["value"]))
                nums |= {v for _, v in entries(p.get("values"))}
        hit = sorted(nums & singles)
        if not hit:
            continue
        d = copy.deepcopy(doc)
        if isinstance(cons, dict):
            del d["constraints"][key]
        else:
            d["constraints"] = [x for x in d["constraints"] if x.get("name") != key]
        out.append((f"drop {key} (its {', '.join(f'{h:g}' for h in hit[:3])} appears once in the text)", d))
    rng.shuffle(out)
    return out[:per_model]


_BEFORE_JOB = r"""
import json, sys
from pathlib import Path
from solvers import load_model
try:
    from formalize.grounding import ground
except ImportError:
    from formalize.verify.grounding import ground
out = []
for doc, folder, text in json.load(open(sys.argv[1])):
    try:
        r = ground(load_model(doc, data_dirs=[folder]), text)
        out.append(sorted({f"u {m.value} {m.location}" for m in r.ungrounded} | {f"n {t.value} {t.start}" for t in r.unused}))
    except Exception as exc:
        out.append(None)
json.dump(out, open(sys.argv[2], "w"))
"""


def before_recall(cases: list[tuple[str, dict, dict, Path, str]], before: Path) -> dict[str, tuple[int, int]]:
    """(flagged, seeded) per kind with the old grounding (in a subprocess on `before`'s code): a
    fault is flagged when the old code reports an ungrounded or unused number it did not report
    on the correct model. Models the old code cannot load are left out."""
    import os
    import subprocess
    import tempfile

    def strip(d: dict) -> dict:
        return {k: v for k, v in d.items() if k not in ("acknowledged", "assumptions")}

    jobs = []
    for _, doc, bad, folder, text in cases:
        jobs += [[strip(doc), str(folder), text], [strip(bad), str(folder), text]]
    with tempfile.TemporaryDirectory() as d:
        inp, outp = Path(d) / "in.json", Path(d) / "out.json"
        inp.write_text(json.dumps(jobs))
        subprocess.run([sys.executable, "-c", _BEFORE_JOB, str(inp), str(outp)], check=True, cwd=str(before),
                       env={**os.environ, "PYTHONPATH": str(before)}, timeout=1800)
        res = json.loads(outp.read_text())
    out: dict[str, list[int]] = {}
    for i, (kind, *_rest) in enumerate(cases):
        base, got = res[2 * i], res[2 * i + 1]
        if base is None:
            continue
        c = out.setdefault(kind, [0, 0])
        c[1] += 1
        c[0] += got is None or bool(set(got) - set(base))
    return {k: (v[0], v[1]) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-model", type=int, default=3, help="faults of each kind per reference pair")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--list", action="store_true", help="list every fault, not only the misses")
    ap.add_argument("--before", default=None, metavar="CHECKOUT",
                    help="also the recall of the old grounding (e.g. /work/before), on the same faults")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    faults: list[Fault] = []
    cases: list[tuple[str, dict, dict, Path, str]] = []
    for folder in pairs():
        key = str(folder.relative_to(ROOT / "problems"))
        text = (folder / "problem.txt").read_text(encoding="utf-8")
        doc = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        base = {(d.code, str(d.location), d.message) for d in findings(doc, folder, text)}
        for kind, gen in (("value", value_faults), ("drop", drop_faults)):
            for what, bad in gen(doc, text, rng, a.per_model):
                cases.append((kind, doc, bad, folder, text))
                try:
                    new = [d for d in findings(bad, folder, text) if (d.code, str(d.location), d.message) not in base]
                except Exception as exc:  # the fault broke the model itself: the loader says so
                    faults.append(Fault(key, kind, what, "error", (type(exc).__name__,)))
                    continue
                sev = "error" if any(d.severity == "error" for d in new) else ("advice" if new else "")
                faults.append(Fault(key, kind, what, sev, tuple(sorted({d.code for d in new}))))
    rows = []
    for kind in ("value", "drop", "all"):
        fs = [f for f in faults if kind == "all" or f.kind == kind]
        n = len(fs)
        err = sum(f.flagged == "error" for f in fs)
        adv = sum(f.flagged == "advice" for f in fs)
        rows.append((kind, str(n), f"{err + adv} ({(err + adv) / n:.1%})" if n else "-",
                     f"{err} ({err / n:.1%})" if n else "-", f"{adv} ({adv / n:.1%})" if n else "-"))
    head = ("faults", "seeded", "flagged", "as an error", "as advice only")
    if a.markdown:
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        w = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for r in [head, *rows]:
            print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
    if a.before:
        old = before_recall(cases, Path(a.before))
        print(f"\nthe old grounding ({a.before}) on the same faults (models it can load):")
        for kind in ("value", "drop"):
            f, n = old.get(kind, (0, 0))
            print(f"  {kind}: {f} of {n} flagged" + (f" ({f / n:.1%})" if n else ""))
        f, n = sum(v[0] for v in old.values()), sum(v[1] for v in old.values())
        print(f"  all: {f} of {n} flagged" + (f" ({f / n:.1%})" if n else ""))
    shown = faults if a.list else [f for f in faults if not f.flagged]
    print(f"\n{len(pairs())} reference pairs, seed {a.seed}, up to {a.per_model} faults of each kind per pair.")
    print("every fault:" if a.list else "missed:")
    for f in shown:
        print(f"  [{f.kind}] {f.pair}: {f.what} -> {f.flagged or 'MISSED'} {', '.join(f.codes)}")


if __name__ == "__main__":
    main()
