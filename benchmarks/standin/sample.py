"""Draw the held-out problems on which the LLM side is measured with a stand-in model.

The sample is drawn once, with a recorded seed, from the benchmarks of ../shared/datasets and
written to `sample.json` beside this file; problems already formalized in problems/ are excluded,
so that what is measured was never seen by the people who tuned the verifier.

    python benchmarks/standin/sample.py draw            # (re)draws sample.json: never needed again
    python benchmarks/standin/sample.py prepare OUT     # OUT/<key>/problem.txt, no labels
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATASETS = REPO.parent / "shared" / "datasets"
SEED = 20261201
# benchmark -> (version whose text is used, how many problems)
PLAN = {
    "industryor": ("industryor-v2_hf", 8),
    "complexor": ("complexor-llm4or_clean", 5),
    "nlp4lp": ("nlp4lp-llm4or_clean", 7),
    "mamo_complexlp": ("mamo_complexlp-original", 7),
    "optibench": ("optibench-resocratic", 5),
}
CODE_N = 20  # the problems also measured in code mode (seed + 1)


def _records(version: str) -> dict[str, dict]:
    path = DATASETS / version / "normalized.jsonl"
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines()) if r}


def _formalized_ids() -> set[str]:
    ids: set[str] = set()
    for meta in REPO.glob("problems/**/meta.json"):
        m = json.loads(meta.read_text())
        if m.get("id"):
            ids.add(str(m["id"]))
    return ids


def draw() -> list[dict]:
    rng = random.Random(SEED)
    taken = _formalized_ids()
    out = []
    for bench, (version, n) in PLAN.items():
        recs = _records(version)
        clusters = [json.loads(line) for line in
                    (DATASETS / "comparisons" / f"{bench}.jsonl").read_text().splitlines() if line]
        pool = []
        for c in clusters:
            rid = c["ids"].get(version)
            if rid is None or rid not in recs or taken & set(c["ids"].values()):
                continue
            if recs[rid]["answer_status"] not in ("ok", "infeasible"):
                continue
            pool.append((rid, c))
        pool.sort(key=lambda x: x[0])
        for rid, c in rng.sample(pool, n):
            r = recs[rid]
            out.append({"key": re.sub(r"[^A-Za-z0-9_]+", "_", rid), "id": rid, "benchmark": bench,
                        "label": r["answer"], "label_status": r["answer_status"],
                        "label_versions": c["answers"], "all_agree": c.get("all_agree")})
    return out


def prepare(target: Path, keys: list[str] | None = None) -> None:
    sample = json.loads((HERE / "sample.json").read_text())["problems"]
    by_version: dict[str, dict[str, dict]] = {}
    for s in sample:
        if keys and s["key"] not in keys:
            continue
        version = s["id"].split(":", 1)[0]
        recs = by_version.setdefault(version, _records(version))
        folder = target / s["key"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "problem.txt").write_text(recs[s["id"]]["text"].strip() + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("draw")
    p = sub.add_parser("prepare")
    p.add_argument("target", type=Path)
    p.add_argument("--keys", nargs="*")
    a = ap.parse_args()
    if a.cmd == "draw":
        sample = draw()
        keys = [s["key"] for s in sample]
        code_subset = sorted(random.Random(SEED + 1).sample(keys, CODE_N))
        (HERE / "sample.json").write_text(json.dumps(
            {"seed": SEED, "plan": PLAN, "code_subset": code_subset, "problems": sample}, indent=1) + "\n")
        print(f"{len(sample)} problems")
    else:
        prepare(a.target, a.keys)


if __name__ == "__main__":
    main()
