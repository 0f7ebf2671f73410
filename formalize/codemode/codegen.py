"""Code mode of the program: the LLM writes model-building code; the sandbox runs it; we solve.

Failures (syntax, forbidden construct, runtime error, limit hit, no model, infeasible,
unbounded) become located diagnostics that go back to the LLM in the same bounded repair loop.
"""

from __future__ import annotations

import re
import time
from typing import Any

from formalize.codemode import check_code, solve_code
from formalize.codemode.lift import lift
from formalize.codemode.readback import built_numbers, readable_solution
from formalize.codemode.sandbox import CodeRun
from formalize.llm.client import LLMClient, Usage
from formalize.program import prompts
from formalize.program.context import bullets
from formalize.program.results import Formalization, Progress, Result, Round, Step
from formalize.program.verifier import is_advice, is_error, stopped_diagnostic
from formalize.verify.code_numbers import program_numbers
from formalize.verify.code_report import ProgramReport, check_program
from solvers import Solution, Status
from solvers.diagnostics import Diagnostic, Location

# a fenced block: ``` + an optional language tag (any case: python, Python, py, python3) + newline
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[ \t]*\r?\n(.*?)```", re.DOTALL)
_OPEN_FENCE = re.compile(r"^```[ \t]*[A-Za-z0-9_+.-]*[ \t]*\r?\n")
LIBRARIES = {
    "pyomo": ("Pyomo (pyomo.environ, a ConcreteModel)", "pyomo.environ"),
    "pulp": ("PuLP (a pulp.LpProblem)", "pulp"),
    "cpsat": ("OR-Tools CP-SAT (ortools.sat.python.cp_model.CpModel)", "ortools.sat.python.cp_model"),
}


def extract_code(text: str) -> str:
    """The Python code of an answer: the longest fenced Python (or untagged) block, else the
    longest fenced block, else the whole text (an unterminated opening fence is dropped)."""
    text = text or ""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    python = [b for lang, b in blocks if lang in ("", "python", "py", "python3")]
    if python or blocks:
        return max(python or [b for _, b in blocks], key=len).strip()
    return _OPEN_FENCE.sub("", text.strip()).strip()  # a truncated answer: no closing fence


def _outcome(sol: Solution) -> tuple[str, Diagnostic | None]:
    """The repair step and diagnostic for a solve of a model the code built."""
    where = Location(section="code")
    if sol.status == Status.INFEASIBLE:
        return "repair-infeasible", Diagnostic(
            "infeasible", "the model your code builds is INFEASIBLE", location=where,
            hint="re-read the text: a constraint or bound has a wrong direction or number")
    if sol.status == Status.UNBOUNDED:
        detail = f" ({sol.message})" if "infeasible" in (sol.message or "") else ""
        return "repair-unbounded", Diagnostic(
            "unbounded", f"the model your code builds is UNBOUNDED{detail}", location=where,
            hint="a bound or constraint from the text is missing")
    if sol.status == Status.ERROR:
        return "repair", Diagnostic("solve-error", sol.message or "the solver failed",
                                    location=where, hint="check the model")
    if sol.stopped:  # the time limit or Ctrl-C: said plainly, nothing for the code to repair
        return "repair", stopped_diagnostic(sol)
    return "repair", None


def _final_outcome(sol: Solution, repairs: int) -> Diagnostic:
    """An infeasible / unbounded result after the last round, said plainly (a warning)."""
    if sol.status == Status.INFEASIBLE:
        return Diagnostic("infeasible", f"the model is INFEASIBLE after {repairs} repair round(s): "
                          "the problem as stated may be infeasible, or the code still mis-states "
                          "it", severity="warning", location=Location(section="code"),
                          hint="re-read the constraints and bounds against the text")
    return Diagnostic("unbounded", f"the model is UNBOUNDED after {repairs} repair round(s): a "
                      "bound or constraint from the text is probably missing", severity="warning",
                      location=Location(section="code"), hint=sol.message or None)


def solve_with_code(text: str, client: LLMClient, *, library: str = "pyomo", max_repairs: int = 3,
                    time_limit: float | None = None, progress: Progress | None = None,
                    sample: int = 0, **params: Any) -> Result:
    """Run code mode on a problem text; returns a Result whose solution comes from our backends.

    `library` is what the LLM is asked to write: "pyomo", "pulp" or "cpsat". Each round's code is
    checked by the allow-list, run in the sandbox and its model solved, and its numbers are
    grounded against the text (`formalize.verify.code_report`). Errors (a refused construct, a
    failed run, an infeasible or unbounded model, a number not in the text) always go back for
    repair; advice (a text number the built model never uses, ...) goes back once, for the first
    program that built and solved a model — as in the formal-model program; at most
    `max_repairs` repairs. The result describes the last round (history has all)."""
    if library not in LIBRARIES:
        raise ValueError(f"library must be one of {', '.join(LIBRARIES)}, got {library!r}")
    if max_repairs < 0:
        raise ValueError(f"max_repairs must be 0 or more, got {max_repairs}")
    progress = progress or (lambda step, detail: None)
    started = time.perf_counter()
    usage = Usage()
    history: list[Round] = []
    trace: list[Step] = []
    name, module = LIBRARIES[library]
    messages = [{"role": "system", "content": prompts.system("code")},
                {"role": "user", "content": prompts.CODE.format(library=name, imports=module, text=text)}]
    code, sol, diags = "", None, []
    containment: dict[str, str] = {}
    report: ProgramReport | None = None
    run: CodeRun | None = None
    lifted: Any = None
    seen: set[str] = set()
    complete_seen = False
    step = "code"
    for attempt in range(max_repairs + 1):
        progress("drafting" if attempt == 0 else "repairing", f"code, round {attempt}")
        resp = client.complete(messages, sample=sample, **params)
        usage.add(resp)
        code = extract_code(resp.text)
        r = Round(step, response=resp.text, tokens=resp.total_tokens, cached=resp.cached,
                  context=("problem text",) if attempt == 0 else ("conversation", "findings"))
        history.append(r)
        trace.append(Step("code" if attempt == 0 else "repair", attempt,
                          f"{step}: " + ("a program" if code else "no code") + (" (cached)" if resp.cached else "")))
        sol, run, report, lifted, step = None, None, None, None, "repair"  # all of this round's code
        progress("checking", "allow-list")
        if not code:
            diags = [Diagnostic("no-code", "the answer contains no Python code",
                                location=Location(section="answer"),
                                hint="answer with the complete code in one ```python block")]
        else:
            diags = check_code(code)
        repeated = code in seen
        seen.add(code)
        if not [d for d in diags if d.severity == "error"]:
            progress("solving", "sandboxed run")
            sol, run = solve_code(code, time_limit=time_limit,
                                  progress=lambda p: progress("solver", str(p)))
            diags += run.diagnostics
            containment = dict(run.layers)
            trace.append(Step("run", attempt, run.reason))
            if run.reason == "sandbox_unavailable":
                r.diagnostics = list(diags)
                break  # no change of the code can help: say so, without another LLM call
            if run.ok:
                step, outcome = _outcome(sol)
                trace.append(Step("solve", attempt, sol.status.value + (
                    f" {sol.objective:.10g}" if sol.objective is not None and sol.ok else "")))
                if outcome is not None:
                    diags.append(outcome)
        if code:  # the program's numbers against the text (advice only once a model was built)
            progress("checking", "numbers against the text")
            pn = program_numbers(code)
            report = check_program(code, text, built_numbers(run, pn.collections) if run is not None else None,
                                   numbers=pn)
            if report.program.parsed:
                found = report.diagnostics()
                if run is not None and run.ok and (run.model is not None or run.model_data is not None):
                    lifted, why = lift(run, report.program.collections)
                    if why is not None:  # said in the trace: --save-model and --show-model name it
                        trace.append(Step("lift", attempt, why))
                if lifted is not None and sol is not None and sol.ok:
                    found += _model_checks(lifted, text, readable_solution(sol, run, report.program.collections))
                diags += found
                trace.append(Step("verify", attempt, _count(found)))
        complete = sol is not None and sol.ok
        first = complete and not complete_seen
        complete_seen = complete_seen or complete
        if repeated:
            diags.insert(0, Diagnostic("repeated-answer", "this code repeats an earlier answer "
                                       "unchanged", severity="warning",
                                       location=Location(section="code"),
                                       hint="the problems listed still hold: change the code"))
        r.diagnostics = list(diags)
        errors = [d for d in diags if is_error(d)]
        advice = [d for d in diags if is_advice(d)]
        if sol is not None and sol.stopped:
            break  # a limit no repair of the code can fix
        if not errors and not (first and advice):
            break  # accepted: solved (optimal / feasible), advice answered or not first
        if attempt < max_repairs:
            messages = messages + [{"role": "assistant", "content": resp.text},
                                   {"role": "user", "content": _repair_prompt(diags)}]
    repairs = len(history) - 1
    if sol is not None and sol.status in (Status.INFEASIBLE, Status.UNBOUNDED):
        # the code ran and its model was solved: the outcome is the answer, said plainly
        diags = [d for d in diags if d.code not in ("infeasible", "unbounded")]
        diags.append(_final_outcome(sol, repairs))
    shown = sol
    if sol is not None and run is not None and run.ok and sol.values:
        shown = readable_solution(sol, run, report.program.collections if report else None)
    f = Formalization(text=text, model=lifted, diagnostics=diags, history=history, usage=usage,
                      seconds=time.perf_counter() - started, strategy=f"code:{library}", solution=shown,
                      code=code, grounding=report.grounding if report is not None else None,
                      trace=trace, assumptions=report.assumptions if report is not None else [],
                      containment=containment)
    return Result(text=text, solution=shown, formalization=f, samples=[f], mode="code", code=code)


def _model_checks(model: Any, text: str, solution: Solution) -> list[Diagnostic]:
    """The formal model's wrong-but-valid checks on the lifted model: money in two scales, equalities
    that fix every variable, idle members of "each … must" sets (after the solve)."""
    from formalize.verify.fixed import fixed_by_equalities
    from formalize.verify.grounding import ground
    from formalize.verify.idle import idle_members
    from formalize.verify.units import mixed_units

    out: list[Diagnostic] = []
    for check in (lambda: mixed_units(model, text, ground(model, text)),
                  lambda: fixed_by_equalities(model, text), lambda: idle_members(model, text, solution.values)):
        try:
            out += check()
        except Exception:  # noqa: BLE001 - a check that cannot read the lifted model says nothing
            continue
    return out  # located in the lifted model, whose names are the program's


def _repair_prompt(diags: list[Diagnostic]) -> str:
    """The repair request: errors to fix, advice to check against the text, warnings alongside."""
    errors = [d for d in diags if is_error(d)]
    rest = [d for d in diags if not is_error(d) and d.severity != "info"]
    sections = []
    if errors:
        sections.append(prompts.ERRORS.format(items=bullets(errors)))
    if rest:
        sections.append(prompts.ADVICE.format(items=bullets(rest)))
    return prompts.CODE_REPAIR.format(problems="\n\n".join(sections))


def _count(diags: list[Diagnostic]) -> str:
    errors = sum(is_error(d) for d in diags)
    advice = sum(is_advice(d) for d in diags)
    parts = [f"{n} {what}" for n, what in ((errors, "error(s)"), (advice, "advice")) if n]
    return ", ".join(parts) or "no findings"
