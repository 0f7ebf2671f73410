"""The text-aware verifier on a code-mode program: the same grounding as a formal model's.

`check_program(src, text, built=...)` grounds the numbers the program uses (its literals in the
statements that build the model, `code_numbers.py`) against the text with `grounding`, lists the
text's numbers the built model does not use (the same `unused-number` advice as a formal model,
answered by a `# acknowledged: <number> - <reason>` comment), and reports data the program keeps
but never builds into its model (`unused-data`, as a formal model's `unused-param`). `built`
describes the model the harvest read back (`BuiltNumbers`): the numbers it holds count as uses
of equal text numbers (data a program computes or parses), its index sizes as structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formalize.verify.code_numbers import ProgramNumbers, program_numbers
from formalize.verify.derivation import derivations
from formalize.verify.grounding import GroundingReport, ModelNumber, fmt, ground_numbers
from solvers.diagnostics import Diagnostic, Location

_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class BuiltNumbers:
    """What the built model tells the verifier: the numbers it holds (coefficients, bounds,
    right-hand sides, objective terms) and its structure (sizes of index sets, integer index
    elements, number of variable families)."""

    values: np.ndarray = field(default_factory=lambda: np.empty(0))
    structural: list[float] = field(default_factory=list)


@dataclass
class ProgramReport:
    """Grounding of a program's numbers and the findings about its data."""

    grounding: GroundingReport
    program: ProgramNumbers
    findings: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.grounding.ok and not any(d.severity == "error" for d in self.findings)

    @property
    def assumptions(self) -> list[str]:
        return list(self.program.assumptions)

    def diagnostics(self) -> list[Diagnostic]:
        """Every finding, errors first, then advice and warnings, then info."""
        return sorted([*self.grounding.diagnostics(), *self.findings],
                      key=lambda d: _ORDER.get(d.severity, 3))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "grounding": self.grounding.to_dict(),
                "unused_data": dict(self.program.unused_data),
                "assumptions": self.assumptions,
                "findings": [d.to_dict() for d in self.findings]}


def _derivation_key(line: int) -> str:
    return f"line {line}"


def _grouped(pn: ProgramNumbers) -> list[ModelNumber]:
    """The reached literals as ModelNumbers, one per (value, kind, data name, own or not, stated
    derivation), at its first place; a literal on a line a `# derived:` comment covers carries
    that comment's key as its `param`, so the derivation applies to it."""
    seen: dict[tuple, ModelNumber] = {}
    for c in pn.numbers:
        if not c.reached or c.kind == "constant":
            continue
        derived = pn.derived.get(c.line)
        param = _derivation_key(derived[0]) if derived else None
        key = (c.value, c.kind, c.name, pn.modelling.get(c.line), param)
        if key in seen:
            m = seen[key]
            seen[key] = ModelNumber(m.value, m.location, m.kind, m.param, m.count + 1)
        else:
            seen[key] = ModelNumber(c.value, c.location, c.kind, param)
    return list(seen.values())


def _line(loc: Location) -> int:
    try:
        return int((loc.field or "").removeprefix("line "))
    except ValueError:
        return 0


def check_program(src: str, text: str, built: BuiltNumbers | None = None,
                  numbers: ProgramNumbers | None = None) -> ProgramReport:
    """Ground the program `src` against `text`; `built`: what its harvested model holds (None
    when the program did not run: the literals alone are grounded, and no text number is called
    unused, since the model that would use it is unknown); `numbers`: `program_numbers(src)`,
    when the caller has it already."""
    pn = numbers if numbers is not None else program_numbers(src)
    structural = [float(n) for n in pn.sizes] + (built.structural if built is not None else [])
    top = max([0.0, *[abs(x) for x in structural]])
    acks = [a for _, a in pn.acknowledged]
    numbers = _grouped(pn)
    covering = {mn.param for mn in numbers if mn.param}  # only derivations of numbers the model uses
    derivs = {key: ds for line, comment in set(pn.derived.values())
              if (key := _derivation_key(line)) in covering and (ds := derivations(comment))}
    rep = ground_numbers(text, numbers, structural=np.unique(np.asarray(structural, dtype=float)),
                         top=top, acknowledged=acks, derivs=derivs,
                         evidence=built.values if built is not None else None,
                         modelling=lambda mn: pn.modelling.get(_line(mn.location)))
    rep.source = "code"
    rep.ack_locations = {k: Location(section="code", field=f"line {line}", symbol=a.number)
                         for k, (line, a) in enumerate(pn.acknowledged)}
    if built is None:
        rep.unused = []  # without the built model, a text number's use cannot be judged
    findings = list(pn.comment_errors)
    if built is not None:
        for name, line in sorted(pn.unused_data.items(), key=lambda x: x[1]):
            vals = sorted({c.value for c in pn.numbers if c.name == name and not c.reached})
            shown = ", ".join(fmt(v) for v in vals[:6]) + (", ..." if len(vals) > 6 else "")
            findings.append(Diagnostic(
                "unused-data", f"`{name}` holds numbers ({shown}) that the model the program builds never uses",
                severity="warning", location=Location(section="code", field=f"line {line}", symbol=name),
                hint="build it into the objective or the constraints where the text requires it, or "
                     "remove it (a cost, a capacity or a limit of the text may be missing)"))
    return ProgramReport(rep, pn, findings)


__all__ = ["BuiltNumbers", "ProgramReport", "check_program"]
