"""The public entry points: `solve` (either mode, k samples, the vote) and `formalize`.

Above both modes: the formal-model program (`formalize.program`) and code mode
(`formalize.codemode`) each produce a `Formalization`; `solve` runs one of them once or k times
and the vote step picks the answer. Re-exported lazily by `formalize`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from formalize.llm.client import LLMClient, LLMError, Usage, make_client
from formalize.program.pipeline import Program, formalize
from formalize.program.results import Formalization, Progress, Result, failed_sample
from formalize.program.verifier import solve_verdict
from formalize.program.vote import vote_on
from solvers import load_model
from solvers.document import read_text_file

MODES = ("ir", "code")


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


def solve(text_or_path: str | Path, model: str | LLMClient | None = None, data: Sequence[str | Path] = (),
          *, samples: int = 1, mode: str = "ir", strategy: str = "steps", max_repairs: int = 3,
          backend: str = "auto", time_limit: float | None = None, no_cache: bool = False,
          progress: Progress | None = None, executor: Executor | None = None, **params: Any) -> Result:
    """Solve a problem given in plain words (text or a .txt path) or a formal model (.json/.yaml path).

    A formal model skips the LLM. Otherwise the LLM formalizes — a formal model (`mode="ir"`) or
    model-building code (`mode="code"`) — k `samples` vote on the objective, and the solver
    computes the answer."""
    p = _as_path(text_or_path)
    if p is not None and p.suffix.lower() in (".json", ".yaml", ".yml"):
        m = load_model(p, data_files=list(data) or None)
        sol = solve_verdict(m, backend, time_limit, progress)
        f = Formalization(text="", model=m, diagnostics=[], history=[], usage=Usage(), seconds=0.0,
                          strategy="given", solution=sol)
        return Result(text="", solution=sol, formalization=f, mode="model")
    text = read_text_file(p) if p is not None else str(text_or_path)
    if mode not in MODES:
        raise ValueError(f"mode must be 'ir' or 'code', got {mode!r}")
    if mode == "code" and data:
        raise ValueError("code mode takes no data files (the generated code may not read files); "
                         "use mode 'ir' or put the data in the problem text")
    client = make_client(model, no_cache=no_cache)

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
        try:
            outcomes = list(ex.map(functools.partial(_guarded, one), range(samples)))
        except KeyboardInterrupt:  # Ctrl-C reaches this thread only: stop the samples' solves
            from solvers.backends.contract import stop_all

            stop_all()
            ex.shutdown(wait=False, cancel_futures=True)
            raise
    errors = [o for o in outcomes if isinstance(o, LLMError)]
    if len(errors) == samples:
        raise errors[0]  # the provider failed for every sample: nothing to vote on
    forms = [o if isinstance(o, Formalization)
             else failed_sample(text, o, "code" if mode == "code" else strategy) for o in outcomes]
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


__all__ = ["formalize", "solve"]
