"""Scoring a run's outcome against a label: the rule every runner and the library audit share."""

from __future__ import annotations

import math

ORLM_TOLERANCE = 0.05
ABS_TOL = 1e-6
SOLVED = ("optimal", "feasible")
DEFINITE = ("optimal", "feasible", "infeasible", "unbounded")
NULL_LABELS = ("infeasible", "missing")  # null answer: the problem is expected to be infeasible
UNSCORED_LABELS = ("unparsed", "objective_key_unresolved")
NO_REFERENCE = "no-reference"
CANNOT_EXPRESS = "cannot-express"  # the library records that the model format cannot express it


def is_correct(label: float | None, label_status: str, status: str, objective: float | None,
               tol: float) -> bool | None:
    """Whether a run's outcome matches the label (None: the label cannot be scored).

    A numeric label is matched by an optimal/feasible outcome within ``max(tol * |label|, 1e-6)``;
    a null label with status infeasible/missing by ``infeasible`` (``unbounded`` by
    ``unbounded``); a feasibility label by any feasible point."""
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
    return abs(objective - label) <= max(tol * abs(label), ABS_TOL)
