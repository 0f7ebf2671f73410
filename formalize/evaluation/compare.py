"""Comparison mode: the same LLM, asked to do the numeric iteration itself, against solver truth.

For one problem (:func:`compare`) or a scale sweep over a problem family (:func:`sweep`):

1. ground truth — a given formal model (a family generator's, a ``problems/`` folder's) or the
   verified pipeline's (:func:`formalize.program.pipeline.solve`), solved by ``solvers``;
2. the LLM, with no tools, answers directly: variant ``"values"`` gives a value for every
   variable of the verified model (names, index sets and elements are listed for it) and the
   objective; variant ``"objective"`` gives only the objective ("standard prompting");
3. the answer is scored by the independent checker (``solvers.checker.check``): feasibility,
   every violated constraint instance with its amount, claimed vs recomputed objective, and the
   gap to the optimum;
4. a verdict per answer (see :data:`VERDICTS` and :func:`score_values`/:func:`score_objective`).

Nothing here claims any LLM's accuracy: the numbers are whatever the scored answers give.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formalize.llm.client import (
    LLMClient,
    LLMOutputError,
    LLMResponse,
    Usage,
    extract_json,
    make_client,
)
from solvers import Model, Solution, load_model

__all__ = [
    "VARIANTS", "VERDICTS", "Comparison", "CompareError", "DirectAnswer", "GroundTruth",
    "GroundTruthError", "SweepPoint", "SweepReport", "ask_direct", "compare", "direct_prompt", "ground_truth",
    "parse_answer", "relative_gap", "score_objective", "score_values", "sweep",
]

VARIANTS = ("values", "objective")
VERDICTS = ("correct", "suboptimal", "exceeds-optimum", "infeasible", "self-inconsistent", "wrong",
            "unparseable")
"""Verdicts: ``correct`` (feasible, objective within rel tol of the optimum; objective variant:
claimed objective within rel tol), ``suboptimal`` (feasible, worse than the optimum by a gap),
``exceeds-optimum`` (feasible and better than the reference — only possible when the reference
is not proven optimal: a finding about the ground truth, not the answer), ``infeasible`` (n
violated constraint instances / bound or integrality problems), ``self-inconsistent`` (feasible,
but the claimed objective is not the one its own values give), ``wrong`` (objective variant: a
different objective; either variant: claims "infeasible"/"unbounded" against the truth),
``unparseable`` (no JSON, no values, nothing that names a variable instance)."""

_COLORS = {"correct": "green", "suboptimal": "yellow", "exceeds-optimum": "magenta",
           "infeasible": "red", "self-inconsistent": "red", "wrong": "red", "unparseable": "bright_black"}
_MPL_COLORS = {"correct": "#2ca02c", "suboptimal": "#ffbf00", "exceeds-optimum": "#9467bd",
               "infeasible": "#d62728", "self-inconsistent": "#ff7f0e", "wrong": "#d62728",
               "unparseable": "#7f7f7f"}


class CompareError(RuntimeError):
    """The comparison cannot run (no verified model for the ground truth, bad input)."""


class GroundTruthError(CompareError):
    """The reference solve disagrees with the checker or the generator's known optimum."""


# --------------------------------------------------------------------------- ground truth


@dataclass
class GroundTruth:
    """The solver's answer for the verified / given model, confirmed by the checker."""

    status: str
    objective: float | None
    sense: str
    source: str  # "given model" | "verified pipeline" | "family generator"
    solver: str = ""
    seconds: float = 0.0
    known_optimum: float | None = None  # independent optimum (family generators), when known
    checked: bool = False  # the checker found the solver's point feasible with this objective
    solution: Solution | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "objective": _jnum(self.objective), "sense": self.sense,
                "source": self.source, "solver": self.solver, "seconds": self.seconds,
                "known_optimum": _jnum(self.known_optimum), "checked": self.checked}


def ground_truth(model: Model, *, source: str = "given model", known_optimum: float | None = None,
                 backend: str = "auto", time_limit: float | None = None, tol: float = 1e-6,
                 solution: Solution | None = None) -> GroundTruth:
    """Solve `model` (unless `solution` is given) and confirm the point with the checker.

    Raises :class:`GroundTruthError` when the checker finds the solver's point infeasible, its
    objective differs from the solver's, or a `known_optimum` differs from the solver's optimum."""
    import solvers
    from solvers.checker import check

    started = time.perf_counter()
    sol = solution if solution is not None else solvers.solve(model, backend=backend,
                                                              time_limit=time_limit)
    gt = GroundTruth(status=sol.status.value, objective=sol.objective, sense=model.sense,
                     source=source, solver=sol.solver, seconds=time.perf_counter() - started,
                     known_optimum=known_optimum, solution=sol)
    where = f"{model.name} ({source})"
    if sol.ok:
        rep = check(model, sol.values, tol=max(tol, 1e-6), claimed_objective=sol.objective)
        if not rep.feasible:
            raise GroundTruthError(f"{where}: the checker finds the solver's point not feasible:\n"
                                   f"{rep.summary(5)}")
        if rep.objective_consistent is False:
            raise GroundTruthError(f"{where}: the solver reports objective {sol.objective!r}, the "
                                   f"checker recomputes {rep.objective!r} from its values")
        gt.checked = True
        if (known_optimum is not None and sol.status.value == "optimal" and sol.objective is not None
                and not _close(sol.objective, known_optimum, 1e-6)):
            raise GroundTruthError(f"{where}: the solver's optimum {sol.objective:g} differs from "
                                   f"the generator's independently computed {known_optimum:g}")
    elif known_optimum is not None:
        raise GroundTruthError(f"{where}: the solver returned {sol.status.value} ({sol.message}) "
                               f"but the generator knows the optimum {known_optimum:g}")
    return gt


# --------------------------------------------------------------------------- prompts


_SYSTEM = ("You are an expert in operations research and mathematics. Solve the problem yourself "
           "by careful step-by-step reasoning and calculation. Do not write or run code, and do "
           "not use a solver or any other tool.")

_VALUES = """Solve this optimization problem.

{text}{data}

Report your solution with exactly these decision variables (names and index elements as given):
{variables}

Index sets (elements in order):
{sets}

Work step by step. Finish your answer with one JSON object in a ```json block:
{example}
Give every variable instance a number (one nesting level per index position, keys are the
elements), and "objective" the objective value of your solution ({sense}). If the problem has no
feasible solution, answer {{"status": "infeasible"}} (or "unbounded") instead."""

_OBJECTIVE = """Solve this optimization problem.

{text}{data}

Work step by step. Finish your answer with one JSON object in a ```json block:
{{"objective": <the optimal objective value, a number>}}
If the problem has no feasible solution, answer {{"status": "infeasible"}} (or "unbounded")."""


def _elements_text(elements: list, limit: int = 100_000) -> str:
    return json.dumps([list(e) if isinstance(e, tuple) else e for e in elements][:limit])


def _variables_text(model: Model) -> tuple[str, str, str]:
    """(variables list, sets list, answer example) for the values prompt."""
    from solvers.checker import Evaluator, variable_instances

    ev = Evaluator(model)
    insts: dict[str, list[Any]] = {name: [] for name in model.variables}
    for vi in variable_instances(model, ev):
        insts[vi.name].append(vi)
    lines, used = [], []
    for name, spec in model.variables.items():
        sets = ev.var_sets[name]
        letters = [s[:1].lower() or "i" for s in sets]
        letters = [f"{c}{k}" if letters.count(c) > 1 else c for k, c in enumerate(letters)]
        head = f"{name}[{', '.join(letters)}] for " + ", ".join(
            f"{c} in {s}" for c, s in zip(letters, sets)) if sets else f"{name} (a single number)"
        dom = {"binary": "binary (0 or 1)", "integer": "integer"}.get(spec.domain, "real")
        bounds = []
        if spec.domain != "binary":
            lbs = {vi.lb for vi in insts[name]}
            ubs = {vi.ub for vi in insts[name]}
            if len(lbs) == 1 and None not in lbs:
                bounds.append(f">= {_fmt(lbs.pop())}")
            if len(ubs) == 1 and None not in ubs:
                bounds.append(f"<= {_fmt(ubs.pop())}")
        desc = f" — {spec.description}" if spec.description else ""
        lines.append(f"- {head}: {dom}{(', ' + ' and '.join(bounds)) if bounds else ''}{desc}")
        used += [s for s in sets if s not in used]
    set_lines = []
    for s in used:
        sd = ev.inst.sets[s]
        tup = f" (each element is a tuple of {sd.dim})" if sd.dim > 1 else ""
        set_lines.append(f"- {s} = {_elements_text(sd.elements)}{tup}")
    example: dict[str, Any] = {}
    for name in model.variables:
        sets = ev.var_sets[name]
        node: Any = "<number>"
        for s in reversed(sets):
            sd = ev.inst.sets[s]
            for j in reversed(range(sd.dim)):
                first = sd.elements[0] if sd.elements else "?"
                part = first[j] if sd.dim > 1 else first
                node = {str(part): node, "...": "..."}
        example[name] = node
    ex = json.dumps({"values": example, "objective": "<number>"})
    ex = ex.replace('"<number>"', "<number>").replace(', "...": "..."', ", ...")
    return "\n".join(lines) or "(none)", "\n".join(set_lines) or "(none)", ex


def _data_text(data: Sequence[str | Path]) -> str:
    parts = []
    for p in map(Path, data):
        parts.append(f"\n\nData file {p.name}:\n{p.read_text(encoding='utf-8').strip()}")
    return "".join(parts)


def direct_prompt(variant: str, text: str, model: Model | None = None,
                  data: Sequence[str | Path] = ()) -> list[dict[str, str]]:
    """The messages of a direct (no tools) answer: variant "values" (needs the verified model)
    or "objective"."""
    if variant == "values":
        if model is None:
            raise ValueError("the 'values' variant needs the verified model's variables")
        variables, sets, example = _variables_text(model)
        user = _VALUES.format(text=text.strip(), data=_data_text(data), variables=variables,
                              sets=sets, example=example,
                              sense={"minimize": "minimized", "maximize": "maximized"}.get(
                                  model.sense, "any feasible point"))
    elif variant == "objective":
        user = _OBJECTIVE.format(text=text.strip(), data=_data_text(data))
    else:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


# --------------------------------------------------------------------------- parsing


_ANSWER_KEYS = ("values", "objective", "status")


def parse_answer(text: str, variables: Iterable[str] = ()) -> dict | None:
    """The answer's JSON object: the last object in the text holding "values", "objective",
    "status" or a variable name (prose and worked examples before it are skipped); None if none."""
    keys = set(_ANSWER_KEYS) | set(variables)
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
    if best is not None:
        return best[2]
    try:  # lenient fallback (trailing commas, fenced blocks)
        obj = extract_json(text)
    except LLMOutputError:
        return None
    return obj if isinstance(obj, dict) and keys & _names(obj) else None


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


def _close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


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
    tokens: int = 0
    cost: float | None = None
    seconds: float = 0.0

    @property
    def n_violations(self) -> int:
        """Violated constraint instances plus bound / integrality problems."""
        return len(self.violations) + len(self.variable_problems)

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"

    def to_dict(self, response: bool = True) -> dict[str, Any]:
        d = {"variant": self.variant, "verdict": self.verdict, "detail": self.detail,
             "claimed_objective": _jnum(self.claimed_objective),
             "recomputed_objective": _jnum(self.recomputed_objective), "gap": _jnum(self.gap),
             "feasible": self.feasible, "self_consistent": self.self_consistent,
             "n_violations": self.n_violations, "violations": self.violations,
             "variable_problems": self.variable_problems, "missing": self.missing,
             "unknown": self.unknown, "claimed_status": self.claimed_status,
             "tokens": self.tokens, "cost": self.cost, "seconds": self.seconds}
        if response:
            d["response"] = self.response
        return d


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
    doc = parse_answer(text)
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

    doc = parse_answer(text, model.variables)
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


# --------------------------------------------------------------------------- asking


def ask_direct(client: LLMClient, variant: str, text: str, model: Model, gt: GroundTruth, *,
               data: Sequence[str | Path] = (), tol: float = 1e-6, missing: str = "zero",
               sample: int = 0, usage: Usage | None = None, **params: Any) -> DirectAnswer:
    """Ask the LLM for a direct answer (no tools, no response schema: it reasons in prose) and
    score it."""
    msgs = direct_prompt(variant, text, model, data)
    started = time.perf_counter()
    resp: LLMResponse = client.complete(msgs, sample=sample, **params)
    if usage is not None:
        usage.add(resp)
    if variant == "values":
        ans = score_values(resp.text, model, gt, tol=tol, missing=missing)
    else:
        ans = score_objective(resp.text, gt, tol=tol)
    ans.tokens, ans.cost = resp.total_tokens, resp.cost
    ans.seconds = time.perf_counter() - started
    return ans


# --------------------------------------------------------------------------- one problem


@dataclass
class Comparison:
    """Ground truth beside the LLM's direct answers for one problem."""

    text: str
    model: Model
    truth: GroundTruth
    answers: list[DirectAnswer]
    llm: str
    usage: Usage = field(default_factory=Usage)
    pipeline: Any = None  # the Formalization when the verified pipeline built the model
    text_source: str = "text"

    def answer(self, variant: str) -> DirectAnswer:
        """The answer of one variant."""
        for a in self.answers:
            if a.variant == variant:
                return a
        raise KeyError(f"no {variant!r} answer; variants: {[a.variant for a in self.answers]}")

    def to_dict(self) -> dict[str, Any]:
        return {"problem": self.model.name, "llm": self.llm, "text_source": self.text_source,
                "ground_truth": self.truth.to_dict(),
                "answers": [a.to_dict() for a in self.answers], "usage": self.usage.as_dict(),
                "pipeline": self.pipeline.to_dict() if self.pipeline is not None else None}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def rows(self) -> list[tuple[str, list[str]]]:
        """(row label, [ground truth, answer 1, ...]) cells of the side-by-side table."""
        gt, ans = self.truth, self.answers
        return [
            ("verdict", [f"{gt.status} (solver)"] + [a.verdict for a in ans]),
            ("objective claimed", [_fmt(gt.objective)] + [_fmt(a.claimed_objective) for a in ans]),
            ("objective from its values", [_fmt(gt.objective)] + [
                _fmt(a.recomputed_objective) if a.variant == "values" else "n/a" for a in ans]),
            ("gap to optimum", ["0"] + [_pct(a.gap) if a.gap is not None else "—" for a in ans]),
            ("feasible", ["yes" if gt.checked else "—"] + [
                {True: "yes", False: "no", None: "—"}[a.feasible] for a in ans]),
            ("violations", ["0" if gt.checked else "—"] + [
                str(a.n_violations) if a.variant == "values" else "n/a" for a in ans]),
            ("tokens", ["—"] + [str(a.tokens) for a in ans]),
            ("seconds", [f"{gt.seconds:.2f}"] + [f"{a.seconds:.2f}" for a in ans]),
        ]

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        t = Table(title=f"{self.model.name}: solver vs {self.llm} answering directly",
                  header_style="bold")
        t.add_column("")
        t.add_column(f"ground truth\n({self.truth.source})", justify="right")
        for a in self.answers:
            t.add_column(f"direct: {a.variant}", justify="right")
        for label, cells in self.rows():
            styled: list[Any] = [cells[0]]
            for a, c in zip(self.answers, cells[1:]):
                styled.append(Text(c, style=_COLORS.get(a.verdict, "")) if label == "verdict" else c)
            t.add_row(label, *styled)
        parts: list[Any] = [t]
        for a in self.answers:
            parts.append(Text.assemble((f"{a.variant}: ", "bold"),
                                       (a.detail, _COLORS.get(a.verdict, ""))))
            for v in a.violations[:10]:
                parts.append(Text(f"   {v['label']} violated by {_fmt(v['amount'])}: "
                                  f"{_fmt(v['lhs'])} {v['sense']} {_fmt(v['rhs'])}", style="red"))
            if len(a.violations) > 10:
                parts.append(Text(f"   … {len(a.violations) - 10} more", style="red"))
        return Group(*parts)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>direct: {html.escape(a.variant)}</th>" for a in self.answers)
        body = ""
        for label, cells in self.rows():
            tds = f"<td>{html.escape(cells[0])}</td>"
            for a, c in zip(self.answers, cells[1:]):
                color = _MPL_COLORS.get(a.verdict, "") if label == "verdict" else ""
                tds += f"<td style='color:{color}'>{html.escape(c)}</td>" if color else \
                    f"<td>{html.escape(c)}</td>"
            body += f"<tr><th style='text-align:left'>{html.escape(label)}</th>{tds}</tr>"
        details = "".join(f"<li><b>{html.escape(a.variant)}</b>: {html.escape(a.detail)}</li>"
                          for a in self.answers)
        return (f"<p><b>{html.escape(self.model.name)}</b>: solver vs {html.escape(self.llm)} "
                f"answering directly</p><table><tr><th></th><th>ground truth "
                f"({html.escape(self.truth.source)})</th>{head}</tr>{body}</table><ul>{details}</ul>")

    def to_csv(self) -> str:
        """One row per answer."""
        return _csv([{"problem": self.model.name, **_flat_answer(a)} for a in self.answers])

    def plot(self, path: str | Path) -> Path:
        """A PNG: objectives (optimum, claimed, recomputed) and violations per answer."""
        fig = _figure(10, 4)
        ax1, ax2 = fig.subplots(1, 2)
        names = [a.variant for a in self.answers]
        xs = range(len(names))
        if self.truth.objective is not None:
            ax1.axhline(self.truth.objective, color="black", lw=1.5,
                        label=f"optimum ({_fmt(self.truth.objective)})")
        claimed = [a.claimed_objective if a.claimed_objective is not None else math.nan
                   for a in self.answers]
        recomputed = [a.recomputed_objective if a.recomputed_objective is not None else math.nan
                      for a in self.answers]
        ax1.bar([x - 0.2 for x in xs], claimed, 0.4, label="claimed",
                color=[_MPL_COLORS[a.verdict] for a in self.answers], edgecolor="black")
        ax1.bar([x + 0.2 for x in xs], recomputed, 0.4, label="from its values", color="white",
                edgecolor="black", hatch="//")
        ax1.set_xticks(list(xs), [f"{n}\n{a.verdict}" for n, a in zip(names, self.answers)])
        ax1.set_title("objective")
        ax1.legend(fontsize=8)
        vals = [a for a in self.answers if a.variant == "values"]
        ax2.bar(range(len(vals)), [a.n_violations for a in vals],
                color=[_MPL_COLORS[a.verdict] for a in vals], edgecolor="black")
        ax2.set_xticks(range(len(vals)), [a.variant for a in vals])
        if not vals:
            ax2.text(0.5, 0.5, "no values answer", ha="center", transform=ax2.transAxes)
        ax2.set_title("violated constraint instances")
        fig.suptitle(f"{self.model.name}: solver vs {self.llm} answering directly")
        fig.tight_layout()
        return _savefig(fig, path)

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write comparison.json, comparison.csv and comparison.png into `directory`."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        out = {"json": d / "comparison.json", "csv": d / "comparison.csv"}
        out["json"].write_text(self.to_json() + "\n", encoding="utf-8")
        out["csv"].write_text(self.to_csv(), encoding="utf-8")
        out["png"] = self.plot(d / "comparison.png")
        return out


def _resolve_input(text_or_model: Any, formal_model: Any,
                   data: Sequence[str | Path]) -> tuple[str | None, Model | None, list[Path], str]:
    """(problem text, given formal model, data files, where the text came from)."""
    data_paths = [Path(p) for p in data]
    model: Model | None = None
    if formal_model is not None:
        model = load_model(formal_model)
    src = text_or_model
    if isinstance(src, (Model, dict)):
        return None, load_model(src), data_paths, "model"
    if hasattr(src, "text") and hasattr(src, "model") and hasattr(src, "known_optimum"):
        return src.text, model or load_model(src.model), data_paths, "family generator"
    p = Path(src) if isinstance(src, (str, Path)) and len(str(src)) < 4096 and "\n" not in str(src) \
        else None
    if p is not None and _is_file(p):
        if p.suffix.lower() in (".json", ".yaml", ".yml"):
            m = load_model(p)
            text_file = p.parent / "problem.txt"
            files = _model_files(m, p.parent)
            if text_file.is_file():
                return text_file.read_text(encoding="utf-8"), m, data_paths + files, "problem.txt"
            return None, m, data_paths + files, "model"
        return p.read_text(encoding="utf-8"), model, data_paths, p.name
    if p is not None and p.suffix.lower() in (".json", ".yaml", ".yml", ".txt"):
        raise CompareError(f"{src}: no such file (give problem.txt, model.json or the text itself)")
    return str(src), model, data_paths, "text"


def _family_backend(family: str, backend: str) -> str:
    """The family's own backend under "auto" (its scheduling model is meant for CP-SAT: "auto"
    picks HiGHS with a slow big-M reformulation)."""
    from formalize.evaluation.families import FAMILIES

    fam = FAMILIES.get(family)
    if backend != "auto" or fam is None:
        return backend
    own = getattr(fam, "backend", None) or "auto"
    return "cpsat" if own == "auto" and fam.problem_class == "CP" else own


def _is_file(p: Path) -> bool:
    try:
        return p.is_file()
    except OSError:  # text too long to be a file name
        return False


def _model_files(model: Model, base: Path) -> list[Path]:
    """Data files a model reads (so the LLM answering directly sees the same data)."""
    names: list[str] = []
    for spec in [*model.sets.values(), *model.params.values()]:
        ref = getattr(spec, "from_", None)
        if ref is not None and ref.file not in names:
            names.append(ref.file)
    return [base / n for n in names if (base / n).is_file()]


def compare(text_or_model: Any, model: str | LLMClient | None = None, *,
            formal_model: Any = None, variants: Sequence[str] = VARIANTS,
            data: Sequence[str | Path] = (), known_optimum: float | None = None,
            tol: float = 1e-6, missing: str = "zero", backend: str = "auto",
            time_limit: float | None = None, no_cache: bool = False, samples: int = 1,
            strategy: str = "steps", max_repairs: int = 3, **params: Any) -> Comparison:
    """Compare the solver's answer with the LLM's own direct answers on one problem.

    `text_or_model`: the problem in plain words, a problem.txt path, a model.json/.yaml path (its
    folder's problem.txt is the text the LLM sees; without one, the model's rendering), a model
    dict / Model, or a family instance. `formal_model` (a dict, path or Model) gives the ground
    truth model directly; otherwise the verified pipeline (`formalize.program.pipeline.solve`) builds it
    with the same LLM (`samples`, `strategy`, `max_repairs` go to it). `variants`: "values"
    and/or "objective". `model`: LLM string or client; `params` go to every LLM call. `missing`:
    see :func:`score_values`. Raises :class:`CompareError` when no ground truth comes out.
    """
    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants:
        raise ValueError(f"unknown variant(s) {bad or list(variants)}; known: {', '.join(VARIANTS)}")
    text, fm, files, source = _resolve_input(text_or_model, formal_model, data)  # ModelError: located
    if hasattr(text_or_model, "known_optimum") and known_optimum is None:
        known_optimum = text_or_model.known_optimum
        backend = _family_backend(getattr(text_or_model, "family", ""), backend)
    client = make_client(model, no_cache=no_cache)
    usage = Usage()
    pipeline = None
    if fm is None:
        from formalize import api

        res = api.solve(text or "", client, data=files, samples=samples, backend=backend,
                            time_limit=time_limit, strategy=strategy, max_repairs=max_repairs,
                            **params)
        f = res.formalization
        if f is None or f.model is None or not f.ok or res.solution is None:
            diags = "\n".join(f"  {d}" for d in (f.diagnostics if f is not None else []))
            raise CompareError("the verified pipeline produced no verified, solved model, so "
                               "there is no ground truth to compare with" + (f":\n{diags}" if diags else ""))
        usage = usage + f.usage
        fm, pipeline = f.model, f
        truth = ground_truth(fm, source="verified pipeline", solution=res.solution, tol=tol)
    else:
        gt_source = "family generator" if source == "family generator" else "given model"
        truth = ground_truth(fm, source=gt_source, known_optimum=known_optimum, backend=backend,
                             time_limit=time_limit, tol=tol)
    if text is None:
        from solvers.render import to_text

        text = (f"{fm.description}\n\n" if fm.description else "") + to_text(fm)
        source = "model rendering"
    answers = []
    for v in variants:
        if v == "objective" and fm.sense == "feasibility":
            continue  # no objective to ask for
        answers.append(ask_direct(client, v, text, fm, truth, data=files, tol=tol,
                                  missing=missing, usage=usage, **params))
    return Comparison(text=text, model=fm, truth=truth, answers=answers,
                      llm=client.settings.model, usage=usage, pipeline=pipeline,
                      text_source=source)


# --------------------------------------------------------------------------- sweeps


@dataclass
class SweepPoint:
    """One generated instance of a sweep with its ground truth and scored answers."""

    family: str
    size: int
    seed: int
    truth: GroundTruth
    answers: list[DirectAnswer]

    def to_dict(self, response: bool = True) -> dict[str, Any]:
        return {"family": self.family, "size": self.size, "seed": self.seed,
                "ground_truth": self.truth.to_dict(),
                "answers": [a.to_dict(response) for a in self.answers]}


@dataclass
class SweepReport:
    """Direct answers scored over sizes and seeds of one problem family."""

    family: str
    sizes: list[int]
    seeds: list[int]
    variants: list[str]
    llm: str
    points: list[SweepPoint]
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0

    def table(self) -> list[dict[str, Any]]:
        """Per variant and size: n, correct rate, mean gap (over answers with a gap: feasible
        values answers, from their own values, and objective answers with a number), mean
        violations (values answers the checker could score), infeasible and unparseable rates."""
        rows = []
        for v in self.variants:
            for s in self.sizes:
                ans = [a for p in self.points if p.size == s for a in p.answers if a.variant == v]
                if not ans:
                    continue
                gaps = [a.gap for a in ans if a.gap is not None]
                parsed = [a for a in ans if a.verdict != "unparseable" and a.feasible is not None]
                n = len(ans)
                rows.append({
                    "variant": v, "size": s, "n": n,
                    "correct_rate": sum(a.verdict == "correct" for a in ans) / n,
                    "mean_gap": sum(gaps) / len(gaps) if gaps else None,
                    "mean_violations": (sum(a.n_violations for a in parsed) / len(parsed)
                                        if parsed else None),
                    "infeasible_rate": sum(a.verdict == "infeasible" for a in ans) / n,
                    "unparseable_rate": sum(a.verdict == "unparseable" for a in ans) / n,
                })
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "sizes": self.sizes, "seeds": self.seeds,
                "variants": self.variants, "llm": self.llm, "seconds": self.seconds,
                "usage": self.usage.as_dict(), "table": self.table(),
                "points": [p.to_dict() for p in self.points]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def table_csv(self) -> str:
        return _csv(self.table())

    def answers_csv(self) -> str:
        return _csv([{"family": p.family, "size": p.size, "seed": p.seed,
                      "optimum": p.truth.objective, **_flat_answer(a)}
                     for p in self.points for a in p.answers])

    def _cells(self, r: dict[str, Any]) -> list[str]:
        return [r["variant"], str(r["size"]), str(r["n"]), f"{r['correct_rate']:.0%}",
                _pct(r["mean_gap"]) if r["mean_gap"] is not None else "—",
                f"{r['mean_violations']:.2f}" if r["mean_violations"] is not None else "—",
                f"{r['infeasible_rate']:.0%}", f"{r['unparseable_rate']:.0%}"]

    _HEAD = ["variant", "size", "n", "correct", "mean gap", "mean viol.", "infeas.", "unparsed"]

    def __rich__(self) -> Any:
        from rich import box
        from rich.table import Table

        t = Table(title=f"{self.family} sweep: {self.llm} answering directly vs the solver "
                        f"({len(self.seeds)} seed(s) per size)", header_style="bold",
                  box=box.SIMPLE_HEAD)
        for h in self._HEAD:
            t.add_column(h, justify="left" if h == "variant" else "right")
        for r in self.table():
            t.add_row(*self._cells(r))
        return t

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self._HEAD)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in self._cells(r))
                       + "</tr>" for r in self.table())
        return (f"<p><b>{html.escape(self.family)}</b> sweep: {html.escape(self.llm)} answering "
                f"directly vs the solver</p><table><tr>{head}</tr>{body}</table>")

    def plot(self, path: str | Path) -> Path:
        """A PNG: correct rate, mean gap and mean violations against size, one line per variant."""
        fig = _figure(13, 4)
        axes = fig.subplots(1, 3)
        rows = self.table()
        specs = [("correct_rate", "correct rate", 100.0), ("mean_gap", "mean gap to optimum (%)", 100.0),
                 ("mean_violations", "mean violated instances", 1.0)]
        for ax, (key, title, scale) in zip(axes, specs):
            for v in self.variants:
                pts = [(r["size"], r[key] * scale) for r in rows
                       if r["variant"] == v and r[key] is not None]
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=v)
            ax.set_title(title + (" (%)" if key == "correct_rate" else ""))
            ax.set_xlabel("size")
            if len(self.sizes) > 1 and max(self.sizes) / max(1, min(self.sizes)) >= 8:
                ax.set_xscale("log")
            ax.set_xticks(self.sizes, [str(x) for x in self.sizes])
            ax.minorticks_off()
            ax.grid(alpha=0.3)
        axes[0].set_ylim(-5, 105)
        axes[0].legend()
        fig.suptitle(f"{self.family}: {self.llm} answering directly vs solver ground truth")
        fig.tight_layout()
        return _savefig(fig, path)

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write sweep.json, sweep.csv (the table), answers.csv and sweep.png."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        out = {"json": d / "sweep.json", "csv": d / "sweep.csv", "answers_csv": d / "answers.csv"}
        out["json"].write_text(self.to_json() + "\n", encoding="utf-8")
        out["csv"].write_text(self.table_csv(), encoding="utf-8")
        out["answers_csv"].write_text(self.answers_csv(), encoding="utf-8")
        out["png"] = self.plot(d / "sweep.png")
        return out


def sweep(family: str, sizes: Sequence[int], seeds: int | Sequence[int] = 3,
          model: str | LLMClient | None = None, *, variants: Sequence[str] = VARIANTS,
          tol: float = 1e-6, missing: str = "zero", backend: str = "auto",
          time_limit: float | None = None, concurrency: int = 1, no_cache: bool = False,
          progress: Any = None, **params: Any) -> SweepReport:
    """Score the LLM's direct answers on a problem family at every size and seed.

    Ground truth comes from the generator's formal model solved by our solver, confirmed by the
    checker and by the generator's independent optimum when it has one (no LLM). `seeds` is a
    count (seeds 0..n-1) or the seeds themselves. `progress(done, total, point)` is called after
    each instance. `concurrency` > 1 asks the LLM from that many threads."""
    from formalize.evaluation.families import FAMILIES, generate

    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants:
        raise ValueError(f"unknown variant(s) {bad or list(variants)}; known: {', '.join(VARIANTS)}")
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    size_list = [int(s) for s in sizes]
    if not size_list or not seed_list:
        raise ValueError("a sweep needs at least one size and one seed")
    if family not in FAMILIES:
        raise ValueError(f"unknown problem family {family!r}; known families: {', '.join(FAMILIES)}")
    backend = _family_backend(family, backend)
    client = make_client(model, no_cache=no_cache)
    usage = Usage()
    started = time.perf_counter()
    jobs = []
    for size in size_list:
        for seed in seed_list:
            inst = generate(family, size, seed)
            m = load_model(inst.model)
            gt = ground_truth(m, source="family generator", known_optimum=inst.known_optimum,
                              backend=backend, time_limit=time_limit, tol=tol)
            jobs.append((inst, m, gt))

    def run(job: tuple[Any, Model, GroundTruth]) -> SweepPoint:
        inst, m, gt = job
        answers = [ask_direct(client, v, inst.text, m, gt, tol=tol, missing=missing, usage=usage,
                              **params) for v in variants]
        return SweepPoint(family, inst.size, inst.seed, gt, answers)

    points: list[SweepPoint] = []
    if concurrency <= 1:
        for job in jobs:
            points.append(run(job))
            if progress is not None:
                progress(len(points), len(jobs), points[-1])
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as ex:
            for p in ex.map(run, jobs):
                points.append(p)
                if progress is not None:
                    progress(len(points), len(jobs), p)
    return SweepReport(family=family, sizes=size_list, seeds=seed_list, variants=list(variants),
                       llm=client.settings.model, points=points, usage=usage,
                       seconds=time.perf_counter() - started)


# --------------------------------------------------------------------------- helpers


def _jnum(x: float | None) -> float | str | None:
    if x is None:
        return None
    return x if math.isfinite(x) else str(x)


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    if not math.isfinite(v):
        return str(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def _pct(g: float | None) -> str:
    if g is None:
        return "—"
    return f"{g * 100:.3g}%"


def _flat_answer(a: DirectAnswer) -> dict[str, Any]:
    d = a.to_dict(response=False)
    d["violations"] = "; ".join(f"{v['label']}:{v['amount']:g}" for v in a.violations)
    d["variable_problems"] = "; ".join(f"{p['label']}:{p['kind']}" for p in a.variable_problems)
    d["unknown"] = "; ".join(a.unknown)
    return d


def _csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})
    return buf.getvalue()


def _figure(width: float, height: float) -> Any:
    """A matplotlib Figure on the Agg canvas (no pyplot: the caller's backend is left alone)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _savefig(fig: Any, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=110)
    return p
