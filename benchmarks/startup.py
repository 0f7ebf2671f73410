"""Start-up cost of the CLI, timed as whole processes (targets: --help ≤ 0.3 s, solve ≤ 1 s).

    python benchmarks/startup.py [--repeat 5]

Prints the median and best wall time of each command over the repeats, side by side with a bare
`python -c pass` in the same run (the interpreter's own floor on this machine).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "problems/examples/knapsack/model.json"
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "formalize --help": [sys.executable, "-m", "formalize.cli.main", "--help"],
    "formalize solve knapsack/model.json": [sys.executable, "-m", "formalize.cli.main", "solve", str(MODEL)],
}
TARGETS = {"formalize --help": 0.3, "formalize solve knapsack/model.json": 1.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    print(f"{'command':42} {'median s':>9} {'best s':>9} {'target s':>9}")
    for name, cmd in COMMANDS.items():
        times = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            r = subprocess.run(cmd, capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - t)
            if r.returncode != 0:
                print(f"{name}: exit {r.returncode}: {r.stderr.decode()[-300:]}")
                break
        tgt = TARGETS.get(name)
        print(f"{name:42} {statistics.median(times):9.3f} {min(times):9.3f} {tgt if tgt else '':>9}")


if __name__ == "__main__":
    main()
