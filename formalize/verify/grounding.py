"""Number grounding: every number a model uses must come from the problem text.

A model number is *grounded* when it equals a number of the text in one of the usual readings
(20% → 0.2, "1,200", "3.5 million", unit scalings ×60/×24/×7/×12/×1000, a complement 1 − p),
or when the param's `source` states how it was derived from grounded numbers
("derived: 8 * 5 = 40", "= 2 * 30"). Numbers in the text that the model never uses are listed:
the most common formalization slip is a forgotten constraint.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field

import numpy as np

from solvers.diagnostics import Diagnostic, Location
from solvers.expr import Num, parse_expr, parse_forall, walk
from solvers.model import Model

_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "thousand": 1000, "half": 0.5, "twice": 2, "double": 2, "triple": 3,
    "thrice": 3, "quarter": 0.25, "third": 1 / 3, "dozen": 12, "once": 1,
}
_MULT = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9}
_NUM_RE = re.compile(
    r"(?<![\w.])(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?|-?\.\d+)"
    r"(\s*%|\s*percent\b|\s*(?:thousand|million|billion|bn|mn)\b|[kKmM]\b)?",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"\b(" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_SMALL = "eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|ten|" + _UNITS
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
# "twenty-five", "ninety nine", "five hundred", "twenty-five thousand": one number, not two
_COMPOUND_RE = re.compile(
    rf"\b(?:(?P<tens>{_TENS})[- ](?P<unit>{_UNITS})|(?P<base>{_TENS}|{_SMALL}))"
    rf"(?:\s+(?P<mult>hundred|thousand)\b)?\b", re.IGNORECASE)
_ORDINAL_SUFFIX = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)
_ORDINAL_WORD_BEFORE = re.compile(r"\b(?:the|each|every|this|next|last|first|second)\s+$",
                                  re.IGNORECASE)
SCALES = (1.0, 100.0, 0.01, 1000.0, 0.001, 1e6, 1e-6, 60.0, 1 / 60, 24.0, 1 / 24, 7.0, 1 / 7,
          12.0, 1 / 12, 52.0, 365.0, 3600.0, 1 / 3600)
TRIVIAL = frozenset({0.0, 1.0, -1.0})


@dataclass(frozen=True)
class TextNumber:
    """A number found in the problem text, with the words around it."""

    value: float
    start: int
    end: int
    quote: str
    percent: bool = False


@dataclass(frozen=True)
class ModelNumber:
    """A number used by the model, with where it is."""

    value: float
    location: Location
    derived: bool = False


@dataclass
class GroundingReport:
    """What was found: grounded, ungrounded and unused numbers."""

    text_numbers: list[TextNumber] = field(default_factory=list)
    grounded: list[tuple[ModelNumber, TextNumber | None]] = field(default_factory=list)
    ungrounded: list[ModelNumber] = field(default_factory=list)
    unused: list[TextNumber] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.ungrounded

    def diagnostics(self) -> list[Diagnostic]:
        """Ungrounded numbers as warnings, unused text numbers as warnings (a constraint may be missing)."""
        out = []
        for mn in self.ungrounded:
            out.append(Diagnostic(
                "ungrounded-number", f"the number {_fmt(mn.value)} does not appear in the problem text",
                severity="warning", location=mn.location,
                hint="use the number exactly as the text gives it, or state its derivation in the param's "
                     "source, e.g. \"source\": \"derived: 8 * 5 = 40\""))
        for tn in self.unused:
            out.append(Diagnostic(
                "unused-number", f"the text's number {_fmt(tn.value)} (\"{tn.quote}\") is not used by the model",
                severity="warning", location=Location(section="text", symbol=_fmt(tn.value)),
                hint="check whether a constraint or a parameter is missing"))
        return out


def _fmt(v: float) -> str:
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else f"{v:g}"


_REFERENCE_RE = re.compile(r"\b(?:table|figure|fig\.|problem|section|(?<!for )example|step|chapter|eq\.)"
                           r"\s*[\d.-]*$", re.IGNORECASE)


def _is_clock(text: str, a: int, b: int) -> bool:
    """A time of day like 14:00 (its hour or its two-digit minutes) — a label, not data.

    A ratio such as 3:2 is data: the part after the colon must be exactly two digits."""
    after = text[b:b + 4]
    if len(after) >= 3 and after[0] == ":" and after[1:3].isdigit() and not after[3:4].isdigit():
        return True
    return (a >= 2 and text[a - 1] == ":" and text[a - 2].isdigit() and b - a == 2
            and text[a:b].isdigit())


def text_numbers(text: str) -> list[TextNumber]:
    """All numbers of a text, with percent/multiplier words applied and a short quote."""
    out: list[TextNumber] = []
    taken: list[tuple[int, int]] = []
    for m in _NUM_RE.finditer(text):
        raw, suffix = m.group(1), (m.group(2) or "").strip().lower()
        if _REFERENCE_RE.search(text[max(0, m.start() - 16):m.start()]) or _is_clock(text, m.start(), m.end()):
            taken.append((m.start(), m.end()))
            continue
        try:
            v = float(raw.replace(",", ""))
        except ValueError:
            continue
        pct = suffix in ("%", "percent")
        if suffix in _MULT:
            v *= _MULT[suffix]
        out.append(TextNumber(v, m.start(), m.end(), _quote(text, m.start(), m.end()), pct))
        taken.append((m.start(), m.end()))
    for m in _COMPOUND_RE.finditer(text):
        if m.group("tens") is None and m.group("mult") is None:
            continue  # a single word: the loop below reads it
        if any(a <= m.start() < b for a, b in taken):
            continue
        head = m.group("base") or m.group("tens")
        v = float(_WORDS[head.lower()] + (_WORDS[m.group("unit").lower()] if m.group("unit") else 0))
        if m.group("mult"):
            v *= _WORDS[m.group("mult").lower()]
        out.append(TextNumber(v, m.start(), m.end(), _quote(text, m.start(), m.end())))
        taken.append((m.start(), m.end()))
    for m in _WORD_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        w = m.group(1).lower()
        out.append(TextNumber(float(_WORDS[w]), m.start(), m.end(), _quote(text, m.start(), m.end())))
    out.sort(key=lambda t: t.start)
    return out


def _is_ordinal(text: str, tn: TextNumber) -> bool:
    """A position ("3rd", "the 5th", "the third machine"), not a quantity: it may ground a
    model number, but is not reported when no model number uses it."""
    if text[tn.start:tn.end].strip()[:1].isdigit():
        return bool(_ORDINAL_SUFFIX.match(text, tn.end))
    word = text[tn.start:tn.end].lower()
    return word in ("third", "quarter") and bool(_ORDINAL_WORD_BEFORE.search(text[:tn.start]))


_YEAR_BEFORE = re.compile(
    r"\b(?:in|since|year|by|until|before|after|from|fy|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|"
    r"jul\w*|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*)\.?\s+(?:\d{1,2},?\s+)?$", re.IGNORECASE)


_DAY_BEFORE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+$")


def _is_year(text: str, tn: TextNumber) -> bool:
    """A calendar year or day ("in 2024", "May 3, 2025"): a date, not a quantity (it may still
    ground a model number, but is not reported when unused)."""
    raw = text[tn.start:tn.end]
    before = text[max(0, tn.start - 20):tn.start]
    if raw.isdigit() and 1 <= tn.value <= 31 and _DAY_BEFORE.search(before):
        return True
    return (len(raw) == 4 and raw.isdigit() and 1900 <= tn.value <= 2100
            and bool(_YEAR_BEFORE.search(before)))


def _quote(text: str, a: int, b: int, width: int = 30) -> str:
    lo = max(0, a - width)
    hi = min(len(text), b + width)
    s = text[lo:hi].replace("\n", " ").strip()
    return ("…" if lo > 0 else "") + s + ("…" if hi < len(text) else "")


def _forms(tn: TextNumber) -> list[float]:
    v = tn.value
    forms = [v * s for s in SCALES]
    if tn.percent or 0 < v < 100:
        forms += [1 - v / 100, 1 + v / 100]
    forms += [-f for f in forms]
    return forms


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def model_numbers(model: Model) -> list[ModelNumber]:
    """Every number the model writes itself: inline param values, literals in expressions,
    numeric bounds and set ranges. Values read from data files are not the text's, and are skipped."""
    out: list[ModelNumber] = []
    for name, p in model.params.items():
        derived = _derivation_ok(p.source) if p.source else None
        loc = Location(section="params", item=name, field="value" if not p.index else "values")
        if p.value is not None:
            out.append(ModelNumber(float(p.value), loc, derived is not None and _close(derived, p.value)))
        if p.values is not None:
            for key, v in _leaves(p.values, ()):
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    out.append(ModelNumber(float(v), Location(section="params", item=name, field="values",
                                                              index=key or None)))
        if p.default is not None:
            out.append(ModelNumber(float(p.default), Location(section="params", item=name, field="default")))
    for name, v in model.variables.items():
        for f in ("lb", "ub"):
            b = getattr(v, f)
            if isinstance(b, (int, float)):
                out.append(ModelNumber(float(b), Location(section="variables", item=name, field=f)))
            elif isinstance(b, str):
                out += _expr_numbers(b, Location(section="variables", item=name, field=f))
    if model.objective:
        out += _expr_numbers(model.objective, Location(section="objective", field="expr"))
    for c in model.constraints:
        out += _expr_numbers(c.expr, Location(section="constraints", item=c.name, field="expr"))
        if c.forall:
            try:
                gens = parse_forall(c.forall)
            except Exception:
                gens = ()
            for g in gens:
                for cond in g.conds:
                    out += [ModelNumber(n.value, Location(section="constraints", item=c.name, field="forall", column=n.col))
                            for n in walk(cond) if isinstance(n, Num)]
    return out


def _leaves(values, key: tuple):
    if isinstance(values, dict):
        for k, v in values.items():
            yield from _leaves(v, key + (k,))
    elif isinstance(values, list):
        if values and all(isinstance(r, list) for r in values) and all(
                r and isinstance(r[-1], (int, float)) and any(isinstance(x, str) for x in r[:-1]) for r in values):
            for r in values:  # rows form [k..., value]
                yield tuple(r[:-1]), r[-1]
        else:
            for i, v in enumerate(values):
                yield from _leaves(v, key + (i,))
    else:
        yield key, values


def _expr_numbers(text: str, loc: Location) -> list[ModelNumber]:
    try:
        tree = parse_expr(text)
    except Exception:
        return []
    return [ModelNumber(n.value, Location(section=loc.section, item=loc.item, field=loc.field, column=n.col))
            for n in walk(tree) if isinstance(n, Num)]


_DERIV_RE = re.compile(r"(?:derived|computed|=)\s*:?\s*([-+*/().\d\s,%]+?)\s*(?:=\s*(-?[\d.,]+))?\s*$", re.IGNORECASE)


def _derivation_ok(source: str) -> float | None:
    """The value of an arithmetic derivation stated in a param's source, if there is one."""
    for part in re.split(r"[;\n]", source):
        m = _DERIV_RE.search(part)
        if not m:
            continue
        expr = m.group(1).replace(",", "").replace("%", "/100").strip()
        if not re.search(r"[-+*/]", expr.strip("-")):
            continue
        v = _safe_arith(expr)
        if v is not None:
            return v
    return None


def _derivation_operands(source: str) -> list[float]:
    m = _DERIV_RE.search(source or "")
    if not m:
        return []
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", m.group(1).replace(",", ""))]


def _safe_arith(expr: str) -> float | None:
    try:
        from solvers.expr import _ast_parse

        tree = _ast_parse(expr)
    except SyntaxError:
        return None

    def ev(n: ast.AST) -> float:
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)):
            return float(n.value)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return -ev(n.operand)
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            a, b = ev(n.left), ev(n.right)
            return {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}.get(type(n.op), a / b if b else math.nan)
        raise ValueError

    try:
        v = ev(tree.body)
    except (ValueError, RecursionError):
        return None
    return v if math.isfinite(v) else None


def _structural_values(model: Model) -> np.ndarray:
    """Numbers the model uses without writing them: set sizes, integer elements, file data."""
    vals: list[float] = []
    try:
        from solvers.data import instance

        inst = instance(model)
    except Exception:  # unresolvable data is reported by the checks, not here
        inst = None
    if inst is not None:
        for s in inst.sets.values():
            vals.append(float(len(s)))
            if s.dim == 1 and len(s) <= 10_000:
                vals += [float(e) for e in s.elements if isinstance(e, int)]
        tables = [inst.params[n].table for n, p in model.params.items() if p.from_ is not None and n in inst.params]
        for t in tables:
            u = np.unique(t[np.isfinite(t)])
            vals += u[:100_000].tolist()
    for s in model.sets.values():
        if s.range is not None:
            vals += [float(b) for b in s.range if not isinstance(b, str)]
    return np.unique(np.asarray(vals, dtype=float)) if vals else np.empty(0)


def ground(model: Model, text: str) -> GroundingReport:
    """Ground every number of `model` against `text`."""
    tns = text_numbers(text)
    forms = [(tn, _forms(tn)) for tn in tns]
    used = [False] * len(tns)
    rep = GroundingReport(text_numbers=tns)
    derivs = {name: _derivation_operands(p.source or "") for name, p in model.params.items()}
    for mn in model_numbers(model):
        exact = [i for i, tn in enumerate(tns) if _close(mn.value, tn.value)]
        scaled = [i for i, (_tn, fs) in enumerate(forms) if i not in exact and any(_close(mn.value, f) for f in fs)]
        # prefer an unused literal occurrence, then an unused scaled reading, then any
        hit = next((i for i in exact if not used[i]), None)
        if hit is None:
            hit = next((i for i in scaled if not used[i]), None)
        if hit is None and (exact or scaled):
            hit = (exact or scaled)[0]
        if hit is not None:
            used[hit] = True
            rep.grounded.append((mn, tns[hit]))
        elif mn.value in TRIVIAL or mn.derived:
            rep.grounded.append((mn, None))
        else:
            rep.ungrounded.append(mn)
    # structure and data the model takes from elsewhere also use text numbers: set sizes
    # ("five workers"), integer elements, range bounds, and values read from data files
    extra = _structural_values(model)
    if extra.size:
        for i, tn in enumerate(tns):
            if not used[i] and np.any(np.isclose(extra, tn.value, rtol=1e-9, atol=1e-12)):
                used[i] = True
    # operands of stated derivations count as used text numbers
    for ops in derivs.values():
        for v in ops:
            for i, tn in enumerate(tns):
                if _close(tn.value, v):
                    used[i] = True
    rep.unused = [tn for tn, u in zip(tns, used)
                  if not u and tn.value not in TRIVIAL and not _is_ordinal(text, tn)
                  and not _is_year(text, tn)]
    return rep
