"""Scoring a run's outcome against a label: the rule every runner and the library audit share.

A text may ask for its answer rounded ("Provide your answer rounded to the nearest dollar"):
:func:`answer_rounding` reads that request, and :func:`is_correct` then compares the run's
objective and the label after that rounding — an optimum of 15.2351 answers "rounded to the
nearest dollar" with 15."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ORLM_TOLERANCE = 0.05
ABS_TOL = 1e-6
SOLVED = ("optimal", "feasible")
DEFINITE = ("optimal", "feasible", "infeasible", "unbounded")
NULL_LABELS = ("infeasible", "missing")  # null answer: the problem is expected to be infeasible
# labels that cannot be scored; incomplete-text: the library found the text lacks data the answer needs
UNSCORED_LABELS = ("unparsed", "objective_key_unresolved", "incomplete-text")
NO_REFERENCE = "no-reference"
CANNOT_EXPRESS = "cannot-express"  # the library records that the model format cannot express it
INCOMPLETE_TEXT = "incomplete-text"  # the library records that the text omits data the problem needs
ROUNDING_MODES = ("nearest", "up", "down")


@dataclass(frozen=True)
class Rounding:
    """How a text asks for its answer rounded: to the nearest multiple of ``unit`` (or up, or
    down, to one); ``words`` are the text's."""

    mode: str
    unit: float
    words: str = ""

    def apply(self, value: float) -> float:
        """``value`` rounded as asked (half away from zero; solver noise of 1e-6 units ignored)."""
        q = round(value / self.unit, 6)
        if self.mode == "up":
            n = math.ceil(q)
        elif self.mode == "down":
            n = math.floor(q)
        else:
            n = math.copysign(math.floor(abs(q) + 0.5), q)
        out = n * self.unit
        return round(out, 9) if self.unit < 1 else out

    def to_json(self) -> dict[str, Any]:
        """The record's ``answer_rounding`` field."""
        return {"mode": self.mode, "unit": self.unit, "words": self.words}

    @classmethod
    def of(cls, spec: Rounding | Mapping[str, Any] | None) -> Rounding | None:
        """A Rounding from itself or its JSON form (None stays None; a malformed form is None)."""
        if spec is None or isinstance(spec, Rounding):
            return spec
        try:
            mode, unit = str(spec["mode"]), float(spec["unit"])
        except (KeyError, TypeError, ValueError):
            return None
        if mode not in ROUNDING_MODES or not math.isfinite(unit) or unit <= 0:
            return None
        return cls(mode, unit, str(spec.get("words") or ""))


_SCALES = {"ten": 10, "tens": 10, "hundred": 100, "hundreds": 100, "thousand": 1000, "thousands": 1000,
           "million": 1e6, "millions": 1e6, "tenth": 0.1, "tenths": 0.1, "hundredth": 0.01,
           "hundredths": 0.01, "cent": 0.01, "cents": 0.01, "penny": 0.01, "thousandth": 0.001,
           "thousandths": 0.001}
_PLACES = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_ROUND = (r"\bround(?:ed|ing)?(?:\s+(?:it|this|that|the\s+(?:answer|result|value|total|number)|"
          r"your\s+(?:final\s+)?(?:answer|result)))?(?:\s+(?P<dir>off|up|down))?"
          r"(?:\s+(?:it|the\s+answer|your\s+answer))?(?:\s+off)?")
_TARGETED = re.compile(_ROUND + r"\s+(?:to\s+)?(?:the\s+)?(?:(?:nearest|closest)\s+(?:whole\s+)?"
                       r"(?P<what>[a-z]+)|(?P<places>\w+)\s+decimal\s+(?:places?|digits?))", re.I)
_BARE = re.compile(_ROUND + r"(?=\s*[).,;:?]|\s*$)", re.I)


def answer_rounding(text: str) -> Rounding | None:
    """The rounding a problem text asks of its answer, or None.

    Read from phrases such as "rounded to the nearest dollar / whole number / integer", "round
    your answer off to the nearest thousand dollars", "rounded to two decimal places", "rounded
    up to the nearest dollar", "(rounded off)" (bare: to the nearest whole). A rounding of the
    plan's quantities ("rounded down to whole numbers as partial sales are not possible") names no
    nearest unit and is not read. When a text has several, the last (the question's) counts."""
    found: list[tuple[int, Rounding]] = []
    for m in _TARGETED.finditer(text):
        mode = {"up": "up", "down": "down"}.get((m.group("dir") or "").lower(), "nearest")
        if m.group("places") is not None:
            p = m.group("places").lower()
            n = int(p) if p.isdigit() else _PLACES.get(p)
            if n is None or n > 9:
                continue
            unit = 10.0 ** -n
        else:
            unit = float(_SCALES.get(m.group("what").lower(), 1))
        found.append((m.start(), Rounding(mode, unit, " ".join(m.group(0).split()))))
    for m in _BARE.finditer(text):
        if not any(s == m.start() for s, _ in found):
            mode = {"up": "up", "down": "down"}.get((m.group("dir") or "").lower(), "nearest")
            found.append((m.start(), Rounding(mode, 1.0, " ".join(m.group(0).split()))))
    return max(found, key=lambda f: f[0])[1] if found else None


def is_correct(label: float | None, label_status: str, status: str, objective: float | None,
               tol: float, rounding: Rounding | Mapping[str, Any] | None = None) -> bool | None:
    """Whether a run's outcome matches the label (None: the label cannot be scored).

    A numeric label is matched by an optimal/feasible outcome within ``max(tol * |label|, 1e-6)``
    — after the ``rounding`` the text asks of its answer (:func:`answer_rounding`; its JSON form is
    accepted), applied to the objective and the label alike; a null label with status
    infeasible/missing by ``infeasible`` (``unbounded`` by ``unbounded``); a feasibility label by
    any feasible point."""
    if label_status in UNSCORED_LABELS:
        return None
    if label_status == "feasible":
        return status in SOLVED
    if label is None:
        if label_status == "unbounded":  # a corrected label: the text's model is unbounded
            return status == "unbounded"
        return status == "infeasible" if label_status in NULL_LABELS else None
    if status not in SOLVED or objective is None or not math.isfinite(objective):
        return False
    r = Rounding.of(rounding)
    if r is not None:
        objective, label = r.apply(objective), r.apply(label)
    return abs(objective - label) <= max(tol * abs(label), ABS_TOL)
