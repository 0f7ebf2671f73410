"""What a run gives back, in either mode: `Round` (one LLM call), `Step` (one step of the trace),
`Formalization` (the verified model or why there is none), `Vote` and `Result`.

The formal-model program (`formalize.program.pipeline`) and code mode (`formalize.codemode`)
both build these; renderers and the CLI read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from formalize.llm.client import Usage
from solvers import Model, Solution, Status
from solvers.diagnostics import Diagnostic, Location

if TYPE_CHECKING:
    from formalize.verify.grounding import GroundingReport

Progress = Callable[[str, str], None]  # (step, detail): reading, drafting, checking, solving, ...


@dataclass
class Round:
    """One LLM call of a program: the step that made it, what it was shown, what came back and
    what the verifier said about it."""

    step: str  # read | structure | single | repair | repair-infeasible | repair-unbounded | code
    diagnostics: list[Diagnostic] = field(default_factory=list)
    model: dict | None = None
    response: str = ""
    tokens: int = 0
    cached: bool = False
    context: tuple[str, ...] = ()  # what the call was shown, e.g. ("problem text", "declared symbols")

    def to_dict(self) -> dict:
        return {"step": self.step, "context": list(self.context),
                "diagnostics": [d.to_dict() for d in self.diagnostics],
                "model": self.model, "tokens": self.tokens, "cached": self.cached}


@dataclass(frozen=True)
class Step:
    """One step of the program as it ran (LLM or not): its name, the repair round it belongs to
    and what it found, e.g. Step("verify", 0, "2 error(s), 1 advice")."""

    name: str  # read | structure | draft | verify | solve | repair | code | run | lift (why not lifted)
    round: int
    detail: str = ""

    def to_dict(self) -> dict:
        return {"step": self.name, "round": self.round, "detail": self.detail}


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
    trace: list[Step] = field(default_factory=list)  # every step that ran, in order
    # code mode: the containment layers in force for the last sandboxed run, as the parent saw
    # them (layer -> what), e.g. {"outer": "bubblewrap 0.8.0 (...)", "seccomp": "allow-list ..."}
    containment: dict[str, str] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)  # readings stated where the text is silent

    @property
    def ok(self) -> bool:
        """True when a model passed every check (warnings and advice allowed).

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
                "history": [r.to_dict() for r in self.history],
                "trace": [s.to_dict() for s in self.trace], "usage": self.usage.as_dict(),
                "seconds": self.seconds, "repair_rounds": self.repair_rounds,
                "assumptions": list(self.assumptions),
                "grounding": self.grounding.to_dict() if self.grounding is not None else None,
                "containment": dict(self.containment)}

    def __rich__(self) -> Any:
        from formalize.render import formalization_rich

        return formalization_rich(self)

    def _repr_html_(self) -> str:
        from formalize.render import formalization_html

        return formalization_html(self)


def failed_sample(text: str, exc: Exception, strategy: str) -> Formalization:
    """A sample whose LLM call failed for good (the other samples still vote)."""
    diag = Diagnostic("llm-error", f"this sample's LLM call failed: {exc}",
                      location=Location(section="answer"), hint="retry, or check the provider")
    return Formalization(text=text, model=None, diagnostics=[diag], history=[], usage=Usage(),
                         seconds=0.0, strategy=strategy)


@dataclass
class Vote:
    """The objective values of k independent formalizations, clustered."""

    objectives: list[float | None]
    clusters: list[tuple[float, list[int]]]  # (value, sample indices), largest first
    winner: int | None  # index of the chosen sample
    confidence: float  # share of samples in the winning cluster
    # per cluster (same order as `clusters`): the assumptions its samples state, each once, in
    # the order first stated — filled when the optima differ, to show which reading gave which
    readings: list[list[str]] = field(default_factory=list)

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
                    "clusters": [{"objective": v, "samples": ix,
                                  "assumptions": self.vote.readings[k] if k < len(self.vote.readings) else []}
                                 for k, (v, ix) in enumerate(self.vote.clusters)]},
                "usage": self.usage.as_dict(), "code": self.code}

    def __rich__(self) -> Any:
        from formalize.render import result_rich

        return result_rich(self)

    def _repr_html_(self) -> str:
        from formalize.render import result_html

        return result_html(self)


__all__ = ["Formalization", "Progress", "Result", "Round", "Step", "Vote", "failed_sample"]
