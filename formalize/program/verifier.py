"""The verify and solve steps' work, as plain functions (they run in worker processes too).

`verify_document` runs every check that can run on a complete model at once — the loader's
schema and data checks, the static checks, the constraint instances built by the lowering (index
errors, missing entries, big-M bounds), convexity, number grounding — and keeps the lowering, so
`solve_verdict` solves without lowering again. `Verdict` holds the findings and the repair policy:
errors are always repaired; advice (e.g. a text number the model never uses) is asked about on
the first complete model only; other warnings never cost a round.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from formalize.verify import ADVICE_CODES, ERROR_CODES
from solvers import Model, ModelError, Solution, load_model
from solvers.diagnostics import Diagnostic

if TYPE_CHECKING:
    from formalize.verify.grounding import GroundingReport
    from solvers.lowered import Lowered

# findings that must be repaired whatever severity they carry (one source: formalize.verify)
MUST_FIX = ERROR_CODES
# advice: shown every round, asked about once (first complete model), never blocking after;
# the text-aware verifier's advice codes (one source: formalize.verify)
ADVICE = ADVICE_CODES


def is_error(d: Diagnostic) -> bool:
    """A finding the model must fix before it is accepted."""
    return d.severity == "error" or d.code in MUST_FIX


def is_advice(d: Diagnostic) -> bool:
    """A finding to check (and fix or acknowledge), never an error."""
    return not is_error(d) and (d.code in ADVICE or d.severity == "advice")  # type: ignore[comparison-overlap]


@dataclass
class Verdict:
    """What the verifier found in one document: the model (None when it did not load), every
    finding, the grounding, and the lowering a solve reuses."""

    model: Model | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    grounding: GroundingReport | None = None
    lowered: Lowered | None = field(default=None, repr=False)
    backend: str = "auto"  # the backend `lowered` was built for

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if is_error(d)]

    @property
    def advice(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if is_advice(d)]

    @property
    def solvable(self) -> bool:
        """The model loaded and has no error: a solve can run (advice does not stop it)."""
        return self.model is not None and not any(d.severity == "error" for d in self.diagnostics)

    def must_repair(self, first: bool) -> list[Diagnostic]:
        """The findings that send the model back: errors, and on the first model its advice."""
        return self.errors + (self.advice if first else [])


def verify_document(doc: dict, text: str, backend: str = "auto",
                    data_dirs: Sequence[str] = (), data_files: Sequence[str] = ()) -> Verdict:
    """Load, check (instances included) and ground one document; never raises for a bad model.

    The model may read files below `data_dirs` and the `data_files` themselves (the --data files).
    A module-level function: the benchmark runner calls it in worker processes."""
    try:
        model = load_model(doc, data_dirs=list(data_dirs) or None, data_files=list(data_files) or None)
    except ModelError as exc:
        return Verdict(None, exc.diagnostics)
    from formalize.verify.grounding import ground
    from formalize.verify.report import static_findings
    from solvers.checks import check_model

    res = check_model(model, backend=None if backend == "auto" else backend, instantiate=True)
    rep = ground(model, text)
    text_checks = static_findings(model, text, rep, res.lowered) if res.ok else []
    return Verdict(model, [*res.diagnostics, *rep.diagnostics(), *text_checks], rep, res.lowered,
                   res.lowered_for or backend)


def solve_verdict(target: Model | Lowered, backend: str, time_limit: float | None,
                  progress: Callable[[str, str], None] | None = None) -> Solution:
    """Solve a verified model (its kept lowering when there is one) under the time limit (None:
    the default); solver progress goes to `progress` as ("solver", "<incumbent, bound, gap>").
    Raises ModelError for what only the backend finds (e.g. a coefficient CP-SAT cannot scale
    exactly)."""
    import solvers

    report = None if progress is None else (lambda p: progress("solver", str(p)))
    return solvers.solve(target, backend=backend, time_limit=time_limit, progress=report)


def stopped_diagnostic(sol: Solution) -> Diagnostic:
    """A solve that hit the time limit or was interrupted is not a fault of the model: say so,
    with what was found, instead of sending it back for repair."""
    from solvers import Status
    from solvers.diagnostics import Location

    found = (f"best objective {sol.objective:.10g}" + (f", gap {sol.gap:.2%}" if sol.gap is not None else "")
             if sol.has_solution and sol.objective is not None else "no feasible solution found yet")
    what = "reached the time limit" if sol.status == Status.TIME_LIMIT else "was interrupted"
    return Diagnostic(str(sol.status), f"the solve {what} ({found}); the model was not repaired "
                      "for it: a stopped solve says nothing against the model", severity="warning",
                      location=Location(section="model"),
                      hint="give the solver more time (--time-limit SECONDS, or 'none')"
                      if sol.status == Status.TIME_LIMIT else "run the solve again to finish it")


__all__ = ["ADVICE", "MUST_FIX", "Verdict", "is_advice", "is_error", "solve_verdict",
           "stopped_diagnostic", "verify_document"]
