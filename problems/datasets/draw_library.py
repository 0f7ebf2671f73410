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
import os
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _datasets_root() -> Path:
    """The shared dataset collection: $FORMALIZE_DATASETS, else the first ``shared/datasets``
    beside the repository or beside one of its parents (a worktree lives deeper than the clone)."""
    if os.environ.get("FORMALIZE_DATASETS"):
        return Path(os.environ["FORMALIZE_DATASETS"])
    for up in REPO.parents:
        if (up / "shared" / "datasets" / "comparisons").is_dir():
            return up / "shared" / "datasets"
    sys.exit("no shared/datasets found beside the repository; set FORMALIZE_DATASETS")


DATASETS = _datasets_root()
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


def _source(version: str) -> tuple[str | None, str]:
    """(repo@commit, licence) of a dataset version, from its SOURCE.md."""
    src = (DATASETS / version / "SOURCE.md").read_text()
    repo = re.search(r"source repo: (https://github\.com/\S+?)(?: at commit `([0-9a-f]+)`)?\s", src)
    lic = re.search(r"^- licence: (.+?)(?: \(see LICENSE\.source\))?$", src, re.M)
    where = (f"{repo.group(1)}@{repo.group(2)}" if repo.group(2) else repo.group(1)) if repo else None
    return where, lic.group(1) if lic else "see ../LICENSE and ../ATTRIBUTION.md"


def _licence(folder: Path, version: str) -> str:
    """The licence line the benchmark's existing problems carry (one wording per folder)."""
    for meta in sorted(folder.glob("*/meta.json")):
        m = json.loads(meta.read_text())
        if m.get("dataset") == version and m.get("licence") and not m["licence"].startswith("see "):
            return m["licence"]
    return _source(version)[1]


def _attribution(folder: Path, version: str) -> None:
    """LICENSE (the source's licence text) and ATTRIBUTION.md with the current problem list."""
    if not (folder / "LICENSE").is_file():
        (folder / "LICENSE").write_text((DATASETS / version / "LICENSE.source").read_text())
    ids = sorted(json.loads(m.read_text())["id"] for m in folder.glob("*/meta.json"))
    listed = "Problems in this folder: " + ", ".join(f"`{i}`" for i in ids)
    att = folder / "ATTRIBUTION.md"
    if att.is_file():
        text = re.sub(r"^Problems in this folder: .*$", lambda _: listed, att.read_text(), flags=re.M)
    else:
        text = (f"# Attribution: {folder.name}\n\nProblem texts (`problem.txt`, verbatim) and labels "
                f"(`meta.json` `answer`) come from the dataset `{version}` of `../shared/datasets/`. The "
                f"models (`model.json`) were written by hand for formalize.\n\n**Licence.** "
                f"{_licence(folder, version)} (full text in `LICENSE`).\n\n{listed}\n\n"
                f"## Source record (from the dataset's SOURCE.md)\n\n"
                + (DATASETS / version / "SOURCE.md").read_text().replace("# ", "### ", 1))
    att.write_text(text)


def prepare() -> None:
    sample = json.loads((HERE / "library_sample.json").read_text())
    cache: dict[str, dict] = {}
    touched: dict[Path, str] = {}
    for p in sample["problems"]:
        version = p["id"].split(":", 1)[0]
        rec = cache.setdefault(version, _records(version))[p["id"]]
        d = HERE / p["folder"]
        touched[d.parent] = version
        if (d / "meta.json").exists():
            continue
        d.mkdir(parents=True, exist_ok=True)
        (d / "problem.txt").write_text(rec["text"].strip() + "\n")
        repo, _ = _source(version)
        meta = {"id": p["id"], "dataset": version, "benchmark": p["benchmark"], "answer": rec["answer"],
                "answer_status": rec["answer_status"], "answer_raw": rec.get("answer_raw"),
                "label_versions": p["label_versions"], "labels_all_agree": p["all_agree"],
                "licence": _licence(d.parent, version), "source_repo": repo,
                "library_seed": sample["seed"]}
        (d / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    for folder, version in touched.items():
        _attribution(folder, version)


if __name__ == "__main__":
    if sys.argv[1:] == ["draw"]:
        s = draw()
        (HERE / "library_sample.json").write_text(json.dumps(s, indent=1) + "\n")
        print(len(s["problems"]), "problems")
    elif sys.argv[1:] == ["prepare"]:
        prepare()
    else:
        sys.exit(__doc__)
