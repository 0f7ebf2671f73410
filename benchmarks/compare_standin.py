"""A recorded comparison-mode run with a stand-in model (issue 11, item 6).

A stand-in answers as the model through ../shared/tools/relay_provider.py (method in
../shared/MODEL-ROLE.md). This script drives `formalize compare` against that relay: two hard
families over a size ladder (values and objective variants) and the trace variant, each leg
stopping after the size where answers fail (or when its share of the time budget is used), one
request at a time so that the model's seconds are its own. It writes per leg the table
(sweep.md, table.txt), CSV (sweep.csv, instances.csv, answers.csv), JSON and the plot
(sweep.png), and over all legs summary.md: how the run was obtained, on how many instances,
and the breaking size of every family and variant.

    python benchmarks/compare_standin.py --port 8811 --out RUN [--minutes 70] [--plan default]
    python benchmarks/compare_standin.py --out RUN --summarize      # summary.md from RUN only
    python benchmarks/compare_standin.py --port 8811 --out RUN --dry-run   # print the commands
    python benchmarks/compare_standin.py --port 8811 --out RUN \
        --leg tardiness:8,10,15,20:values,objective --leg tsp:12,16:trace:1   # legs of your own
    python benchmarks/compare_standin.py --out RUN --publish DIR   # summary + tables + plots
                                                                   # into DIR (no transcripts)

Every leg has its own response cache (RUN/LEG/cache): after an interruption, the same command
resumes, replaying answered requests with their recorded seconds (the relay must run again for
the requests not yet answered). Plans: `default` (knapsack-strong and tsp, values and objective,
seeds 0-1; tsp nearest neighbour + 2-opt traces), `hard` (job shop, weighted tardiness, GAP class
D and knapsack-spanner, the values form only, seeds 0-1: no instance comes back in a second form
that a model could answer from memory), `next` (the families not yet swept, values only, and
knapsack DP traces) and `smoke` (the smallest sizes, one seed: to check the mechanics);
`--leg` gives legs of your own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Leg:
    """One `formalize compare` sweep of the run."""

    name: str  # its folder under the run directory
    family: str
    sizes: tuple[int, ...]
    variants: tuple[str, ...]
    seeds: int
    weight: float  # share of the time budget
    stop_after_failures: int = 2


PLANS: dict[str, tuple[Leg, ...]] = {
    "default": (  # steep ladders: a strong model's answers should fail within them
        Leg("knapsack-strong", "knapsack-strong", (5, 10, 20, 40),
            ("values", "objective"), 2, 0.4),
        Leg("tsp", "tsp", (5, 8, 12, 16), ("values", "objective"), 2, 0.4),
        Leg("tsp-trace", "tsp", (5, 8), ("trace",), 2, 0.2),
    ),
    "hard": (  # families with no short certificate; one form per instance (values), so no
        # request repeats an instance the model has seen in another form
        Leg("jobshop", "jobshop", (3, 4, 5, 6, 8), ("values",), 2, 0.3),
        Leg("tardiness", "tardiness", (5, 8, 10, 15, 20), ("values",), 2, 0.25),
        Leg("gap-d", "gap-d", (5, 10, 15, 20), ("values",), 2, 0.25),
        Leg("knapsack-spanner", "knapsack-spanner", (10, 20, 50, 100), ("values",), 2, 0.2),
    ),
    # after 'default' and 'hard': the families not yet swept, and the knapsack DP traces
    "next": (
        Leg("gap-e", "gap-e", (10, 15, 20), ("values",), 2, 0.2),
        Leg("facility", "facility", (10, 15, 20), ("values",), 2, 0.2),
        Leg("setcover", "setcover", (10, 15, 20, 30), ("values",), 2, 0.2),
        Leg("binpacking", "binpacking", (3, 4, 6, 8), ("values",), 2, 0.2),
        Leg("knapsack-strong-trace", "knapsack-strong", (5, 8, 10), ("trace",), 2, 0.2),
    ),
    "smoke": (
        Leg("knapsack-strong", "knapsack-strong", (5,), ("values", "objective"), 1, 0.4),
        Leg("tsp", "tsp", (5,), ("values", "objective"), 1, 0.4),
        Leg("tsp-trace", "tsp", (5,), ("trace",), 1, 0.2),
    ),
}


def parse_leg(spec: str) -> Leg:
    """A leg from FAMILY:SIZES:VARIANTS[:SEEDS[:WEIGHT]] (sizes and variants comma-separated)."""
    parts = spec.split(":")
    if not 3 <= len(parts) <= 5:
        raise ValueError(f"--leg {spec!r}: write FAMILY:SIZES:VARIANTS[:SEEDS[:WEIGHT]], e.g. "
                         f"tardiness:8,10,15:values,objective:2")
    family, sizes, variants = parts[:3]
    try:
        size_list = tuple(int(x) for x in sizes.split(",") if x)
        seeds = int(parts[3]) if len(parts) > 3 else 2
        weight = float(parts[4]) if len(parts) > 4 else 1.0
    except ValueError:
        raise ValueError(f"--leg {spec!r}: sizes and seeds must be integers, the weight a "
                         f"number") from None
    names = tuple(v for v in variants.split(",") if v)
    if not size_list or not names or seeds < 1 or not weight > 0:
        raise ValueError(f"--leg {spec!r}: needs sizes, variants, seeds >= 1 and a positive "
                         f"weight")
    name = f"{family}-trace" if names == ("trace",) else family
    return Leg(name, family, size_list, names, seeds, weight,
               stop_after_failures=min(2, seeds * len(names)))


def leg_command(leg: Leg, port: int, out: Path, budget_s: float, timeout_s: float) -> list[str]:
    """The `formalize compare` command of one leg."""
    return [sys.executable, "-m", "formalize.cli.main", "compare", "--family", leg.family,
            "--sizes", ",".join(map(str, leg.sizes)), "--seeds", str(leg.seeds),
            "--variants", ",".join(leg.variants), "--model", "openai/relay",
            "--api-base", f"http://127.0.0.1:{port}/v1", "--timeout", f"{timeout_s:g}",
            "--stop-after-failures", str(leg.stop_after_failures),
            "--stop-after-seconds", f"{max(1.0, budget_s):.0f}", "--concurrency", "1",
            "--verbose", "--out", str(out / leg.name)]


def run(legs: tuple[Leg, ...], port: int, out: Path, minutes: float, timeout_s: float,
        dry_run: bool) -> int:
    """Run the legs in order; each gets its share of what is left of the budget."""
    out.mkdir(parents=True, exist_ok=True)
    deadline = time.time() + 60 * minutes
    worst, spent = 0, 0.0  # spent: a dry run's legs use their whole share
    for k, leg in enumerate(legs):
        rest = sum(x.weight for x in legs[k:])
        budget = max(0.0, deadline - time.time() - spent) * leg.weight / rest
        spent += budget if dry_run else 0.0
        cmd = leg_command(leg, port, out, budget, timeout_s)
        env = {**os.environ, "PYTHONPATH": str(REPO), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
               "FORMALIZE_CACHE_DIR": str(out / leg.name / "cache"), "COLUMNS": "120"}
        print(f"[{time.strftime('%H:%M:%S')}] leg {leg.name}: budget {budget / 60:.0f} min\n  "
              + " ".join(cmd), flush=True)
        if dry_run:
            continue
        (out / leg.name).mkdir(parents=True, exist_ok=True)
        with open(out / leg.name / "table.txt", "w") as table, \
                open(out / leg.name / "progress.log", "w") as log:
            rc = subprocess.run(cmd, env=env, stdout=table, stderr=log, cwd=out).returncode
        print(f"[{time.strftime('%H:%M:%S')}] leg {leg.name}: exit {rc}", flush=True)
        worst = max(worst, rc)
    if not dry_run:
        path = write_summary(out, legs, minutes)
        print(f"wrote {path}")
    return worst


# ------------------------------------------------------------------------------- the summary


def breaking(table: list[dict], variant: str) -> dict[str, int | None]:
    """Per variant: the largest size up to which every answer was right, the first size with a
    wrong answer, and the first size at which at most half the answers were right."""
    rows = sorted((r for r in table if r["variant"] == variant), key=lambda r: r["size"])
    all_right = first_wrong = half = None
    for r in rows:
        if r["correct_rate"] == 1 and first_wrong is None:
            all_right = r["size"]
        if r["correct_rate"] < 1 and first_wrong is None:
            first_wrong = r["size"]
        if r["correct_rate"] <= 0.5 and half is None:
            half = r["size"]
    return {"all_right_up_to": all_right, "first_wrong_at": first_wrong, "half_wrong_at": half}


def _stopped(text: str) -> str:
    """The ladder's stop in a few words: why, and after which size."""
    if not text:
        return "no (every size ran, or the last one failed)"
    after = text.split(":", 1)[0].removeprefix("ladder stopped ")
    return f"{after}, {'time budget' if 'time budget' in text else 'answers failed'}"


def _size_text(x: int | None, none: str) -> str:
    return none if x is None else str(x)


def write_summary(out: Path, legs: tuple[Leg, ...], minutes: float | None = None) -> Path:
    """summary.md over the legs that ran: how it was obtained, the breaking sizes, each leg's
    table (and per-instance verdicts) and plot."""
    lines = ["# Comparison mode with a stand-in model", "",
             "Obtained with `benchmarks/compare_standin.py`: a stand-in model answered every "
             "request through ../shared/tools/relay_provider.py (method: ../shared/MODEL-ROLE.md; "
             "it worked in its head, with no tools, and never saw the optima). One request at a "
             "time, each a fresh conversation, in a seeded shuffled order per size. Model seconds "
             "include the relay's polling (about 2-3 s per answer); output tokens are the relay's "
             "estimate from the reply's length (characters / 4), not the model's reasoning. "
             "One strong model on a small sample: not a leaderboard entry.", ""]
    if minutes is not None:
        lines += [f"Time budget {minutes:g} min over all legs.", ""]
    head = ["leg", "family", "variant", "instances", "sizes run", "all right up to",
            "first wrong at", "at most half right from", "ladder stopped"]
    rows, parts = [], []
    for leg in legs:
        doc_path = out / leg.name / "sweep.json"
        if not doc_path.is_file():
            rows.append([leg.name, leg.family, ", ".join(leg.variants), "0", "—", "—", "—", "—",
                         "did not run"])
            continue
        doc = json.loads(doc_path.read_text())
        for v in doc["variants"]:
            b = breaking(doc["table"], v)
            n = sum(1 for p in doc["points"] for a in p["answers"] if a["variant"] == v)
            rows.append([leg.name, doc["family"], v, str(n),
                         ", ".join(map(str, doc["sizes_run"])),
                         _size_text(b["all_right_up_to"], "none"),
                         _size_text(b["first_wrong_at"], "never (all right)"),
                         _size_text(b["half_wrong_at"], "never"),
                         _stopped(doc.get("stopped", ""))])
        md = (out / leg.name / "sweep.md").read_text() if (out / leg.name / "sweep.md").is_file() \
            else ""
        parts += [f"## {leg.name}", "", md.strip(), "",
                  f"![{leg.name}]({leg.name}/sweep.png)", "",
                  f"Files: `{leg.name}/sweep.csv` (table), `{leg.name}/instances.csv`, "
                  f"`{leg.name}/answers.csv`, `{leg.name}/sweep.json`.", ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", *parts]
    path = out / "summary.md"
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path


def discover(out: Path) -> tuple[Leg, ...]:
    """The legs a run directory holds (folders with sweep.json), in the order they ran."""
    found = sorted((p.stat().st_mtime, p.parent) for p in out.glob("*/sweep.json"))
    legs = []
    for _, d in found:
        doc = json.loads((d / "sweep.json").read_text())
        legs.append(Leg(d.name, doc["family"], tuple(doc["sizes"]), tuple(doc["variants"]),
                        len(doc["seeds"]), 1.0))
    return tuple(legs)


PUBLISHED = ("sweep.md", "sweep.csv", "instances.csv", "answers.csv", "sweep.png", "table.txt")


def publish(out: Path, legs: tuple[Leg, ...], target: Path) -> list[Path]:
    """Copy summary.md and each leg's tables, CSV and plot (not the transcripts or the cache)
    from the run directory into `target` (e.g. a folder of the repository)."""
    import shutil

    write_summary(out, legs)
    target.mkdir(parents=True, exist_ok=True)
    copied = [Path(shutil.copy2(out / "summary.md", target / "summary.md"))]
    for leg in legs:
        for name in PUBLISHED:
            src = out / leg.name / name
            if src.is_file():
                (target / leg.name).mkdir(exist_ok=True)
                copied.append(Path(shutil.copy2(src, target / leg.name / name)))
    return copied


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, help="the relay's port on 127.0.0.1")
    ap.add_argument("--out", required=True, type=Path, help="the run directory")
    ap.add_argument("--plan", choices=sorted(PLANS), default="default")
    ap.add_argument("--leg", action="append", default=[], metavar="SPEC",
                    help="a leg instead of the plan's (repeatable): FAMILY:SIZES:VARIANTS[:SEEDS"
                         "[:WEIGHT]], e.g. tardiness:8,10,15,20:values,objective:2 (a leg "
                         "folder is named after the family, with -trace for traces only)")
    ap.add_argument("--minutes", type=float, default=70.0,
                    help="time budget over all legs (a leg starts no new size past its share)")
    ap.add_argument("--timeout", type=float, default=7200.0,
                    help="seconds to wait for one answer (default 7200)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands only")
    ap.add_argument("--summarize", action="store_true",
                    help="write summary.md from the run directory's legs, run nothing")
    ap.add_argument("--publish", type=Path, default=None, metavar="DIR",
                    help="copy summary.md and the legs' tables, CSV and plots into DIR, run "
                         "nothing")
    a = ap.parse_args(argv)
    try:
        legs = tuple(parse_leg(x) for x in a.leg) if a.leg else PLANS[a.plan]
    except ValueError as exc:
        ap.error(str(exc))
    if (a.publish is not None or a.summarize) and not a.leg:
        legs = discover(a.out) or legs
    if a.publish is not None:
        files = publish(a.out, legs, a.publish)
        print(f"copied {len(files)} files into {a.publish}")
        return 0
    if a.summarize:
        print(f"wrote {write_summary(a.out, legs)}")
        return 0
    if a.port is None:
        ap.error("--port is required (the relay's port), except with --summarize")
    return run(legs, a.port, a.out.resolve(), a.minutes, a.timeout, a.dry_run)


if __name__ == "__main__":
    sys.exit(main())
