"""The formalization program: read → structure → verify → repair → solve → (vote).

An explicit algorithm around the LLM (LLM Programs): each call gets only the context its step
needs, every model the LLM writes passes the external verifier (schema, static checks, data,
grounding) before it is solved, and infeasible / unbounded outcomes go back for repair. The
LLM never produces a number the user is given as the answer: that comes from `solvers`.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formalize.llm.client import LLMClient, LLMError, LLMOutputError, Usage
from formalize.program import prompts
from solvers import Model, ModelError, Solution, Status, load_model
from solvers.diagnostics import Diagnostic, Location

if TYPE_CHECKING:
    from formalize.verify.grounding import GroundingReport

Progress = Callable[[str, str], None]  # (step, detail)


@dataclass
class Round:
    """One LLM call of the program and what the verifier said about its output."""

    step: str  # read | structure | single | repair | repair-infeasible | repair-unbounded | code
    diagnostics: list[Diagnostic] = field(default_factory=list)
    model: dict | None = None
    response: str = ""
    tokens: int = 0
    cached: bool = False

    def to_dict(self) -> dict:
        return {"step": self.step, "diagnostics": [d.to_dict() for d in self.diagnostics],
                "model": self.model, "tokens": self.tokens, "cached": self.cached}


@dataclass
class Formalization:
    """The verified formal model (or why there is none), with its history and costs."""

    text: str
    model: Model | None
    diagnostics: list[Diagnostic]
    history: list[Round]
    usage: Usage
    seconds: float
    strategy: str = "steps"
    grounding: GroundingReport | None = None
    solution: Solution | None = None  # the solve that verified it (set by the program)
    code: str | None = None  # code mode: the program whose built model was solved

    @property
    def ok(self) -> bool:
        """True when a model passed every check (warnings allowed).

        Code mode has no formal model: there the code must have passed the allow-list, run in
        the sandbox and left a model our backends solved. A verified model whose final solve is
        infeasible or unbounded stays ok — that is the answer, and a warning diagnostic says
        that the text may be infeasible (or miss a bound)."""
        if any(d.severity == "error" for d in self.diagnostics):
            return False
        if self.strategy.startswith("code"):
            return self.solution is not None and self.solution.status != Status.ERROR
        return self.model is not None

    @property
    def repair_rounds(self) -> int:
        return sum(1 for r in self.history if r.step.startswith("repair"))

    def to_dict(self) -> dict:
        return {"ok": self.ok, "strategy": self.strategy,
                "model": self.model.to_dict() if self.model else None, "code": self.code,
                "diagnostics": [d.to_dict() for d in self.diagnostics],
                "history": [r.to_dict() for r in self.history], "usage": self.usage.as_dict(),
                "seconds": self.seconds, "repair_rounds": self.repair_rounds}

    def __rich__(self):
        from formalize.render import formalization_rich

        return formalization_rich(self)

    def _repr_html_(self) -> str:
        from formalize.render import formalization_html

        return formalization_html(self)


class _Failed(Exception):
    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("\n".join(map(str, diagnostics)))
        self.diagnostics = diagnostics


def _client(model: str | LLMClient | None, no_cache: bool = False, api_base: str | None = None) -> LLMClient:
    """The LLM client for a model string (flag > env > config; see formalize.llm.config), or the
    client itself. The one place the CLI, the program, comparison and benchmarks make one."""
    if isinstance(model, LLMClient):
        return model
    from formalize.llm.config import resolve_model

    return LLMClient(resolve_model(model, api_base=api_base), no_cache=no_cache)


def data_summaries(paths: Sequence[str | Path], rows: int = 3) -> str:
    """What the LLM sees of attached data files: name, row count, columns with types, a few rows.

    Reading is streamed: the cost (in prompt tokens) does not grow with the file's length."""
    out = []
    for p in map(Path, paths):
        if p.suffix.lower() == ".json":
            data = json.loads(p.read_text(encoding="utf-8"))
            recs = data if isinstance(data, list) else data.get("records") or data.get("data") or [data]
            cols = list(recs[0]) if recs and isinstance(recs[0], dict) else []
            head = [[r.get(c) for c in cols] for r in recs[:rows]]
            n = len(recs)
        else:
            import csv

            with p.open(newline="", encoding="utf-8") as f:
                reader = csv.reader(f, skipinitialspace=True)
                cols = next(reader, [])
                head = [r for _, r in zip(range(rows), reader)]
                n = len(head) + sum(1 for _ in reader)
        types = []
        for j, c in enumerate(cols):
            vals = [r[j] for r in head if j < len(r)]
            types.append(f"{c} ({'number' if vals and all(_isnum(v) for v in vals) else 'text'})")
        out.append(f"- {p.name}: {n} rows; columns: {', '.join(types)}; first rows: "
                   + "; ".join(", ".join(map(str, r)) for r in head))
    return "\n".join(out)


def _isnum(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def symbols_summary(model: Model) -> str:
    """Declared sets and params as symbols (sizes and a few elements, never the whole data)."""
    lines = []
    for name, s in model.sets.items():
        if s.range is not None:
            lines.append(f"set {name} = {s.range[0]}..{s.range[1]}" + (f"  # {s.description}" if s.description else ""))
        elif s.from_ is not None:
            lines.append(f"set {name} (from {s.from_.file})")
        else:
            el = s.elements or []
            lines.append(f"set {name} = {json.dumps(el[:6])[:-1]}{', ...' if len(el) > 6 else ''}] ({len(el)} elements)")
    for name, p in model.params.items():
        src = f"  # {p.source}" if p.source else ""
        if p.index:
            lines.append(f"param {name}[{', '.join(p.index)}]{src}")
        else:
            lines.append(f"param {name} (scalar){src}")
    return "\n".join(lines) or "(none)"


class Program:
    """One run of the formalization program against one LLM client."""

    def __init__(self, client: LLMClient, *, strategy: str = "steps", max_repairs: int = 3,
                 backend: str = "auto", time_limit: float | None = None,
                 data: Sequence[str | Path] = (), sample: int = 0, progress: Progress | None = None,
                 solve: bool = True, notation: str | None = None, executor: Executor | None = None,
                 **params: Any):
        if strategy not in ("steps", "single"):
            raise ValueError("strategy must be 'steps' or 'single'")
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

    # -- LLM calls --------------------------------------------------------------------------
    def _ask(self, messages: list[dict], step: str, history: list[Round]) -> tuple[dict | None, Round]:
        fmt = _schema() if self.notation == "canonical" else {"type": "json_object"}
        resp = self.client.complete(messages, response_format=fmt, sample=self.sample, **self.params)
        self.usage.add(resp)
        r = Round(step, response=resp.text, tokens=resp.total_tokens, cached=resp.cached)
        history.append(r)
        try:
            doc = resp.json()
        except LLMOutputError as exc:
            r.diagnostics = [Diagnostic("bad-json", str(exc), location=Location(section="answer"),
                                        hint="answer with one JSON object, no prose")]
            return None, r
        if not isinstance(doc, dict):
            r.diagnostics = [Diagnostic("bad-json", f"expected a JSON object, got {type(doc).__name__}",
                                        location=Location(section="answer"), hint="answer with one JSON object")]
            return None, r
        r.model = doc
        return doc, r

    def _messages(self, user: str) -> list[dict]:
        system = prompts.SYSTEM if self.notation == "canonical" else prompts.SYSTEM_COMPACT
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    # -- verification -----------------------------------------------------------------------
    def verify(self, doc: dict, text: str, first: bool) -> tuple[Model | None, list[Diagnostic], GroundingReport | None]:
        """Schema, static checks, data, grounding. Returns the model and its diagnostics."""
        args = (doc, text, first, self.backend, [str(p.parent) for p in self.data], not self.do_solve)
        if self.executor is not None:
            return self.executor.submit(_verify_job, *args).result()
        return _verify_job(*args)

    def _solve(self, model: Model) -> Solution:
        if self.executor is not None:
            return self.executor.submit(_solve, model, self.backend, self.time_limit).result()
        return _solve(model, self.backend, self.time_limit)

    @staticmethod
    def _blocking(diags: list[Diagnostic]) -> list[Diagnostic]:
        """What must be repaired: errors, ungrounded numbers and (on the first check) unused ones."""
        return [d for d in diags if d.severity == "error" or d.code in ("ungrounded-number", "unused-number")]

    # -- the program ------------------------------------------------------------------------
    def run(self, text: str) -> Formalization:
        started = time.perf_counter()
        history: list[Round] = []
        files = prompts.FILES.format(summaries=data_summaries(self.data)) if self.data else ""
        doc: dict | None
        if self.strategy == "single":
            self.progress("drafting", "whole model in one call")
            doc, r = self._ask(self._messages(prompts.SINGLE.format(text=text, files=files)), "single", history)
        else:
            self.progress("reading", "sets and parameters")
            part, r = self._ask(self._messages(prompts.READ.format(text=text, files=files)), "read", history)
            doc = None
            if part is not None:
                data_doc = {"sets": part.get("sets", {}), "params": part.get("params", {})}
                try:
                    declared = load_model(data_doc)
                    symbols = symbols_summary(declared)
                except ModelError as exc:
                    symbols = json.dumps(data_doc)[:4000]
                    r.diagnostics = exc.diagnostics
                self.progress("drafting", "variables, objective, constraints")
                struct, r2 = self._ask(self._messages(prompts.STRUCTURE.format(text=text, symbols=symbols)),
                                       "structure", history)
                if struct is not None:
                    doc = {**struct, "sets": data_doc["sets"], "params": data_doc["params"]}
                    r2.model = doc
                else:
                    r = r2
        model: Model | None = None
        rep: GroundingReport | None = None
        sol: Solution | None = None
        diags: list[Diagnostic] = list(r.diagnostics) if doc is None else []
        last_doc = doc
        seen: set[str] = set()  # every document already verified (canonical JSON)
        first, repairs = True, 0
        while True:
            # model, grounding and solution always describe the answer under review: a final
            # answer that is unusable leaves none (earlier rounds stay in the history)
            model, rep, sol = None, None, None
            step, problems, repeated = "repair", "", False
            if doc is None:  # the last answer was not usable JSON
                diags = list(history[-1].diagnostics) if history else []
                problems = _bullets(diags)
            else:
                last_doc = doc
                key = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
                repeated = key in seen
                seen.add(key)
                self.progress("checking", f"round {repairs}")
                model, diags, rep = self.verify(_without_note(doc), text, first)
                first = False
                if repeated:
                    diags = [_repeated_diagnostic(), *diags]
                blocking = self._blocking(diags)
                clean = model is not None and not any(d.severity == "error" for d in diags)
                if clean and (not blocking or repairs >= self.max_repairs):
                    if not self.do_solve:
                        history[-1].diagnostics = diags
                        break
                    self.progress("solving", self.backend)
                    try:
                        sol = self._solve(model)  # type: ignore[arg-type]
                    except ModelError as exc:
                        diags = diags + exc.diagnostics
                        problems = _bullets(exc.diagnostics)
                    else:
                        if sol.status == Status.INFEASIBLE and _stated_infeasible(doc):
                            # the LLM kept the model and says the text is contradictory: accept
                            diags = diags + [_outcome_diagnostic(model, sol, repairs, stated=True)]  # type: ignore[arg-type]
                            history[-1].diagnostics = diags
                            break
                        if sol.status == Status.INFEASIBLE:
                            step, problems = "repair-infeasible", prompts.INFEASIBLE.format(
                                iis=_iis_text(model, sol))  # type: ignore[arg-type]
                        elif sol.status == Status.UNBOUNDED:
                            step, problems = "repair-unbounded", prompts.UNBOUNDED.format(
                                variables=", ".join(sol.unbounded_variables or ["(not identified)"]))
                        else:
                            history[-1].diagnostics = diags
                            break
                else:
                    problems = _bullets(blocking)
                history[-1].diagnostics = diags
            if repairs >= self.max_repairs:
                if sol is not None and sol.status in (Status.INFEASIBLE, Status.UNBOUNDED):
                    diags = diags + [_outcome_diagnostic(model, sol, repairs)]  # type: ignore[arg-type]
                break
            repairs += 1
            self.progress("repairing", step)
            if repeated:
                problems = f"- {_repeated_diagnostic()}\n{problems}"
            current = json.dumps(last_doc, ensure_ascii=False) if last_doc is not None else history[-1].response[:4000]
            msg = prompts.REPAIR.format(text=text, model=current, problems=problems)
            doc, r = self._ask(self._messages(msg), step, history)
        f = Formalization(text=text, model=model, diagnostics=diags, history=history, usage=self.usage,
                          seconds=time.perf_counter() - started, strategy=self.strategy, grounding=rep,
                          solution=sol)
        return f


@functools.lru_cache(maxsize=1)
def _schema() -> dict:
    """The JSON schema the LLM is asked to fill (the formal model's); built once, never mutated."""
    s = Model.json_schema()
    s.setdefault("title", "Model")
    return s


def _verify_job(doc: dict, text: str, first: bool, backend: str, data_dirs: list[str],
                instantiate: bool) -> tuple[Model | None, list[Diagnostic], GroundingReport | None]:
    """Load, check and ground one document (a module-level function: it runs in worker processes)."""
    try:
        model = load_model(doc, data_dirs=data_dirs or None)
    except ModelError as exc:
        return None, exc.diagnostics, None
    from formalize.verify.grounding import ground
    from solvers.checks import check_model

    # when a solve follows, it builds the instances and its located errors go back for repair
    # the same way: building them here too would lower every model twice
    res = check_model(model, backend=None if backend == "auto" else backend, instantiate=instantiate)
    diags = list(res.diagnostics)
    rep = ground(model, text)
    diags += rep.diagnostics() if first else [d for d in rep.diagnostics() if d.code != "unused-number"]
    return model, diags, rep


def _solve(model: Model, backend: str, time_limit: float | None) -> Solution:
    import solvers

    return solvers.solve(model, backend=backend, time_limit=time_limit)


def _iis_text(model: Model, sol: Solution, limit: int = 40) -> str:
    """The conflict for the repair prompt: the IIS constraints with their text and the variable
    bounds in it, or — when the solver isolated nothing — every constraint and bound as a suspect."""
    desc = {c.name: c.description or c.expr for c in model.constraints}
    lines = []
    for item in sol.iis or []:
        base = item.split("[", 1)[0]
        lines.append(f"- {item}: {desc.get(base, '(variable bound)')}")
    lines += [f"- variable bound {b}" for b in sol.iis_bounds or []]
    if lines:
        return "\n".join(lines[:limit])
    suspects = [f"- constraint {c.name}: {c.expr}" + (f"  ({c.description})" if c.description else "")
                for c in model.constraints]
    for name, v in model.variables.items():
        idx = f"[{', '.join(v.index)}]" if v.index else ""
        suspects.append(f"- variable {name}{idx}: {v.domain}, lb {v.lb}, ub {v.ub}")
    more = [f"- ... and {len(suspects) - limit} more"] if len(suspects) > limit else []
    return "\n".join(["- (the solver could not isolate a conflicting subset; every constraint and "
                      "bound below is a suspect)", *suspects[:limit], *more])


def _bullets(diags: Sequence[Diagnostic]) -> str:
    return "\n".join(f"- {d}" for d in diags)


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


# --------------------------------------------------------------------------- public API


def formalize(text: str, model: str | LLMClient | None = None, data: Sequence[str | Path] = (),
              *, strategy: str = "steps", max_repairs: int = 3, backend: str = "auto",
              no_cache: bool = False, progress: Progress | None = None, sample: int = 0,
              solve: bool = True, time_limit: float | None = None, **params: Any) -> Formalization:
    """Turn a problem in plain words into a verified formal model (solved once to verify it).

    `model` is an LLM model string (e.g. "openai/gpt-4.1", "ollama/qwen2.5:14b"), an
    `LLMClient`, or None to use FORMALIZE_MODEL / the config file."""
    client = _client(model, no_cache=no_cache)
    prog = Program(client, strategy=strategy, max_repairs=max_repairs, backend=backend, data=data,
                   progress=progress, sample=sample, solve=solve, time_limit=time_limit, **params)
    return prog.run(text)


@dataclass
class Vote:
    """The objective values of k independent formalizations, clustered."""

    objectives: list[float | None]
    clusters: list[tuple[float, list[int]]]  # (value, sample indices), largest first
    winner: int | None  # index of the chosen sample
    confidence: float  # share of samples in the winning cluster

    @property
    def agreed(self) -> bool:
        """True when every sample produced the same objective (a failed sample disagrees)."""
        return len(self.clusters) == 1 and len(self.clusters[0][1]) == len(self.objectives)

    @property
    def failed(self) -> list[int]:
        """Samples without an objective (no verified model, infeasible, unbounded, error)."""
        return [i for i, v in enumerate(self.objectives) if v is None]


@dataclass
class Result:
    """A solved problem: the solver's solution and the formalization that produced it."""

    text: str
    solution: Solution | None
    formalization: Formalization | None
    samples: list[Formalization] = field(default_factory=list)
    vote: Vote | None = None
    mode: str = "ir"
    code: str | None = None

    @property
    def objective(self) -> float | None:
        return self.solution.objective if self.solution else None

    @property
    def status(self) -> str:
        return self.solution.status.value if self.solution else "error"

    @property
    def confidence(self) -> float | None:
        return self.vote.confidence if self.vote else None

    @property
    def usage(self) -> Usage:
        u = Usage()
        for f in self.samples or ([self.formalization] if self.formalization else []):
            u = u + f.usage
        return u

    def to_dict(self) -> dict:
        return {"status": self.status, "objective": self.objective, "mode": self.mode,
                "solution": self.solution.to_dict() if self.solution else None,
                "formalization": self.formalization.to_dict() if self.formalization else None,
                "confidence": self.confidence,
                "vote": None if self.vote is None else {
                    "objectives": self.vote.objectives, "confidence": self.vote.confidence,
                    "clusters": [{"objective": v, "samples": ix} for v, ix in self.vote.clusters]},
                "usage": self.usage.as_dict(), "code": self.code}

    def __rich__(self):
        from formalize.render import result_rich

        return result_rich(self)

    def _repr_html_(self) -> str:
        from formalize.render import result_html

        return result_html(self)


def _as_path(x: str | Path) -> Path | None:
    """`x` as an existing file path, or None when it is problem text."""
    if isinstance(x, Path):
        return x if x.is_file() else None
    if "\n" in x or len(x) > 1024:
        return None
    try:
        p = Path(x)
        return p if p.is_file() else None
    except OSError:
        return None


def cluster_objectives(values: Sequence[float | None], rel_tol: float = 1e-6) -> list[tuple[float, list[int]]]:
    """Group equal objective values (relative tolerance); largest group first, ties by first seen."""
    clusters: list[tuple[float, list[int]]] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        for c in clusters:
            if abs(c[0] - v) <= rel_tol * max(1.0, abs(c[0]), abs(v)):
                c[1].append(i)
                break
        else:
            clusters.append((v, [i]))
    clusters.sort(key=lambda c: (-len(c[1]), c[1][0]))
    return clusters


def solve(text_or_path: str | Path, model: str | LLMClient | None = None, data: Sequence[str | Path] = (),
          *, samples: int = 1, mode: str = "ir", strategy: str = "steps", max_repairs: int = 3,
          backend: str = "auto", time_limit: float | None = None, no_cache: bool = False,
          progress: Progress | None = None, executor: Executor | None = None, **params: Any) -> Result:
    """Solve a problem given in plain words (text or a .txt path) or a formal model (.json/.yaml path).

    A formal model skips the LLM. Otherwise the LLM formalizes (k `samples` vote on the
    objective) and the solver computes the answer."""
    p = _as_path(text_or_path)
    if p is not None and p.suffix.lower() in (".json", ".yaml", ".yml"):
        m = load_model(p, data_dirs=[Path(d).parent for d in data] or None)
        sol = _solve(m, backend, time_limit)
        f = Formalization(text="", model=m, diagnostics=[], history=[], usage=Usage(), seconds=0.0,
                          strategy="given", solution=sol)
        return Result(text="", solution=sol, formalization=f, mode="model")
    text = p.read_text(encoding="utf-8") if p is not None else str(text_or_path)
    if mode not in ("ir", "code"):
        raise ValueError(f"mode must be 'ir' or 'code', got {mode!r}")
    if mode == "code" and data:
        raise ValueError("code mode takes no data files (the generated code may not read files); "
                         "use mode 'ir' or put the data in the problem text")
    client = _client(model, no_cache=no_cache)

    def one(k: int) -> Formalization:
        prog = progress if k == 0 else None  # one live progress line, from the first sample
        if mode == "code":
            from formalize.codemode.codegen import solve_with_code

            f = solve_with_code(text, client, max_repairs=max_repairs, time_limit=time_limit,
                                progress=prog, sample=k, **params).formalization
            assert f is not None
            return f
        return Program(client, strategy=strategy, max_repairs=max_repairs, backend=backend, data=data,
                       progress=prog, sample=k, time_limit=time_limit, executor=executor,
                       **params).run(text)

    if samples <= 1:
        f = one(0)
        return Result(text=text, solution=f.solution, formalization=f, samples=[f], mode=mode,
                      code=f.code)
    with ThreadPoolExecutor(max_workers=min(samples, 8)) as ex:
        outcomes = list(ex.map(functools.partial(_guarded, one), range(samples)))
    errors = [o for o in outcomes if isinstance(o, LLMError)]
    if len(errors) == samples:
        raise errors[0]  # the provider failed for every sample: nothing to vote on
    forms = [o if isinstance(o, Formalization) else _failed_sample(text, o, mode, strategy)
             for o in outcomes]
    vote, chosen = vote_on(forms)
    if progress is not None:
        progress("voting", f"{len(vote.clusters[0][1]) if vote.clusters else 0}/{samples} samples agree")
    return Result(text=text, solution=chosen.solution, formalization=chosen, samples=forms, vote=vote,
                  mode=mode, code=chosen.code)


def _guarded(fn: Callable[[int], Formalization], k: int) -> Formalization | LLMError:
    """`fn(k)`, with a provider failure returned instead of raised (one sample must not sink k)."""
    try:
        return fn(k)
    except LLMError as exc:
        return exc


def _failed_sample(text: str, exc: LLMError, mode: str, strategy: str) -> Formalization:
    diag = Diagnostic("llm-error", f"this sample's LLM call failed: {exc}",
                      location=Location(section="answer"), hint="retry, or check the provider")
    return Formalization(text=text, model=None, diagnostics=[diag], history=[], usage=Usage(),
                         seconds=0.0, strategy="code" if mode == "code" else strategy)


def vote_on(forms: Sequence[Formalization]) -> tuple[Vote, Formalization]:
    """Cluster the samples' objective values; the majority's first sample is the answer.

    Confidence is the winning cluster's share of *all* samples (failed ones count against it).
    Without any objective (every sample failed or is infeasible/unbounded), the first verified
    sample that reached the solver is shown, else the first sample; confidence is then 0."""
    objs = [f.solution.objective if f.solution is not None and f.solution.ok else None for f in forms]
    clusters = cluster_objectives(objs)
    if clusters:
        winner: int | None = clusters[0][1][0]
        conf = len(clusters[0][1]) / len(forms)
        chosen = forms[clusters[0][1][0]]
    else:
        winner, conf = None, 0.0
        chosen = next((f for f in forms if f.ok and f.solution is not None), forms[0])
    return Vote(objectives=objs, clusters=clusters, winner=winner, confidence=conf), chosen


__all__ = ["Formalization", "LLMError", "Program", "Result", "Round", "Vote", "cluster_objectives",
           "formalize", "solve", "vote_on"]
