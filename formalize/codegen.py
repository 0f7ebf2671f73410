"""Code mode of the program: the LLM writes model-building code; the sandbox runs it; we solve.

Failures (syntax, forbidden construct, runtime error, limit hit, no model, infeasible,
unbounded) become located diagnostics that go back to the LLM in the same bounded repair loop.
"""

from __future__ import annotations

import re
import time
from typing import Any

from solvers import Status
from solvers.diagnostics import Diagnostic, Location

from . import prompts
from .codemode import check_code, solve_code
from .llm import LLMClient, Usage
from .program import Formalization, Progress, Result, Round

_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.DOTALL)
LIBRARIES = {
    "pyomo": ("Pyomo (pyomo.environ, a ConcreteModel)", "pyomo.environ"),
    "pulp": ("PuLP (a pulp.LpProblem)", "pulp"),
    "cpsat": ("OR-Tools CP-SAT (ortools.sat.python.cp_model.CpModel)", "ortools.sat.python.cp_model"),
}


def extract_code(text: str) -> str:
    """The Python code of an answer: the longest fenced block, else the whole text."""
    blocks = _FENCE.findall(text or "")
    return max(blocks, key=len).strip() if blocks else (text or "").strip()


def solve_with_code(text: str, client: LLMClient, *, library: str = "pyomo", max_repairs: int = 3,
                    time_limit: float | None = None, progress: Progress | None = None,
                    sample: int = 0, **params: Any) -> Result:
    """Run code mode on a problem text; returns a Result whose solution comes from our backends."""
    progress = progress or (lambda step, detail: None)
    started = time.perf_counter()
    usage = Usage()
    history: list[Round] = []
    name, module = LIBRARIES[library]
    messages = [{"role": "system", "content": prompts.SYSTEM.split("The format (JSON):")[0].strip()},
                {"role": "user", "content": prompts.CODE.format(library=name, imports=module, text=text)}]
    code, sol, diags = "", None, []
    for attempt in range(max_repairs + 1):
        progress("drafting" if attempt == 0 else "repairing", f"code, round {attempt}")
        resp = client.complete(messages, sample=sample, **params)
        usage.add(resp)
        code = extract_code(resp.text)
        r = Round("code" if attempt == 0 else "repair", response=resp.text, tokens=resp.total_tokens,
                  cached=resp.cached)
        history.append(r)
        diags = check_code(code)
        if not [d for d in diags if d.severity == "error"]:
            progress("solving", "sandboxed run")
            sol, run = solve_code(code, time_limit=time_limit)
            diags = list(run.diagnostics)
            if run.ok and sol.status == Status.INFEASIBLE:
                diags.append(Diagnostic("infeasible", "the model your code builds is infeasible",
                                        location=Location(section="code"),
                                        hint="re-read the text: a constraint has a wrong direction or number"))
            elif run.ok and sol.status == Status.UNBOUNDED:
                diags.append(Diagnostic("unbounded", "the model your code builds is unbounded",
                                        location=Location(section="code"),
                                        hint="a bound or constraint from the text is missing"))
            elif run.ok and sol.status == Status.ERROR:
                diags.append(Diagnostic("solve-error", sol.message or "the solver failed",
                                        location=Location(section="code"), hint="check the model"))
        r.diagnostics = diags
        if sol is not None and sol.ok and not [d for d in diags if d.severity == "error"]:
            break
        if attempt < max_repairs:
            messages = messages + [{"role": "assistant", "content": resp.text},
                                   {"role": "user", "content": prompts.CODE_REPAIR.format(
                                       problems="\n".join(f"- {d}" for d in diags))}]
    f = Formalization(text=text, model=None, diagnostics=diags, history=history, usage=usage,
                      seconds=time.perf_counter() - started, strategy=f"code:{library}", solution=sol)
    return Result(text=text, solution=sol, formalization=f, samples=[f], mode="code", code=code)
