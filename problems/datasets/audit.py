"""Run the verified library through the reference backend and rewrite its tables.

Solves every reference model of problems/datasets (`formalize bench library --model reference`),
then writes, from that run's label audit and corrections.jsonl:
- README.md (repository root): the audit table (per dataset: agree / disagree / cannot express);
- problems/datasets/README.md: the same table and one row per problem;
- problems/datasets/CORRECTIONS.md: every correction with its evidence.

    python problems/datasets/audit.py           # rewrite the files
    python problems/datasets/audit.py --check   # exit 1 (naming the files) when they are stale

tests/test_datasets_solve.py runs the same check, so a landed model needs this script run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from formalize.evaluation.bench import run_bench  # noqa: E402
from formalize.evaluation.library import render_docs  # noqa: E402


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    if argv and not check:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        rep = run_bench("library", model="reference", out=Path(tmp) / "library.jsonl", progress=False,
                        plot=False)
    stale = []
    for path, text in render_docs(rep.audit, HERE).items():
        if path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if not check:
                path.write_text(text, encoding="utf-8")
    print(rep.audit.table_markdown(), end="")
    if check and stale:
        print("stale: " + ", ".join(str(p.relative_to(HERE.parents[1])) for p in stale)
              + " (run python problems/datasets/audit.py)", file=sys.stderr)
        return 1
    print("rewritten: " + (", ".join(str(p.relative_to(HERE.parents[1])) for p in stale) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
