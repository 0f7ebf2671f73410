"""Turn a stand-in run (../shared/MODEL-ROLE.md) into replay tests: real model output, offline.

For each problem folder of a run (written by the stand-in's start.sh: problem.txt, out.json,
queue/N.request.json + N.reply.txt), writes tests/replays/<run>/<key>/ with

  problem.txt    the dataset's text, verbatim
  replies.jsonl  the model's replies in order, one {"content": ...} a line (the script format of
                 ../shared/tools/fake_provider.py)
  meta.json      dataset id, licence and source (from ../shared/datasets), the label(s), and
                 what the recorded run ended with: mode, status, objective, calls

tests/test_replays.py replays each folder through fake_provider.py against the current code and
asserts that it takes the same path (the same number of calls) to the same optimum. Where a
round of the recorded run was a false alarm since fixed, add "expect": {"calls": N, "why": ...}
to meta.json by hand: the replay must then take N calls. Only runs
that ended with a solution are kept (a run the stand-in abandoned has nothing to hold the code to).

    python benchmarks/standin/record_replays.py RUN_DIR --name ir_after [--mode ir]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "problems" / "datasets"))

from draw_library import _source  # noqa: E402


def record(run: Path, name: str, out_root: Path) -> list[str]:
    """Write one replay folder per solved problem of `run`; return their keys."""
    sample = {p["key"]: p for p in json.loads((HERE / "sample.json").read_text())["problems"]}
    kept = []
    for folder in sorted(p for p in run.iterdir() if (p / "out.json").is_file()):
        meta = sample.get(folder.name)
        try:
            out = json.loads((folder / "out.json").read_text())
        except ValueError:
            continue
        if meta is None or out.get("objective") is None:
            continue
        n = len(list((folder / "queue").glob("*.request.json")))
        replies = [(folder / "queue" / f"{i}.reply.txt").read_text(encoding="utf-8") for i in range(1, n + 1)]
        version = meta["id"].split(":")[0]
        repo, licence = _source(version)
        dest = out_root / name / folder.name
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        shutil.copyfile(folder / "problem.txt", dest / "problem.txt")
        (dest / "replies.jsonl").write_text("".join(json.dumps({"content": r}) + "\n" for r in replies),
                                            encoding="utf-8")
        usage = out.get("usage") or {}
        (dest / "meta.json").write_text(json.dumps({
            "id": meta["id"], "dataset": version, "licence": licence, "source_repo": repo,
            "label": meta["label"], "label_versions": meta["label_versions"],
            "recorded": {"run": name, "mode": out.get("mode"), "status": out.get("status"),
                         "objective": out.get("objective"), "calls": usage.get("calls", n),
                         "solve_seconds": round((out.get("solution") or {}).get("solve_time") or 0.0, 2)},
        }, indent=2) + "\n", encoding="utf-8")
        kept.append(folder.name)
    return kept


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--name", required=True, help="folder under tests/replays (e.g. ir_after)")
    ap.add_argument("--out", type=Path, default=REPO / "tests" / "replays")
    a = ap.parse_args()
    kept = record(a.run, a.name, a.out)
    print(f"{len(kept)} replays written to {a.out / a.name}")


if __name__ == "__main__":
    main()
