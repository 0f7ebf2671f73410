"""Verdicts of the comparison mode: reading a direct answer and scoring it against the ground
truth with the independent checker (values, objective) or the step checker (trace)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from formalize.evaluation.fmt import close as _close
from formalize.evaluation.fmt import jnum as _jnum
from formalize.evaluation.fmt import num as _fmt
from formalize.evaluation.fmt import pct as _pct
from formalize.evaluation.fmt import unjnum
from formalize.evaluation.truth import GroundTruth
from formalize.llm.client import DuplicateKeyError, LLMOutputError, extract_json
from solvers import Model

VARIANTS = ("values", "objective", "trace")
"""Direct-answer variants: ``values`` (every variable of the verified model and the objective),
``objective`` (the optimal objective only: "standard prompting"), ``trace`` (run a named
procedure by hand and report every intermediate state; families with a procedure only)."""
VERDICTS = ("correct", "suboptimal", "exceeds-optimum", "infeasible", "self-inconsistent", "wrong",
            "unparseable")
"""Verdicts: ``correct`` (feasible, objective within rel tol of the optimum; objective variant:
claimed objective within rel tol; trace: every step right and the procedure's result reported),
``suboptimal`` (feasible, worse than the optimum by a gap), ``exceeds-optimum`` (feasible and
better than the reference — only possible when the reference is not proven optimal: a finding
about the ground truth, not the answer), ``infeasible`` (n violated constraint instances / bound
or integrality problems), ``self-inconsistent`` (feasible, but the claimed objective is not the
one its own values give), ``wrong`` (objective variant: a different objective; trace: a wrong
step or result; either variant: claims "infeasible"/"unbounded" against the truth),
``unparseable`` (no JSON, no values, nothing that names a variable instance)."""

COLORS = {"correct": "green", "suboptimal": "yellow", "exceeds-optimum": "magenta",
          "infeasible": "red", "self-inconsistent": "red", "wrong": "red",
          "unparseable": "bright_black"}
MPL_COLORS = {"correct": "#2ca02c", "suboptimal": "#ffbf00", "exceeds-optimum": "#9467bd",
              "infeasible": "#d62728", "self-inconsistent": "#ff7f0e", "wrong": "#d62728",
              "unparseable": "#7f7f7f"}


# --------------------------------------------------------------------------- parsing


_ANSWER_KEYS = ("values", "objective", "status")


def parse_answer(text: str, variables: Iterable[str] = (),
                 keys: Iterable[str] = _ANSWER_KEYS) -> dict | None:
    """The answer's JSON object: the last object in the text holding one of `keys` ("values",
    "objective", "status") or a variable name (prose and worked examples before it are
    skipped); None if none. It is read as strictly as the formalization program reads its
    answers: a key given twice in one object raises :class:`DuplicateKeyError` (the same message),
    never "last wins"."""
    keys = set(keys) | set(variables)
    dec = json.JSONDecoder()
    starts = [i for i, c in enumerate(text) if c == "{"]
    best: tuple[int, int, dict] | None = None  # (end, -start, object): last, then outermost
    for i in starts[-2000:]:
        try:
            obj, end = dec.raw_decode(text, i)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and keys & _names(obj) and (best is None or (end, -i) > best[:2]):
            best = (end, -i, obj)
    if best is not None:  # found leniently; read again strictly (a repeated key is an error)
        return extract_json(text[-best[1]:best[0]], strict=True)
    try:  # lenient fallback (trailing commas, fenced blocks)
        obj = extract_json(text, strict=True)
    except DuplicateKeyError:
        raise
    except LLMOutputError:
        return None
    return obj if isinstance(obj, dict) and keys & _names(obj) else None


def _read(text: str, variant: str, **kw: Any) -> tuple[dict | None, DirectAnswer | None]:
    """(the answer's object, None), or (None, an unparseable verdict naming the repeated key)."""
    try:
        return parse_answer(text, **kw), None
    except DuplicateKeyError as exc:
        return None, DirectAnswer(variant, "unparseable", str(exc), response=text)


def _names(doc: dict) -> set[str]:
    """The keys of `doc` and the variable names of keys like "x[1,2]"."""
    return {str(k) for k in doc} | {str(k).split("[", 1)[0].strip() for k in doc}


_CURRENCY = re.compile(r"[$\u20ac\u00a3\u00a5]|\b(?:usd|eur|gbp|dollars?|euros?)\b", re.IGNORECASE)
_NUMBER_TEXT = re.compile(r"([+-]?\s*(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*"
                          r"(k|m|mn|b|bn|thousand|million|billion)?", re.IGNORECASE)
_MULTIPLIERS = {"": 1.0, "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6,
                "b": 1e9, "bn": 1e9, "billion": 1e9}


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(float(v)) else None
    if isinstance(v, str):
        s = _CURRENCY.sub("", v.replace("\u2212", "-").replace(",", "").replace("_", "")).strip()
        m = _NUMBER_TEXT.fullmatch(s)
        if m is None:
            return None
        x = float(m.group(1).replace(" ", "")) * _MULTIPLIERS[(m.group(2) or "").lower()]
        return x if math.isfinite(x) else None
    return None


def _status_claim(doc: dict) -> str | None:
    s = doc.get("status")
    if isinstance(s, str) and s.strip().lower() in ("infeasible", "unbounded"):
        return s.strip().lower()
    return None


# --------------------------------------------------------------------------- scoring


def relative_gap(value: float, optimum: float, sense: str) -> float:
    """How much worse than the optimum, relative to |optimum| (absolute when the optimum is 0):
    positive = worse, negative = better than the reference, whatever the sense."""
    short = (optimum - value) if sense == "maximize" else (value - optimum)
    return short / abs(optimum) if abs(optimum) > 1e-9 else short


@dataclass
class DirectAnswer:
    """One direct (no tools) answer of the LLM, scored against the ground truth."""

    variant: str
    verdict: str
    detail: str
    claimed_objective: float | None = None
    recomputed_objective: float | None = None
    gap: float | None = None  # relative, sign-aware: > 0 worse than the optimum
    feasible: bool | None = None
    self_consistent: bool | None = None
    violations: list[dict] = field(default_factory=list)  # label, amount, lhs, sense, rhs
    variable_problems: list[dict] = field(default_factory=list)
    missing: int = 0  # variable instances the answer did not give (taken as 0)
    unknown: list[str] = field(default_factory=list)  # entries naming no variable instance
    claimed_status: str | None = None
    response: str = ""
    tokens: int = 0  # prompt + output tokens
    cost: float | None = None
    seconds: float = 0.0  # the model's time for this answer (the call, not the scoring)
    output_tokens: int | None = None  # as the provider reports them (None: not reported)
    prompt_tokens: int | None = None
    cached: bool = False  # replayed from the response cache (seconds: the recorded call's)
    trace: dict | None = None  # trace variant: the step check (TraceCheck.to_dict())
    order: int | None = None  # position of this request in the sweep's (shuffled) order

    @property
    def n_violations(self) -> int:
        """Violated constraint instances plus bound / integrality problems."""
        return len(self.violations) + len(self.variable_problems)

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"

    @property
    def fidelity(self) -> float | None:
        """Trace variant: the share of steps right (execution fidelity)."""
        return None if self.trace is None else self.trace.get("fidelity")

    def to_dict(self, response: bool = True) -> dict[str, Any]:
        d = {"variant": self.variant, "verdict": self.verdict, "detail": self.detail,
             "claimed_objective": _jnum(self.claimed_objective),
             "recomputed_objective": _jnum(self.recomputed_objective), "gap": _jnum(self.gap),
             "feasible": self.feasible, "self_consistent": self.self_consistent,
             "n_violations": self.n_violations, "violations": self.violations,
             "variable_problems": self.variable_problems, "missing": self.missing,
             "unknown": self.unknown, "claimed_status": self.claimed_status,
             "tokens": self.tokens, "output_tokens": self.output_tokens,
             "prompt_tokens": self.prompt_tokens, "cost": self.cost, "seconds": self.seconds,
             "cached": self.cached, "order": self.order, "trace": self.trace}
        if response:
            d["response"] = self.response
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DirectAnswer:
        """An answer from :meth:`to_dict` (a results file's record)."""
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        for k in ("claimed_objective", "recomputed_objective", "gap"):
            kw[k] = unjnum(kw.get(k))
        return cls(**kw)


def _truth_claim(gt: GroundTruth, claim: str | None, variant: str) -> DirectAnswer | None:
    """Verdict when the truth or the answer is 'no optimum' (infeasible / unbounded)."""
    if not gt.ok:
        if claim == gt.status:
            return DirectAnswer(variant, "correct", f"says {claim}, as the solver proves",
                                claimed_status=claim)
        if claim is not None:
            return DirectAnswer(variant, "wrong", f"says {claim}; the solver proves {gt.status}",
                                claimed_status=claim)
        return None
    if claim is not None:
        opt = f"the optimum is {_fmt(gt.objective)}" if gt.objective is not None else "it is feasible"
        return DirectAnswer(variant, "wrong", f"says {claim}; {opt}", claimed_status=claim)
    return None


def _optimum_verdict(ans: DirectAnswer, value: float, gt: GroundTruth, tol: float,
                     bad: str) -> DirectAnswer:
    """correct / `bad` (suboptimal or wrong) / exceeds-optimum by the gap of `value`."""
    opt = gt.objective
    if opt is None:  # feasibility model: any feasible point is optimal
        ans.verdict, ans.detail = "correct", "feasible (a feasibility problem)"
        return ans
    ans.gap = relative_gap(value, opt, gt.sense)
    if _close(value, opt, tol):
        ans.verdict, ans.detail = "correct", f"objective {_fmt(value)} = optimum"
    elif ans.gap > 0:
        ans.verdict = bad
        ans.detail = f"{bad} by {_pct(ans.gap)} ({_fmt(value)} vs optimum {_fmt(opt)})"
    elif bad == "wrong":
        ans.verdict = "wrong"
        ans.detail = (f"claims {_fmt(value)}, better than the optimum {_fmt(opt)} by "
                      f"{_pct(-ans.gap)} (impossible)")
    else:
        ans.verdict = "exceeds-optimum"
        ans.detail = (f"feasible with {_fmt(value)}, better than the reference {_fmt(opt)} "
                      f"({gt.status}) by {_pct(-ans.gap)}: check the ground truth")
    return ans


def score_objective(text: str, gt: GroundTruth, tol: float = 1e-6) -> DirectAnswer:
    """Score an objective-only answer: correct iff the claimed objective is within rel `tol`."""
    doc, bad = _read(text, "objective")
    if bad is not None:
        return bad
    if doc is None:
        return DirectAnswer("objective", "unparseable", "no JSON object with an objective",
                            response=text)
    claim = _status_claim(doc)
    special = _truth_claim(gt, claim, "objective")
    if special is not None:
        special.response = text
        return special
    obj = _number(doc.get("objective"))
    if obj is None:
        return DirectAnswer("objective", "unparseable",
                            f"no numeric objective (got {str(doc.get('objective'))[:40]!r})",
                            response=text)
    ans = DirectAnswer("objective", "wrong", "", claimed_objective=obj, response=text)
    if not gt.ok:
        ans.detail = f"claims {_fmt(obj)}; the solver proves {gt.status}"
        return ans
    return _optimum_verdict(ans, obj, gt, tol, "wrong")


def score_values(text: str, model: Model, gt: GroundTruth, tol: float = 1e-6,
                 missing: str = "zero") -> DirectAnswer:
    """Score a values answer with the independent checker (see :data:`VERDICTS`).

    Precedence: unparseable > wrong (status claim) > infeasible > self-inconsistent >
    correct / suboptimal / exceeds-optimum. `missing`: "zero" takes omitted variable instances
    as 0 (counted in `missing`); "error" makes any omission unparseable."""
    from solvers.checker import check

    doc, bad = _read(text, "values", variables=model.variables)
    if bad is not None:
        return bad
    if doc is None:
        return DirectAnswer("values", "unparseable", "no JSON object with values", response=text)
    claim = _status_claim(doc)
    special = _truth_claim(gt, claim, "values")
    if special is not None:
        special.response = text
        return special
    values = doc.get("values")
    if values is None:  # variables at the top level
        values = {k: v for k, v in doc.items()
                  if k in model.variables or str(k).split("[", 1)[0].strip() in model.variables}
    if not isinstance(values, dict) or not values:
        return DirectAnswer("values", "unparseable", "the JSON has no \"values\" object",
                            claimed_objective=_number(doc.get("objective")), response=text)
    claimed = _number(doc.get("objective"))
    rep = check(model, values, tol=tol, claimed_objective=claimed, missing=missing)
    ans = DirectAnswer("values", "unparseable", "", claimed_objective=claimed,
                       recomputed_objective=rep.objective, feasible=rep.feasible,
                       self_consistent=rep.objective_consistent, missing=len(rep.missing),
                       unknown=[str(u) for u in rep.unknown_entries], response=text)
    ans.violations = [{"label": v.label, "amount": v.amount, "lhs": v.lhs, "sense": v.sense,
                       "rhs": v.rhs} for v in rep.violations]
    ans.variable_problems = [p.to_dict() for p in rep.variable_problems]
    if rep.errors:
        ans.detail = "the checker could not evaluate it: " + "; ".join(map(str, rep.errors[:3]))
        return ans
    if rep.n_variables and len(rep.missing) == rep.n_variables:
        extra = f" ({ans.unknown[0]})" if ans.unknown else ""
        ans.detail = "no value names a variable instance of the model" + extra
        return ans
    if missing == "error" and rep.missing:
        ans.detail = f"{len(rep.missing)} variable instance(s) without a value ({rep.missing[0]}, …)"
        return ans
    notes = []
    if rep.missing:
        notes.append(f"{len(rep.missing)} omitted value(s) taken as 0")
    if ans.unknown:
        notes.append(f"{len(ans.unknown)} unknown entr{'y' if len(ans.unknown) == 1 else 'ies'}")
    if claimed is None:
        notes.append("no objective claimed")
    suffix = f"; {', '.join(notes)}" if notes else ""
    if not rep.feasible:
        n = ans.n_violations
        worst = sorted(ans.violations, key=lambda v: -v["amount"])[:2]
        what = ", ".join(f"{v['label']} by {_fmt(v['amount'])}" for v in worst)
        if not what and ans.variable_problems:
            what = ans.variable_problems[0]["label"] + " " + ans.variable_problems[0]["kind"]
        if rep.objective_consistent is False:
            notes.insert(0, f"and claims {_fmt(claimed)} where its values give {_fmt(rep.objective)}")
            suffix = f"; {', '.join(notes)}"
        ans.verdict = "infeasible"
        ans.detail = f"infeasible ({n} violation{'s' if n != 1 else ''}: {what}){suffix}"
        return ans
    if rep.objective_consistent is False:
        ans.verdict = "self-inconsistent"
        ans.detail = (f"claims {_fmt(claimed)} but its values give {_fmt(rep.objective)}{suffix}")
        if gt.objective is not None and rep.objective is not None:
            ans.gap = relative_gap(rep.objective, gt.objective, gt.sense)
        return ans
    if not gt.ok:  # cannot happen for a sound reference: a feasible point of an infeasible model
        ans.verdict = "exceeds-optimum"
        ans.detail = f"feasible, but the solver says {gt.status}: check the ground truth"
        return ans
    _optimum_verdict(ans, rep.objective if rep.objective is not None else math.nan, gt, tol,
                     "suboptimal")
    ans.detail += suffix
    return ans


def score_trace(text: str, procedure: str, model_doc: dict[str, Any], gt: GroundTruth,
                tol: float = 1e-6) -> DirectAnswer:
    """Score a trace answer: every step checked by the procedure's checker (see
    :mod:`formalize.evaluation.traces`); correct iff every step is right and the reported result
    is the procedure's. The gap compares the reported result (optimum, tour length) with the
    ground truth's optimum."""
    from formalize.evaluation.traces import procedure as get_procedure

    proc = get_procedure(procedure)
    doc, bad = _read(text, "trace", keys=(*proc.KEYS, "status"))
    if bad is not None:
        return bad
    if doc is None or not set(proc.KEYS) & set(doc):
        return DirectAnswer("trace", "unparseable",
                            f"no JSON object with {' / '.join(repr(k) for k in proc.KEYS)}",
                            response=text)
    chk = proc.check(model_doc, doc)
    ans = DirectAnswer("trace", "correct" if chk.correct else "wrong", chk.summary(),
                       claimed_objective=chk.result, response=text, trace=chk.to_dict())
    if chk.result is not None and gt.objective is not None:
        ans.gap = relative_gap(chk.result, gt.objective, gt.sense)
    return ans


def flat_answer(a: DirectAnswer) -> dict[str, Any]:
    """One answer as a flat CSV row (violations, problems and trace faults joined)."""
    d = a.to_dict(response=False)
    d["violations"] = "; ".join(f"{v['label']}:{v['amount']:g}" for v in a.violations)
    d["variable_problems"] = "; ".join(f"{p['label']}:{p['kind']}" for p in a.variable_problems)
    d["unknown"] = "; ".join(a.unknown)
    trace = d.pop("trace", None) or {}
    d["trace_fidelity"] = trace.get("fidelity")
    d["trace_steps"] = trace.get("steps_total")
    first = trace.get("first_wrong")
    d["trace_first_wrong"] = f"step {first['step']} ({first['label']}): {first['message']}" \
        if first else None
    return d
