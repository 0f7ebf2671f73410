"""The Pyomo reference programs (`problems/**/model_pyomo.py`) run through code mode for real.

Each reference builds, in idiomatic Pyomo, the same model as the folder's `model.json`; it is
checked by the allow-list, run in the sandboxed subprocess, harvested as arrays with a name table and
solved by HiGHS, and its status and optimum must equal the folder's independently known answer
(`expected.json`, or the dataset label with `corrections.jsonl` taking precedence). This proves
the references equivalent (they feed `benchmarks/tokens.py`) and exercises code mode end to end.
The feasibility problems (sudoku, n-queens: binary assignment formulations, as Pyomo has no
`all_different`) are decoded into our formal model's variables and confirmed by `solvers.check`.
"""

from __future__ import annotations

import json
import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import solvers
from formalize.codemode import solve_code, user_values
from formalize.codemode.sandbox import CodeRun
from solvers.solution import Solution

ROOT = Path(__file__).resolve().parent.parent / "problems"
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/model.json"))
DATASETS = sorted(p.parent for p in (ROOT / "datasets").glob("*/*/model.json"))
REFERENCES = sorted(p.parent for p in ROOT.glob("**/model_pyomo.py"))
CORRECTIONS: dict[str, dict[str, Any]] = {
    c["id"]: c
    for c in (
        json.loads(line)
        for line in (ROOT / "datasets" / "corrections.jsonl").read_text().splitlines()
        if line.strip()
    )
}
FEASIBLE = {"optimal", "feasible"}


def _expected(folder: Path) -> tuple[str, float | None]:
    """(status, objective) the folder's problem must reach: "optimal", "infeasible" or
    "feasible" (any feasible point; no objective)."""
    if (folder / "expected.json").is_file():
        exp = json.loads((folder / "expected.json").read_text())
        return exp["status"], exp["objective"]
    meta = json.loads((folder / "meta.json").read_text())
    corr = CORRECTIONS.get(meta["id"])
    answer = corr["our_optimum"] if corr else meta["answer"]
    return ("infeasible", None) if answer is None else ("optimal", float(answer))


def _ident(folder: Path) -> str:
    return folder.relative_to(ROOT).as_posix()


@pytest.fixture(scope="module")
def runs() -> dict[Path, tuple[Solution, CodeRun]]:
    """Every reference through code mode, a few at a time (each is a subprocess importing Pyomo)."""

    def one(folder: Path) -> tuple[Solution, CodeRun]:
        return solve_code((folder / "model_pyomo.py").read_text(), timeout=60.0, threads=1)

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip(REFERENCES, pool.map(one, REFERENCES)))


def test_inventory() -> None:
    """Every bundled example and at least 12 dataset problems have a Pyomo reference."""
    # code mode harvests a reference as an LP file: a nonlinear example (SCIP) has none
    nonlinear = {f for f in EXAMPLES
                 if json.loads((f / "expected.json").read_text())["class"] in ("NLP", "MINLP")}
    missing = [_ident(f) for f in EXAMPLES if f not in nonlinear and not (f / "model_pyomo.py").is_file()]
    assert not missing, f"examples without model_pyomo.py: {missing}"
    assert sum((f / "model_pyomo.py").is_file() for f in DATASETS) >= 12
    assert all((f / "model.json").is_file() for f in REFERENCES)


@pytest.mark.slow
@pytest.mark.parametrize("folder", REFERENCES, ids=_ident)
def test_reference_reaches_known_answer(
    folder: Path, runs: dict[Path, tuple[Solution, CodeRun]]
) -> None:
    sol, run = runs[folder]
    assert run.ok and run.library == "pyomo" and run.model_format == "arrays", (
        f"{_ident(folder)}: {run.reason}: {'; '.join(str(d) for d in run.diagnostics)}"
    )
    status, objective = _expected(folder)
    got = sol.status.value
    if status == "feasible":
        assert got in FEASIBLE, f"{_ident(folder)}: {got} {sol.message}"
        return
    assert got == status, f"{_ident(folder)}: {got} (expected {status}) {sol.message}"
    if objective is not None:
        assert sol.objective is not None
        assert math.isclose(sol.objective, objective, rel_tol=1e-6, abs_tol=1e-6), (
            f"{_ident(folder)}: code mode {sol.objective} != known optimum {objective}"
        )


def _digit(values: dict[Any, float], r: int, c: int) -> int:
    """The digit of cell (r, c) from the binary x[r, c, d]; a given was fixed to 1, so Pyomo's
    LP writer left it out, and it is the one digit of the cell missing from the values."""
    present = {d: v for (rr, cc, d), v in values.items() if (rr, cc) == (r, c)}
    ones = [d for d, v in present.items() if v > 0.5]
    if ones:
        return ones[0]
    (absent,) = set(range(1, 10)) - set(present)
    return absent


@pytest.mark.slow
def test_sudoku_reference_solution_satisfies_formal_model(
    runs: dict[Path, tuple[Solution, CodeRun]],
) -> None:
    folder = ROOT / "examples" / "sudoku"
    sol, run = runs[folder]
    x = user_values(sol, run)["x"]
    cell = {(r, c): float(_digit(x, r, c)) for r in range(1, 10) for c in range(1, 10)}
    assert [int(cell[1, c]) for c in range(1, 10)] == [5, 3, 4, 6, 7, 8, 9, 1, 2]
    report = solvers.check(solvers.load_model(folder / "model.json"), {"cell": cell})
    assert report.feasible, report


@pytest.mark.slow
def test_n_queens_reference_solution_satisfies_formal_model(
    runs: dict[Path, tuple[Solution, CodeRun]],
) -> None:
    folder = ROOT / "examples" / "n_queens"
    sol, run = runs[folder]
    q = user_values(sol, run)["q"]
    row = {c: float(r) for (r, c), v in q.items() if v > 0.5}
    assert sorted(row) == list(range(1, 9))
    report = solvers.check(solvers.load_model(folder / "model.json"), {"row": row})
    assert report.feasible, report
