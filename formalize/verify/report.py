"""Everything the text-aware verifier says about a model: grounding plus the wrong-but-valid checks.

`check_text(model, text)` runs the checks that need no solution — grounding, mixed money units,
equalities that fix every variable (on the lowering, reused when given) — and, with a solution,
the idle-member check. `solution_findings` is the post-solve part alone (the program calls it
after its solve). Findings are ordered errors, advice, info (docs/semantics.md, "Text-aware
codes").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from formalize.verify.grounding import GroundingReport, ground
from solvers.diagnostics import Diagnostic
from solvers.model import Model

_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class TextReport:
    """The grounding and the findings of the other text-aware checks."""

    grounding: GroundingReport
    findings: list[Diagnostic] = field(default_factory=list)  # wrong-but-valid checks
    solved: bool = False  # the post-solve checks ran

    @property
    def ok(self) -> bool:
        """True when nothing must be repaired (advice may remain)."""
        return self.grounding.ok and not any(d.severity == "error" for d in self.findings)

    def diagnostics(self) -> list[Diagnostic]:
        """Every finding, errors first, then advice, then info."""
        return sorted([*self.grounding.diagnostics(), *self.findings], key=lambda d: _ORDER.get(d.severity, 3))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "grounding": self.grounding.to_dict(), "solution_checks": self.solved,
                "findings": [d.to_dict() for d in self.findings]}


def static_findings(model: Model, text: str, grounding: GroundingReport, lowered: Any = None) -> list[Diagnostic]:
    """The wrong-but-valid checks that need no solution: mixed money units, equalities that fix
    every variable (`lowered`: the model's lowering when the caller has it)."""
    from formalize.verify.fixed import fixed_by_equalities
    from formalize.verify.units import mixed_units

    return [*mixed_units(model, text, grounding), *fixed_by_equalities(model, text, lowered)]


def solution_findings(model: Model, text: str, solution: Any) -> list[Diagnostic]:
    """The checks of a solved model against the text: idle members of "each … must" sets."""
    from formalize.verify.idle import idle_members

    if solution is None or not getattr(solution, "ok", False):
        return []
    return idle_members(model, text, solution.values)


def check_text(model: Model, text: str, *, lowered: Any = None, solution: Any = None) -> TextReport:
    """Ground `model` against `text` and run the other text-aware checks (the post-solve ones
    when a `solution` is given)."""
    rep = ground(model, text)
    findings = static_findings(model, text, rep, lowered)
    if solution is not None:
        findings += solution_findings(model, text, solution)
    return TextReport(rep, findings, solved=solution is not None)


__all__ = ["TextReport", "check_text", "solution_findings", "static_findings"]
