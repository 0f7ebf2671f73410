"""The code-mode verifier on every reference Pyomo program of the library (issue 10).

Each `model_pyomo.py` beside a `problem.txt` (problems/datasets/*/*, problems/examples/*) is a
correct program for its text. For each, side by side: the program run in the sandbox and its
model solved (the harvest), the text-aware verifier on it (`check_program`: false alarms are
its errors — `ungrounded-number` and the like —, its `unused-number` advice and `unused-data`),
the formal model's grounding of the reference `model.json` when there is one (the same counts,
for comparison), and the lift (`codemode/lift.py`): lifted or why not, and whether the lifted
model solves to the harvest's optimum.

    python benchmarks/codemode_verify.py [--limit N] [-v]

Measured 2026-12-02 (2 shared cores, 102 s): 51 programs, all ran; errors (false alarms) on
1/51 — v2_hf_69's cutting patterns (pieces per bar computed: 2 is not in the text); unused-number
advice on 3/51 (7 numbers: v2_hf_26's "24-hour" and "8 hours" are built into the shift cover
pattern, not written; v2_hf_69's bar length 10; diet's serving sizes 28, 100, 237, 170);
unused-data 0/51. The formal models of the same problems: 0 errors, 0 unused. Lifted: 51/51; the
lifted model solves to the harvest's optimum on 48/48 (the other 3 harvests ended without an
optimum to compare).

Measured again 2026-12-02 (code-verify, main 6f85e82 against the branch, side by side, 121 s and
128 s on 2 shared cores): errors 1/51 -> 0/51 (v2_hf_69 states its patterns' derivation in a
`# derived: 10 // 3 = 3, (10 - 4) // 3 = 2, 10 // 4 = 2` comment, as its model.json's source
does: the verifier checks the arithmetic and its operands, and the bar length 10 is used by it);
unused-number advice 3/51 (7 numbers) -> 2/51 (6: v2_hf_26's 24 and 8, diet's four serving
sizes: numbers these programs really leave unused, which their model.json acknowledge) -> 0/51
once the two programs carry the same `# acknowledged:` comments as their model.json (info
`acknowledged-number`, as in the formal model); lifted 51/51, same optimum 48/48 throughout.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    import solvers
    from formalize.codemode import solve_code
    from formalize.codemode.lift import lift
    from formalize.codemode.readback import built_numbers
    from formalize.verify.code_numbers import program_numbers
    from formalize.verify.code_report import check_program
    from formalize.verify.grounding import ground

    progs = sorted([*ROOT.glob("problems/datasets/*/*/model_pyomo.py"),
                    *ROOT.glob("problems/examples/*/model_pyomo.py")])
    progs = [p for p in progs if (p.parent / "problem.txt").exists()][: args.limit]
    rows = []
    t0 = time.perf_counter()
    for p in progs:
        text = (p.parent / "problem.txt").read_text()
        src = p.read_text()
        sol, run = solve_code(src)
        pn = program_numbers(src)
        rep = check_program(src, text, built_numbers(run, pn.collections), numbers=pn)
        diags = rep.diagnostics()
        errors = [d for d in diags if d.severity == "error"]
        unused = [d for d in diags if d.code == "unused-number"]
        data = [d for d in diags if d.code == "unused-data"]
        ir = None
        if (p.parent / "model.json").exists():
            try:
                g = ground(solvers.load_model(p.parent / "model.json"), text)
                ir = (len(g.ungrounded) + len(g.wrong_derivations) + len(g.bad_operands), len(g.unused))
            except Exception:  # noqa: BLE001 - a reference that does not load is counted apart
                ir = None
        model, why = lift(run, rep.program.collections)
        same = None
        if model is not None and sol.ok:
            try:
                again = solvers.solve(model, time_limit=60)
                same = again.ok and abs(again.objective - sol.objective) <= 1e-6 * max(1, abs(sol.objective))
            except Exception as exc:  # noqa: BLE001
                why, same = f"lifted model failed: {exc}"[:120], False
        rows.append((p.parent.relative_to(ROOT / "problems"), run.reason, sol.status.value, len(errors),
                     len(unused), len(data), ir, model is not None, same, why))
        if args.verbose:
            print(p.parent.name, run.reason, sol.status.value, f"errors {len(errors)}", f"unused {len(unused)}",
                  f"data {len(data)}", f"ir {ir}", f"lifted {model is not None} same {same}", why or "")
            for d in errors + unused + data:
                print("   ", d)
    n = len(rows)
    ran = sum(r[1] == "ok" for r in rows)
    with_err = [r for r in rows if r[3]]
    with_unused = [r for r in rows if r[4]]
    ir_rows = [r for r in rows if r[6] is not None]
    lifted = [r for r in rows if r[7]]
    print(f"reference programs: {n} (ran: {ran}) in {time.perf_counter() - t0:.0f} s")
    print(f"code mode  — programs with an error finding (false alarms): {len(with_err)}/{n} "
          f"({sum(r[3] for r in rows)} findings: {', '.join(str(r[0]) for r in with_err) or '-'})")
    print(f"code mode  — programs with unused-number advice: {len(with_unused)}/{n} "
          f"({sum(r[4] for r in rows)} numbers); unused-data: {sum(1 for r in rows if r[5])}/{n}")
    print(f"formal model (same problems with model.json: {len(ir_rows)}) — with an error: "
          f"{sum(1 for r in ir_rows if r[6][0])}, with unused-number advice: {sum(1 for r in ir_rows if r[6][1])}; "
          f"code mode on those: errors {sum(1 for r in ir_rows if r[3])}, unused {sum(1 for r in ir_rows if r[4])}")
    print(f"lifted into a formal model: {len(lifted)}/{ran}; same optimum as the harvest: "
          f"{sum(1 for r in lifted if r[8])}/{sum(1 for r in lifted if r[8] is not None)}")
    for r in rows:
        if not r[7] and r[1] == "ok":
            print(f"   not lifted: {r[0]}: {r[9]}")
        elif r[8] is False:
            print(f"   lifted, different optimum: {r[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
