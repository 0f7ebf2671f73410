"""What every hand-run procedure shares: the step-by-step check result and number reading."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

MAX_FAULTS = 20  # faults kept per check (the count is always complete)


class TraceUnavailable(ValueError):
    """The procedure cannot be offered on this instance (too large, wrong family)."""


@dataclass
class StepFault:
    """One wrong step: its number (1-based, in the order the procedure runs), a label that says
    where it is (``cell (3, 17)``, ``pivot 2``, ``2-opt move 4``) and what is wrong."""

    step: int
    label: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "label": self.label, "message": self.message}

    def __str__(self) -> str:
        return f"step {self.step} ({self.label}): {self.message}"


@dataclass
class TraceCheck:
    """Every step of a reported execution checked against the procedure's rule.

    Each step is checked *locally*: from the answer's own previous state (a DP row's step from the
    answer's previous row, a pivot from the answer's previous basis), so one slip is one wrong
    step and does not condemn everything after it. ``steps_total`` is the larger of the steps
    the answer reports and the steps a correct run takes (steps not reported are wrong);
    ``fidelity`` = steps right / steps total. ``final_ok``: the reported result is the
    procedure's result (its optimum for the DP and the simplex method; a correct tour length at
    a 2-opt local optimum for the tour heuristic)."""

    procedure: str
    steps_total: int
    steps_right: int
    faults: list[StepFault] = field(default_factory=list)
    n_faults: int = 0
    final_ok: bool | None = None
    final_detail: str = ""
    result: float | None = None  # the answer's final objective (tour length, optimum), if any

    @property
    def fidelity(self) -> float:
        return self.steps_right / self.steps_total if self.steps_total else 0.0

    @property
    def first_wrong(self) -> StepFault | None:
        return self.faults[0] if self.faults else None

    @property
    def correct(self) -> bool:
        return self.n_faults == 0 and self.steps_right == self.steps_total and bool(self.final_ok)

    def to_dict(self) -> dict[str, Any]:
        return {"procedure": self.procedure, "steps_total": self.steps_total,
                "steps_right": self.steps_right, "fidelity": self.fidelity,
                "n_faults": self.n_faults,
                "first_wrong": self.first_wrong.to_dict() if self.first_wrong else None,
                "faults": [f.to_dict() for f in self.faults], "final_ok": self.final_ok,
                "final_detail": self.final_detail, "result": self.result}

    def summary(self) -> str:
        """One line: share of steps right and the first wrong step."""
        head = f"{self.steps_right}/{self.steps_total} steps right ({self.fidelity:.0%})"
        if self.first_wrong is not None:
            head += f"; first wrong: {self.first_wrong}"
        if self.final_detail:
            head += f"; {self.final_detail}"
        return head


class Faults:
    """Collects faults in step order (keeps the first MAX_FAULTS, counts all)."""

    def __init__(self) -> None:
        self.items: list[StepFault] = []
        self.count = 0

    def add(self, step: int, label: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_FAULTS:
            self.items.append(StepFault(step, label, message))


def number(v: Any) -> Fraction | None:
    """An exact number from JSON: int, float, or a string "7", "7.5", "15/2" (None otherwise)."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, float):
        return Fraction(v) if math.isfinite(v) else None
    if isinstance(v, str):
        s = v.strip().replace("\u2212", "-").replace(",", "")
        try:
            return Fraction(s)
        except (ValueError, ZeroDivisionError):
            return None
    return None


def same(a: Fraction | None, b: Fraction | int | float, tol: float = 1e-6) -> bool:
    """`a` equals `b` exactly, or within a relative `tol` (answers written as decimals)."""
    if a is None:
        return False
    b = Fraction(b)
    if a == b:
        return True
    return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(b)))


def show(x: Fraction | float | int | None) -> str:
    """A number as a person writes it: 7, 7.5, 22/7 (exact fractions with short denominators)."""
    if x is None:
        return "nothing"
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return str(x.numerator)
        f = float(x)
        return f"{x.numerator}/{x.denominator}" if x.denominator <= 1000 and \
            abs(f - round(f, 4)) > 1e-12 else f"{f:g}"
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)
