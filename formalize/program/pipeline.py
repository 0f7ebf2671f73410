"""The formalization program: read → structure → verify → solve → repair (→ vote, in
`formalize.api`).

An explicit algorithm around the LLM (LLM Programs): control flow lives here, in code; each LLM
call is one named step that is shown only what it needs (`Round.context` records what), every
model the LLM writes passes the external verifier (schema, static checks, constraint instances,
grounding) before its solve, and every fault found in a round — errors, advice, an infeasible or
unbounded outcome — goes back in one repair prompt. The LLM never produces a number the user is
given as the answer: that comes from `solvers`.

    state = State(text)
    draft(state)                        # read + structure, or one call
    loop: verify(state); solve(state); request = review(state); repair(state, request)

`State` is the only thing the steps share; `State.trace` records every step that ran.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formalize.llm.client import DuplicateKeyError, LLMClient, LLMOutputError, Usage, make_client
from formalize.program import answer_schema, prompts
from formalize.program.answer_schema import to_document
from formalize.program.context import bullets, data_summaries, iis_text, symbols_summary
from formalize.program.results import Formalization, Progress, Round, Step
from formalize.program.verifier import (
    Verdict,
    is_advice,
    is_error,
    solve_verdict,
    stopped_diagnostic,
    verify_document,
)
from solvers import Model, ModelError, Solution, Status, load_model
from solvers.diagnostics import Diagnostic, Location


@dataclass
class State:
    """What the steps pass along. Each step reads the fields it needs and writes its findings."""

    text: str
    files: str = ""  # the attached data files, summarized for the prompts
    answer: dict | None = None  # the document under review; None when the last answer was unusable
    last_doc: dict | None = None  # the last usable document (what a repair is shown)
    verdict: Verdict | None = None  # the verifier's findings on `answer`
    solution: Solution | None = None  # the solve of `answer`'s model
    diagnostics: list[Diagnostic] = field(default_factory=list)  # of `answer`, as reported
    repeated: bool = False  # `answer` repeats an earlier document unchanged
    first: bool = True  # `answer` is the first complete model (its advice is asked about)
    accepted_infeasible: bool = False  # the LLM states the text is infeasible as written
    history: list[Round] = field(default_factory=list)  # the LLM calls
    trace: list[Step] = field(default_factory=list)  # every step that ran
    seen: set[str] = field(default_factory=set)  # documents already verified (canonical JSON)
    repairs: int = 0
    checked: int = 0  # complete models verified so far

    def note(self, name: str, detail: str = "") -> None:
        self.trace.append(Step(name, self.repairs, detail))


@dataclass(frozen=True)
class RepairRequest:
    """What the review step sends back: the repair step's name, the findings, what it shows."""

    step: str  # repair | repair-infeasible | repair-unbounded
    problems: str
    context: tuple[str, ...]


class Program:
    """One run of the formalization program against one LLM client."""

    def __init__(self, client: LLMClient, *, strategy: str = "steps", max_repairs: int = 3,
                 backend: str = "auto", time_limit: float | None = None,
                 data: Sequence[str | Path] = (), sample: int = 0, progress: Progress | None = None,
                 solve: bool = True, notation: str | None = None, executor: Executor | None = None,
                 **params: Any):
        if strategy not in ("steps", "single"):
            raise ValueError("strategy must be 'steps' or 'single'")
        if max_repairs < 0:
            raise ValueError(f"max_repairs must be 0 or more, got {max_repairs}")
        # the two-step program reads data with provenance quotes into the canonical form (its
        # JSON schema goes to the provider); the single call asks for the compact notation
        notation = notation or ("compact" if strategy == "single" else "canonical")
        if notation not in ("canonical", "compact"):
            raise ValueError("notation must be 'canonical' or 'compact'")
        self.notation = notation
        # where verification and solves run: None = this thread; a process pool lets many
        # programs waiting on an LLM share the CPUs (the benchmark runner does this)
        self.executor = executor
        self.client = client
        self.strategy = strategy
        self.max_repairs = max_repairs
        self.backend = backend
        self.time_limit = time_limit
        self.data = [Path(d) for d in data]
        self.sample = sample
        self.progress = progress or (lambda step, detail: None)
        self.do_solve = solve
        self.params = params
        self.usage = Usage()

    # -- the program ------------------------------------------------------------------------
    def run(self, text: str) -> Formalization:
        """Formalize one problem text: draft, then verify → solve → review → repair until the
        model is accepted or the repair rounds are spent."""
        started = time.perf_counter()
        state = State(text=text, files=prompts.FILES.format(summaries=data_summaries(self.data))
                      if self.data else "")
        self.draft(state)
        while True:
            self.verify(state)
            self.solve(state)
            request = self.review(state)
            if request is None or state.repairs >= self.max_repairs:
                break
            self.repair(state, request)
        return self.conclude(state, started)

    # -- steps ------------------------------------------------------------------------------
    def draft(self, state: State) -> None:
        """The first complete model: one call (single), or read the data then the structure."""
        if self.strategy == "single":
            self.progress("drafting", "whole model in one call")
            state.answer = self._ask(state, "single", prompts.SINGLE.format(text=state.text, files=state.files),
                                     ("problem text", *(("data files",) if state.files else ())), "model")
            return
        symbols = self.read(state)
        if symbols is not None:
            self.structure(state, symbols)

    def read(self, state: State) -> str | None:
        """Step 1 of 2: the data (sets, params with their quotes). Returns the declared symbols
        the structure step is shown, or None when the answer was unusable."""
        self.progress("reading", "sets and parameters")
        part = self._ask(state, "read", prompts.READ.format(text=state.text, files=state.files),
                         ("problem text", *(("data files",) if state.files else ())), "data")
        if part is None:
            state.answer = None
            return None
        data_doc = {"sets": part.get("sets", []), "params": part.get("params", [])}
        state.last_doc = data_doc
        try:
            declared = load_model(to_document(data_doc), data_files=[str(p) for p in self.data] or None)
            symbols = symbols_summary(declared)
        except ModelError as exc:  # shown as written; the verify step reports it with the rest
            state.history[-1].diagnostics = exc.diagnostics
            return json.dumps(data_doc)[:4000]
        from solvers.data import instance
        from solvers.lower import VectorDeriver  # noqa: F401 - registers the evaluator of derived data

        try:  # data errors (a tuple key written as a nested mapping, ...) show at this step
            instance(declared)
        except ModelError as exc:
            state.history[-1].diagnostics = exc.diagnostics
        return symbols

    def structure(self, state: State, symbols: str) -> None:
        """Step 2 of 2: variables, objective and constraints over the declared symbols (the
        data's values are not shown again)."""
        self.progress("drafting", "variables, objective, constraints")
        data_doc = state.last_doc or {}
        struct = self._ask(state, "structure", prompts.STRUCTURE.format(text=state.text, symbols=symbols),
                           ("problem text", "declared symbols"), "structure")
        if struct is None:
            state.answer = None
            return
        doc = {"sets": data_doc.get("sets", []), "params": data_doc.get("params", []), **struct}
        state.history[-1].model = doc
        state.answer = doc

    def verify(self, state: State) -> None:
        """Every check that can run on the answer, at once: schema, static checks, constraint
        instances (the lowering, kept for the solve), convexity, grounding."""
        state.verdict, state.solution, state.repeated = None, None, False
        if state.answer is None:  # the last answer was not usable JSON: its diagnostics stand
            state.diagnostics = list(state.history[-1].diagnostics) if state.history else []
            state.note("verify", "no usable answer")
            return
        state.last_doc = state.answer
        key = json.dumps(state.answer, sort_keys=True, ensure_ascii=False, default=str)
        state.repeated = key in state.seen
        state.seen.add(key)
        self.progress("checking", f"round {state.repairs}")
        try:  # the answer format (lists of named entries) → the model document
            doc = to_document(_without_note(state.answer))
        except ModelError as exc:
            verdict = Verdict(None, exc.diagnostics)
        else:
            verdict = self._run(verify_document, doc, state.text, self.backend,
                                (), [str(p) for p in self.data])
        state.verdict = verdict
        state.first = state.checked == 0
        state.checked += 1
        state.diagnostics = [*([_repeated_diagnostic()] if state.repeated else []), *verdict.diagnostics]
        state.history[-1].diagnostics = state.diagnostics
        state.note("verify", _count(state.diagnostics))

    def solve(self, state: State) -> None:
        """Solve a model without errors (advice does not stop it), reusing the verify step's
        lowering; its outcome joins the round's findings."""
        verdict = state.verdict
        if not self.do_solve or verdict is None or not verdict.solvable:
            return
        self.progress("solving", self.backend)
        target: Model | Any = verdict.lowered if verdict.lowered is not None else verdict.model
        backend = verdict.backend if verdict.lowered is not None else self.backend
        try:
            if self.executor is None:  # (solver progress cannot cross to a worker process)
                sol = solve_verdict(target, backend, self.time_limit, self.progress)
            else:
                sol = self._run(solve_verdict, target, backend, self.time_limit)
        except ModelError as exc:  # what only the backend finds: located, repaired like the rest
            state.diagnostics = state.diagnostics + exc.diagnostics
            state.history[-1].diagnostics = state.diagnostics
            state.note("solve", _count(exc.diagnostics))
            return
        state.solution = sol
        state.note("solve", sol.status.value + (f" {sol.objective:.10g}" if sol.objective is not None
                                                 and sol.ok else ""))
        if sol.ok and verdict.model is not None:  # the solution read back against the text
            from formalize.verify.report import solution_findings

            found = solution_findings(verdict.model, state.text, sol)
            if found:
                state.diagnostics = state.diagnostics + found
                state.history[-1].diagnostics = state.diagnostics
                state.note("solve", _count(found))

    def review(self, state: State) -> RepairRequest | None:
        """What must go back: every error, an infeasible or unbounded outcome, the first model's
        advice — all in one request, in that order (warnings ride along with the advice). None
        accepts the answer."""
        diags = state.diagnostics
        if state.answer is None:
            return RepairRequest("repair", bullets(diags),
                                 ("problem text", "last answer", f"findings: {_count(diags)}"))
        errors = [d for d in diags if is_error(d)]
        advice = [d for d in diags if is_advice(d)]
        warnings = [d for d in diags if d.severity == "warning" and not is_error(d) and not is_advice(d)
                    and d.code != "repeated-answer"]
        sol, step, outcome = state.solution, "repair", ""
        if sol is not None and sol.stopped:
            # the time limit or Ctrl-C: not a fault of the model, and another round would cost
            # another full limit (or ignore the user's Ctrl-C): accept it, said plainly
            state.diagnostics = diags + [stopped_diagnostic(sol)]
            return None
        if sol is not None and sol.status == Status.INFEASIBLE and _stated_infeasible(state.answer):
            # the LLM kept the model and says the text is contradictory: accept it, said plainly
            state.diagnostics = diags + [_outcome_diagnostic(state.verdict.model, sol, state.repairs,  # type: ignore[union-attr,arg-type]
                                                             stated=True)]
            state.accepted_infeasible = True
            return None
        if sol is not None and sol.status == Status.INFEASIBLE:
            step, outcome = "repair-infeasible", prompts.INFEASIBLE.format(
                iis=iis_text(state.verdict.model, sol))  # type: ignore[union-attr,arg-type]
        elif sol is not None and sol.status == Status.UNBOUNDED:
            step, outcome = "repair-unbounded", prompts.UNBOUNDED.format(
                variables=", ".join(sol.unbounded_variables or ["(not identified)"]))
        if not errors and not outcome and not (state.first and advice):
            return None
        sections = []
        if state.repeated:
            sections.append(f"- {_repeated_diagnostic()}")
        if errors:
            sections.append(prompts.ERRORS.format(items=bullets(errors)))
        if outcome:
            sections.append(outcome)
        if advice or warnings:
            sections.append(prompts.ADVICE.format(items=bullets(advice + warnings)))
        shown = ("problem text", "current model", f"findings: {_count(errors + advice + warnings)}",
                 *((f"solver: {step.removeprefix('repair-')}",) if outcome else ()))
        return RepairRequest(step, "\n\n".join(sections), shown)

    def repair(self, state: State, request: RepairRequest) -> None:
        """One repair call: the problem text, the current model and every finding of the round."""
        state.repairs += 1
        self.progress("repairing", request.step)
        current = (json.dumps(state.last_doc, ensure_ascii=False) if state.last_doc is not None
                   else state.history[-1].response[:4000])
        msg = prompts.REPAIR.format(text=state.text, model=current, problems=request.problems)
        state.answer = self._ask(state, request.step, msg, request.context, "model")

    def conclude(self, state: State, started: float) -> Formalization:
        """The Formalization of the last answer (earlier rounds stay in the history)."""
        sol, verdict = state.solution, state.verdict
        diags = state.diagnostics
        if (sol is not None and sol.status in (Status.INFEASIBLE, Status.UNBOUNDED)
                and not state.accepted_infeasible and verdict is not None and verdict.model is not None):
            diags = diags + [_outcome_diagnostic(verdict.model, sol, state.repairs)]
        return Formalization(
            text=state.text, model=verdict.model if verdict else None, diagnostics=diags,
            history=state.history, usage=self.usage, seconds=time.perf_counter() - started,
            strategy=self.strategy, grounding=verdict.grounding if verdict else None, solution=sol,
            trace=state.trace, assumptions=list(verdict.model.assumptions) if verdict and verdict.model else [])

    # -- plumbing ---------------------------------------------------------------------------
    def _ask(self, state: State, step: str, user: str, context: tuple[str, ...],
             answer: str) -> dict | None:
        """One LLM call of a step; the answer as a JSON object, or None (its Round says why).

        `answer` names what the step asks for ("data", "structure", "model"): in the canonical
        notation the system prompt describes exactly that format and the call sends its strict
        schema; in the compact notation (no schema exists for it) the provider is asked for a
        JSON object."""
        kind = answer if self.notation == "canonical" else "compact"
        messages = [{"role": "system", "content": prompts.system(kind)}, {"role": "user", "content": user}]
        fmt = (answer_schema.response_format(_ANSWERS[answer]) if self.notation == "canonical"
               else {"type": "json_object"})
        resp = self.client.complete(messages, response_format=fmt, sample=self.sample, **self.params)
        self.usage.add(resp)
        r = Round(step, response=resp.text, tokens=resp.total_tokens, cached=resp.cached, context=context)
        state.history.append(r)
        name = {"single": "draft", "read": "read", "structure": "structure"}.get(step, "repair")
        try:
            doc = resp.json(strict=True)
        except DuplicateKeyError as exc:
            r.diagnostics = [Diagnostic("duplicate-key", str(exc), location=Location(section="answer"),
                                        hint="give every key once; merge the two entries")]
            doc = None
        except LLMOutputError as exc:
            r.diagnostics = [Diagnostic("bad-json", str(exc), location=Location(section="answer"),
                                        hint="answer with one JSON object, no prose")]
            doc = None
        else:
            if not isinstance(doc, dict):
                r.diagnostics = [Diagnostic("bad-json", f"expected a JSON object, got {type(doc).__name__}",
                                            location=Location(section="answer"),
                                            hint="answer with one JSON object")]
                doc = None
        r.model = doc
        state.note(name, f"{step}: " + ("a JSON object" if doc is not None else "no usable answer")
                   + (" (cached)" if resp.cached else ""))
        return doc

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run verification or a solve here, or in the executor (worker processes)."""
        if self.executor is not None:
            return self.executor.submit(fn, *args).result()
        return fn(*args)


_ANSWERS = {"data": answer_schema.DataAnswer, "structure": answer_schema.StructureAnswer,
            "model": answer_schema.ModelAnswer}


def _count(diags: Sequence[Diagnostic]) -> str:
    errors = sum(is_error(d) for d in diags)
    advice = sum(is_advice(d) for d in diags)
    warnings = sum(d.severity == "warning" and not is_error(d) and not is_advice(d) for d in diags)
    parts = [f"{n} {what}" for n, what in ((errors, "error(s)"), (advice, "advice"),
                                            (warnings, "warning(s)")) if n]
    return ", ".join(parts) or "no findings"


_NOTE = "note"  # top-level remark the INFEASIBLE prompt lets the LLM add ("infeasible as stated")


def _without_note(doc: dict) -> dict:
    """The document without its `note` (a remark to us, not part of the model format)."""
    return {k: v for k, v in doc.items() if k != _NOTE} if _NOTE in doc else doc


def _stated_infeasible(doc: dict | None) -> bool:
    """True when the LLM noted that the text itself is infeasible."""
    note = doc.get(_NOTE) if isinstance(doc, dict) else None
    return isinstance(note, str) and "infeasible" in note.lower()


def _repeated_diagnostic() -> Diagnostic:
    return Diagnostic("repeated-answer", "this answer repeats an earlier one unchanged",
                      severity="warning", location=Location(section="answer"),
                      hint="the problems listed still hold: change the answer to fix them")


def _outcome_diagnostic(model: Model, sol: Solution, repairs: int, stated: bool = False) -> Diagnostic:
    """Why a verified model ends infeasible / unbounded, said plainly, with the conflict."""
    if sol.status == Status.INFEASIBLE:
        conflict = ", ".join([*(sol.iis or []), *(sol.iis_bounds or [])]) or "not isolated"
        why = ("the LLM states the text is infeasible as stated" if stated
               else f"still infeasible after {repairs} repair round(s)")
        return Diagnostic("infeasible", f"the model is INFEASIBLE ({why}): the problem as stated "
                          "may be infeasible, or the model still mis-states it",
                          severity="warning", location=Location(section="constraints"),
                          hint=f"conflicting: {conflict}; re-read those parts of the text")
    along = ", ".join(sol.unbounded_variables or []) or "not identified"
    return Diagnostic("unbounded", f"the model is UNBOUNDED after {repairs} repair round(s): a "
                      "bound or constraint from the text is probably missing", severity="warning",
                      location=Location(section="variables"),
                      hint=f"the objective improves without limit along: {along}")


def formalize(text: str, model: str | LLMClient | None = None, data: Sequence[str | Path] = (),
              *, strategy: str = "steps", max_repairs: int = 3, backend: str = "auto",
              no_cache: bool = False, progress: Progress | None = None, sample: int = 0,
              solve: bool = True, time_limit: float | None = None, **params: Any) -> Formalization:
    """Turn a problem in plain words into a verified formal model (solved once to verify it).

    `model` is an LLM model string (e.g. "openai/gpt-4.1", "ollama/qwen2.5:14b"), an
    `LLMClient`, or None to use FORMALIZE_MODEL / the config file."""
    client = make_client(model, no_cache=no_cache)
    prog = Program(client, strategy=strategy, max_repairs=max_repairs, backend=backend, data=data,
                   progress=progress, sample=sample, solve=solve, time_limit=time_limit, **params)
    return prog.run(text)


__all__ = ["Program", "RepairRequest", "State", "formalize"]
