"""Draw the problems of the verified library (issue 12) at random, with a recorded seed.

Every problem of a benchmark's cross-version comparison file is a candidate, except the held-out
problems on which the LLM side is measured (benchmarks/standin/sample.json); problems already
formalized here are kept if drawn (their models are reviewed again), never chosen on purpose.
Writes library_sample.json beside this file; `prepare` creates the folders with problem.txt and
meta.json (labels of every version, source, licence) for the problems that have none yet.

    python problems/datasets/draw_library.py draw
    python problems/datasets/draw_library.py prepare
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATASETS = REPO.parent / "shared" / "datasets"
SEED = 12_2026
# benchmark -> (version whose text is used, folder here, how many)
PLAN = {
    "nl4opt": ("nl4opt-cpmpy", "nl4opt", 30),
    "mamo_easylp": ("mamo_easylp-original", "mamo_easylp", 20),
    "mamo_complexlp": ("mamo_complexlp-original", "mamo_complexlp", 30),
    "nlp4lp": ("nlp4lp-original", "nlp4lp", 20),
    "industryor": ("industryor-v2_hf", "industryor", 30),
    "complexor": ("complexor-coe", "complexor", 10),
    "optibench": ("optibench-resocratic", "optibench", 10),
}


def _records(version: str) -> dict[str, dict]:
    path = DATASETS / version / "normalized.jsonl"
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines()) if r}


def _held_out() -> set[str]:
    sample = json.loads((REPO / "benchmarks" / "standin" / "sample.json").read_text())
    return {p["id"] for p in sample["problems"]}


def safe_id(rid: str) -> str:
    version, local = rid.split(":", 1)
    local = local.replace("-", "neg") if local.startswith("-") else local
    return re.sub(r"[^A-Za-z0-9_]+", "_", f"{version.split('-', 1)[1]}_{local}")


def draw() -> dict:
    rng = random.Random(SEED)
    held = _held_out()
    out = {"seed": SEED, "plan": {k: list(v) for k, v in PLAN.items()}, "problems": []}
    for bench, (version, folder, n) in PLAN.items():
        recs = _records(version)
        clusters = [json.loads(x) for x in (DATASETS / "comparisons" / f"{bench}.jsonl").read_text().splitlines() if x]
        pool = sorted((c["ids"][version], c) for c in clusters
                      if c["ids"].get(version) in recs and not held & set(c["ids"].values()))
        for rid, c in rng.sample(pool, min(n, len(pool))):
            out["problems"].append({"id": rid, "benchmark": bench, "folder": f"{folder}/{safe_id(rid)}",
                                    "label": recs[rid]["answer"], "label_status": recs[rid]["answer_status"],
                                    "label_versions": c["answers"], "all_agree": c.get("all_agree")})
    return out


def prepare() -> None:
    sample = json.loads((HERE / "library_sample.json").read_text())
    cache: dict[str, dict] = {}
    for p in sample["problems"]:
        version = p["id"].split(":", 1)[0]
        rec = cache.setdefault(version, _records(version))[p["id"]]
        d = HERE / p["folder"]
        if (d / "meta.json").exists():
            continue
        d.mkdir(parents=True, exist_ok=True)
        (d / "problem.txt").write_text(rec["text"].strip() + "\n")
        src = (DATASETS / version / "SOURCE.md").read_text()
        repo = re.search(r"https://github\.com/\S+", src)
        meta = {"id": p["id"], "dataset": version, "benchmark": p["benchmark"], "answer": rec["answer"],
                "answer_status": rec["answer_status"], "answer_raw": rec.get("answer_raw"),
                "label_versions": p["label_versions"], "labels_all_agree": p["all_agree"],
                "source_repo": repo.group(0).rstrip(").,") if repo else None,
                "licence": "see ../LICENSE and ../ATTRIBUTION.md", "library_seed": sample["seed"]}
        (d / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["draw"]:
        s = draw()
        (HERE / "library_sample.json").write_text(json.dumps(s, indent=1) + "\n")
        print(len(s["problems"]), "problems")
    elif sys.argv[1:] == ["prepare"]:
        prepare()
    else:
        sys.exit(__doc__)
