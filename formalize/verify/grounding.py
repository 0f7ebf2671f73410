"""Number grounding: every number a model uses must come from the problem text, and every number
of the text the model leaves unused is listed.

A model number is *grounded* when it equals a number of the text in one of the usual readings
(20% → 0.2, "1,200", "3.5 million", "1/3", "8.99e-04", a sign convention −15, unit scalings
×60/×24/×7/×12/×1000, a complement 1 − p, a rounding 0.33 of 1/3), when it is a conversion
constant the text's units call for (60 with minutes and hours), or when the param's `source`
states a derivation from numbers of the text that evaluates to it ("derived: 8 * 5 = 40"; see
`derivation.py`). A param of value 3 whose source quotes "at most a third of" grounds that third
(the ratio written `3 * g <= m`; also half 2, quarter 4, "two fifths" 2 and 5): the quote picks
the mention, so a "$3" elsewhere in the text does not take it. A number of the model's own (a priority weight, a big-M) is declared so in its
param's source ("modelling: priority weight") and listed in the report, never grounded. Positions — `t >= 2` in a forall, `x[t - 1]`, exponents — are structure, not data.

Findings, by severity (docs/semantics.md, "Text-aware codes"):
- errors, to be repaired: `ungrounded-number` (a value neither in the text nor derived, or a
  derivation operand that is not in the text), `wrong-derivation` (the stated arithmetic does not
  give the claimed result or the param's value; the message shows the computed value),
  `acknowledged-not-in-text` (an acknowledgement names a number the text does not have);
- advice, listed every round, never blocking after the first: `unused-number` (a quantity of the
  text the model never uses — often a forgotten constraint), `unstated-derivation` (a value that
  is one operation on two text numbers, 40 = 8 × 5, without the derivation stated);
- info: `acknowledged-number` (an unused number the model acknowledged, with its reason),
  `modelling-constant` (a number the model declares its own, with its reason).

Only what the model uses counts as a use: params no expression references, descriptions,
sources, notes and assumptions (prose) never cover a text number; a value used once covers every
mention of it. Numbers that name or place things (labels, list markers, years, clock times,
exercise numbers, unit words: `text_numbers.py`) are never demanded.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formalize.verify.derivation import Derivation, Operand, derivations, same_number
from formalize.verify.text_numbers import WORDS, TextNumber, text_numbers
from solvers.diagnostics import Diagnostic, Location
from solvers.expr import (
    Agg,
    BinOp,
    Call,
    Compare,
    Gen,
    IfExp,
    Index,
    Name,
    Node,
    Num,
    SetRef,
    parse_expr,
    parse_forall,
    parse_set_expr,
    set_names,
    walk,
)
from solvers.model import Acknowledgement, Model

__all__ = ["GroundingReport", "ModelNumber", "TextNumber", "ground", "ground_numbers", "model_numbers",
           "text_numbers"]

TRIVIAL = frozenset({0.0, 1.0, -1.0})
_MULTIPLIER_WORDS = frozenset({"twice", "double", "triple", "thrice", "once", "half", "quarter", "third"})

# conversion constants a text's units call for: (value, patterns that must all occur)
_CONVERSIONS: tuple[tuple[float, tuple[str, ...]], ...] = (
    (60.0, (r"\b(?:minutes?|mins?|hours?|hrs?|seconds?|secs?)\b",)),
    (3600.0, (r"\b(?:seconds?|secs?)\b", r"\b(?:hours?|hrs?)\b")),
    (1440.0, (r"\b(?:minutes?|mins?)\b", r"\b(?:days?|daily)\b")),
    (24.0, (r"\b(?:hours?|hrs?)\b", r"\b(?:days?|daily)\b")),
    (168.0, (r"\b(?:hours?|hrs?)\b", r"\b(?:weeks?|weekly)\b")),
    (7.0, (r"\b(?:days?|daily)\b", r"\b(?:weeks?|weekly)\b")),
    (12.0, (r"\b(?:months?|monthly)\b", r"\b(?:years?|annual(?:ly)?|yearly)\b")),
    (52.0, (r"\b(?:weeks?|weekly)\b", r"\b(?:years?|annual(?:ly)?|yearly)\b")),
    (365.0, (r"\b(?:days?|daily)\b", r"\b(?:years?|annual(?:ly)?|yearly)\b")),
    (100.0, (r"%|\bper\s*cent|\bpercent|\bcents?\b|\bhundreds?\b",)),
    (1000.0, (r"\bthousands?\b|\d\s*[kK]\b|\bkilo|\bkg\b|\bkm\b|\btons?\b|\btonnes?\b|\bliters?\b|\blitres?\b"
              r"|\bml\b|\bgrams?\b|\bmeters?\b|\bmetres?\b",)),
    (1e6, (r"\bmillions?\b|\d\s*(?:m|mn|M)\b",)),
    (1e9, (r"\bbillions?\b|\d\s*(?:bn|B)\b",)),
)


@dataclass(frozen=True)
class ModelNumber:
    """A number the model writes, where it is, and what kind of place it is in.

    `kind`: value (a param value or default), literal (in an expression), bound (a variable
    bound), range (a set range bound), position (an index offset, a condition on indices, an
    exponent: structure, not data)."""

    value: float
    location: Location
    kind: str = "value"
    param: str | None = None
    count: int = 1  # how many entries of a table hold this value


@dataclass(frozen=True)
class Match:
    """How a model number is grounded: `how` is exact | reading | rounded | scaled | complement |
    derived | conversion | trivial | position | zero-based | modelling (the model's own number,
    declared so in its param's source)."""

    number: ModelNumber
    how: str
    text: tuple[TextNumber, ...] = ()
    derivation: Derivation | None = None


@dataclass(frozen=True)
class Unstated:
    """A model number that is one operation on two text numbers, with no derivation stated."""

    number: ModelNumber
    arithmetic: str  # "8 * 5"
    text: tuple[TextNumber, ...] = ()


@dataclass(frozen=True)
class WrongDerivation:
    """A stated derivation whose arithmetic does not give the claimed result or the param's value."""

    param: str
    derivation: Derivation
    message: str


@dataclass(frozen=True)
class BadOperand:
    """An operand of a stated derivation that is not a number of the text."""

    param: str
    derivation: Derivation
    operand: Operand


@dataclass
class GroundingReport:
    """What grounding found; `diagnostics()` turns it into located findings, errors first."""

    text: str = ""
    text_numbers: list[TextNumber] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    ungrounded: list[ModelNumber] = field(default_factory=list)
    wrong_derivations: list[WrongDerivation] = field(default_factory=list)
    bad_operands: list[BadOperand] = field(default_factory=list)
    unstated: list[Unstated] = field(default_factory=list)
    unused: list[TextNumber] = field(default_factory=list)
    acknowledged: list[tuple[TextNumber, str]] = field(default_factory=list)
    bad_acknowledgements: list[tuple[int, Acknowledgement]] = field(default_factory=list)
    used_text_numbers: int = 0  # how many of text_numbers the model uses
    modelling: list[tuple[ModelNumber, str]] = field(default_factory=list)  # the model's own constants
    source: str = "model"  # what was grounded: "model" (a formal model) or "code" (a program)
    ack_locations: dict[int, Location] = field(default_factory=dict)  # acknowledgement -> where

    @property
    def grounded(self) -> list[tuple[ModelNumber, TextNumber | None]]:
        """(model number, the first text number it matched or None) for every grounded number."""
        return [(m.number, m.text[0] if m.text else None) for m in self.matches]

    @property
    def ok(self) -> bool:
        """True when nothing must be repaired (advice may remain)."""
        return not (self.ungrounded or self.wrong_derivations or self.bad_operands or self.bad_acknowledgements)

    def diagnostics(self) -> list[Diagnostic]:
        """Errors (ungrounded, wrong derivations, false acknowledgements), then advice (unstated
        derivations, unused text numbers), then the acknowledged numbers as info."""
        out: list[Diagnostic] = []
        for mn in self.ungrounded:
            out.append(_ungrounded_diag(mn))
        code = self.source == "code"  # a program's derivations are `# derived:` comments, by line
        for b in self.bad_operands:
            out.append(Diagnostic(
                "ungrounded-number",
                f"the derivation \"{b.derivation.text}\" uses {b.operand.raw}, which is not a number of the problem text",
                location=Location(section="code", field=b.param, symbol=b.operand.raw) if code else
                Location(section="params", item=b.param, field="source", symbol=b.operand.raw),
                hint="derive only from numbers the text states" + ("" if code else " (or from other params by name)")))
        for w in self.wrong_derivations:
            out.append(Diagnostic("wrong-derivation", w.message,
                                  location=Location(section="code", field=w.param) if code else
                                  Location(section="params", item=w.param, field="source"),
                                  hint="correct the arithmetic, or the value, so that they agree"))
        for i, ack in self.bad_acknowledgements:
            out.append(Diagnostic(
                "acknowledged-not-in-text", f"the acknowledged number {ack.number!r} is not in the problem text",
                location=self.ack_locations.get(i) or Location(section="acknowledged", item=f"#{i + 1}",
                                                                field="number", symbol=ack.number),
                hint="acknowledge only numbers the text states, written as the text writes them"))
        for u in self.unstated:
            out.append(_unstated_diag(u))
        for tn in self.unused:
            say = (f"say why in a comment: # acknowledged: {tn.raw} - <reason>" if self.source == "code" else
                   f"say why: \"acknowledged\": [{{\"number\": \"{tn.raw}\", \"reason\": \"...\"}}]")
            out.append(Diagnostic(
                "unused-number", f"the text's number {tn.raw} (\"{tn.quote}\") is not used by the "
                + ("model the program builds" if self.source == "code" else "model"),
                severity="warning", location=text_location(tn),
                hint="check whether a constraint or a parameter is missing; if the model does not need "
                     f"it, {say}"))
        for mn, reason in self.modelling:
            out.append(Diagnostic(
                "modelling-constant", f"the model's own number {fmt(mn.value)} (not from the text): {reason}",
                severity="info", location=mn.location))
        for tn, reason in self.acknowledged:
            out.append(Diagnostic(
                "acknowledged-number", f"the text's number {tn.raw} (\"{tn.quote}\") is not used: {reason}",
                severity="info", location=text_location(tn)))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data: unused and acknowledged text numbers, errors, advice."""
        return {
            "ok": self.ok,
            "unused": [_tn_dict(t) for t in self.unused],
            "acknowledged": [{**_tn_dict(t), "reason": r} for t, r in self.acknowledged],
            "ungrounded": [{"value": m.value, "where": str(m.location)} for m in self.ungrounded],
            "wrong_derivations": [{"param": w.param, "derivation": w.derivation.text, "computed": w.derivation.value,
                                   "message": w.message} for w in self.wrong_derivations],
            "unstated_derivations": [{"value": u.number.value, "where": str(u.number.location),
                                      "arithmetic": u.arithmetic} for u in self.unstated],
            "text_numbers": len(self.text_numbers),
            "text_numbers_used": self.used_text_numbers,
            "model_numbers_grounded": len(self.matches),
            "modelling_constants": [{"value": m.value, "where": str(m.location), "reason": r}
                                    for m, r in self.modelling],
        }


def text_location(tn: TextNumber) -> Location:
    """Where a text number is: `text line L col C`, its words as the symbol."""
    return Location(section="text", field=f"line {tn.line}", column=tn.col, symbol=tn.raw)


def _tn_dict(t: TextNumber) -> dict[str, Any]:
    return {"number": t.raw, "value": t.value, "role": t.role, "line": t.line, "column": t.col, "quote": t.quote}


def fmt(v: float) -> str:
    """A number as a person writes it (40, 0.25, 1e-06)."""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.10g}"


OWN_NUMBER_HINT = ("if the number is the model's own and not the text's (a priority weight, a big-M), "
                   "make it a param with \"source\": \"modelling: <why>\"")
MODELLING = re.compile(r"^\s*modell?ing\s*:\s*(.*\S)", re.I | re.S)


def modelling_reason(source: str | None) -> str | None:
    """The reason a param's source gives for a number of the model's own ("modelling: priority
    weight"), or None. Such a number is not grounded against the text; the report lists it."""
    m = MODELLING.match(source or "")
    return m.group(1) if m else None


def _ungrounded_diag(mn: ModelNumber) -> Diagnostic:
    many = f" ({mn.count} entries)" if mn.count > 1 else ""
    if mn.location.section == "code":
        hint = ("copy the number exactly as the text gives it; if it is computed from numbers of the text, "
                "write that arithmetic in the code (8 * 5 rather than 40) or, for a table of computed numbers, "
                "state it in a comment on its line: # derived: 10 // 4 = 2; if it is the model's own number "
                "(a priority weight), end its line with a comment: # modelling: <why>")
    elif mn.kind == "value":
        hint = ("copy the number exactly as the text gives it; if it is computed from numbers of the text, "
                "state its derivation in the param's source, e.g. \"source\": \"derived: 8 * 5 = 40\"; "
                + OWN_NUMBER_HINT)
    else:
        hint = ("copy the number exactly as the text gives it, or write the arithmetic of the text's numbers "
                "that gives it (8*5 rather than 40); " + OWN_NUMBER_HINT)
    return Diagnostic("ungrounded-number", f"the number {fmt(mn.value)}{many} does not appear in the problem text",
                      location=mn.location, hint=hint)


def _unstated_diag(u: Unstated) -> Diagnostic:
    mn = u.number
    if mn.location.section == "code":
        hint = f"write the arithmetic ({u.arithmetic.replace(' ', '')}) in the code where the number is used"
    elif mn.kind == "value":
        hint = (f"state it: \"source\": \"derived: {u.arithmetic} = {fmt(mn.value)}\" (or use the text's numbers "
                f"directly); {OWN_NUMBER_HINT}")
    else:
        hint = f"write the arithmetic ({u.arithmetic.replace(' ', '')}) where the number is used; {OWN_NUMBER_HINT}"
    return Diagnostic("unstated-derivation",
                      f"the number {fmt(mn.value)} is not in the text; it equals {u.arithmetic} of the text's numbers",
                      severity="warning", location=mn.location, hint=hint)


# =========================================================================== model numbers


def _parse(text: str | None) -> Node | None:
    if not text:
        return None
    try:
        return parse_expr(text)
    except Exception:  # a malformed expression is reported by the static checks
        return None


def _forall(text: str | None) -> tuple[Gen, ...]:
    if not text:
        return ()
    try:
        return parse_forall(text)
    except Exception:
        return ()


def _names(node: Node) -> set[str]:
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, Name):
            out.add(n.id)
        elif isinstance(n, Index):
            out.add(n.base)
    return out


def referenced_names(model: Model) -> set[str] | None:
    """Names the model uses: those of the objective, constraints, bounds, set ranges and variable
    indexes, and, through them, those of the computed params and derived sets they use. None when
    an expression does not parse (then every param counts as used)."""
    out: set[str] = set()
    texts: list[str] = [model.objective or ""] + [c.expr for c in model.constraints]
    texts += [b for v in model.variables.values() for b in (v.lb, v.ub) if isinstance(b, str)]
    for t in texts:
        if not t.strip():
            continue
        node = _parse(t)
        if node is None:
            return None
        out |= set_names(node)
    for c in model.constraints:
        if c.forall:
            gens = _forall(c.forall)
            if not gens:
                return None
            for g in gens:
                out |= set_names(g)
    for v in model.variables.values():
        out |= {e.split(" in ")[-1].strip() for e in v.index}
    for s in model.sets.values():
        out |= {b for b in (s.range or []) if isinstance(b, str)}
    todo = list(out)
    while todo:  # computed params and derived sets use what their definitions name
        name = todo.pop()
        node: Node | None = None
        if name in model.params:
            p = model.params[name]
            new = set(p.index_sets)
            if p.expr:
                node = _parse(p.expr)
                if node is None:
                    return None
        elif name in model.sets:
            spec = model.sets[name]
            new = {b for b in (spec.range or []) if isinstance(b, str)}
            if spec.expr:
                node = _set_expr(spec.expr)
                if node is None:
                    return None
        else:
            continue
        if node is not None:
            new |= set_names(node)
        for n in new - out:
            out.add(n)
            todo.append(n)
    return out


def _set_expr(text: str) -> Node | None:
    try:
        return parse_set_expr(text)
    except Exception:  # a malformed definition is reported by the checks
        return None


def _expr_numbers(node: Node, loc: Location, params: set[str], kind: str = "literal") -> list[ModelNumber]:
    """Literals of an expression tree, each marked literal or position."""
    out: list[ModelNumber] = []

    def at(n: Num, k: str) -> None:
        out.append(ModelNumber(n.value, Location(section=loc.section, item=loc.item, field=loc.field,
                                                 column=n.col or None), k))

    def data_free(n: Node) -> bool:
        return not (_names(n) & params)

    def visit(n: Node, k: str) -> None:
        if isinstance(n, Num):
            at(n, k)
            return
        if isinstance(n, Index):
            for a in n.args:
                visit(a, "position")
            return
        if isinstance(n, BinOp) and n.op == "**":
            # the exponent is structure; so is the base of a power over an index (2**k: binary digits)
            visit(n.left, k if isinstance(n.right, Num) else "position")
            visit(n.right, "position")
            return
        if isinstance(n, Compare) and k == "condition":
            sub = "position" if data_free(n) else "literal"
            for o in n.operands:
                visit(o, sub)
            return
        if isinstance(n, Gen):
            visit(n.over, "position")
            for c in n.conds:
                visit(c, "condition")
            return
        if isinstance(n, SetRef):
            for b in (n.lo, n.hi):
                if b is not None:
                    visit(b, "position")
            return
        if isinstance(n, IfExp):
            visit(n.cond, "condition")
            visit(n.then, k)
            visit(n.orelse, k)
            return
        if isinstance(n, Agg):
            for g in n.gens:
                visit(g, k)
            visit(n.body, k)
            return
        if isinstance(n, Call) and n.func in ("len", "card"):
            return
        for f in getattr(n, "__dataclass_fields__", {}):
            if f == "col":
                continue
            v = getattr(n, f)
            if isinstance(v, Node):
                visit(v, "literal" if k == "condition" else k)
            elif isinstance(v, tuple):
                for x in v:
                    if isinstance(x, Node):
                        visit(x, "literal" if k == "condition" else k)

    visit(node, kind)
    return [m if m.kind != "condition" else ModelNumber(m.value, m.location, "literal") for m in out]


def model_numbers(model: Model, used: set[str] | None = None) -> list[ModelNumber]:
    """Every number the model writes itself: param values of used params (one per distinct value
    and param), literals of expressions, numeric bounds and set ranges. Values read from data
    files are not the text's and are skipped."""
    params = set(model.params)
    out: list[ModelNumber] = []
    for name, p in model.params.items():
        if used is not None and name not in used:
            continue
        if p.from_ is not None:
            continue
        if p.value is not None:
            out.append(ModelNumber(float(p.value), Location(section="params", item=name, field="value"), param=name))
        if p.values is not None:
            out += _table_numbers(model, name)
        if p.default is not None:
            out.append(ModelNumber(float(p.default), Location(section="params", item=name, field="default"), param=name))
        if p.expr and (node := _parse(p.expr)) is not None:  # a computed param: its literals
            out += [ModelNumber(x.value, x.location, x.kind, param=name)
                    for x in _expr_numbers(node, Location(section="params", item=name, field="expr"), params)]
    for name, v in model.variables.items():
        for f in ("lb", "ub"):
            b = getattr(v, f)
            loc = Location(section="variables", item=name, field=f)
            if isinstance(b, (int, float)):
                out.append(ModelNumber(float(b), loc, "bound"))
            elif isinstance(b, str) and (node := _parse(b)) is not None:
                out += _expr_numbers(node, loc, params)
    for name, s in model.sets.items():
        if s.expr and (used is None or name in used) and (node := _set_expr(s.expr)) is not None:
            out += _expr_numbers(node, Location(section="sets", item=name, field="expr"), params, "condition")
        for i, b in enumerate(s.range or []):
            if not isinstance(b, str):
                out.append(ModelNumber(float(b), Location(section="sets", item=name, field="range",
                                                          index=(i,)), "range"))
    if model.objective and (node := _parse(model.objective)) is not None:
        out += _expr_numbers(node, Location(section="objective", field="expr"), params)
    for c in model.constraints:
        if (node := _parse(c.expr)) is not None:
            out += _expr_numbers(node, Location(section="constraints", item=c.name, field="expr"), params)
        for g in _forall(c.forall):
            out += _expr_numbers(g, Location(section="constraints", item=c.name, field="forall"), params)
    return out


def _table_numbers(model: Model, name: str) -> list[ModelNumber]:
    """One ModelNumber per distinct value of an inline table, located at its first entry."""
    p = model.params[name]
    try:
        # the lowering's module: importing it registers the evaluator of derived sets
        from solvers.lower import instance

        inst = instance(model)
        data = inst.params[name]
        table = data.table
        keys: list[tuple] = []
        seen: dict[float, int] = {}
        if table.ndim == 0:
            return []
        flat = table.reshape(-1)
        finite = np.flatnonzero(np.isfinite(flat))
        vals, first, counts = np.unique(flat[finite], return_index=True, return_counts=True)
        shape = table.shape
        sets = [inst.sets[s] for s in data.index]
        for v, f, n in zip(vals.tolist(), first.tolist(), counts.tolist()):
            pos = np.unravel_index(int(finite[f]), shape)
            key = tuple(_key_part(s.elements[i]) for s, i in zip(sets, pos))
            keys.append(key)
            seen[v] = n
        return [ModelNumber(float(v), Location(section="params", item=name, field="values", index=k), param=name,
                            count=seen[v]) for v, k in zip(vals.tolist(), keys)]
    except Exception:  # unresolvable data is reported by the checks; read the literal values
        out: dict[float, ModelNumber] = {}
        for key, v in _leaves(p.values, ()):
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                fv = float(v)
                if fv in out:
                    out[fv] = ModelNumber(fv, out[fv].location, param=name, count=out[fv].count + 1)
                else:
                    out[fv] = ModelNumber(fv, Location(section="params", item=name, field="values",
                                                       index=key or None), param=name)
        return list(out.values())


def _key_part(e: Any) -> Any:
    return ", ".join(map(str, e)) if isinstance(e, tuple) else e


def _leaves(values: Any, key: tuple):
    if isinstance(values, dict):
        for k, v in values.items():
            yield from _leaves(v, key + (k,))
    elif isinstance(values, list):
        for i, v in enumerate(values):
            yield from _leaves(v, key + (i,))
    else:
        yield key, values


# =========================================================================== matching


class _Forms:
    """Sorted (value, text-number index, how) readings for fast lookups with a tolerance."""

    def __init__(self, items: list[tuple[float, int, str]]):
        items.sort(key=lambda x: x[0])
        self.vals = [x[0] for x in items]
        self.items = items

    def near(self, v: float, window: float = 0.0) -> list[tuple[float, int, str]]:
        tol = max(abs(v) * 1e-9, 1e-12) + window
        lo = bisect.bisect_left(self.vals, v - tol)
        hi = bisect.bisect_right(self.vals, v + tol)
        return self.items[lo:hi]


def _decimals(v: float) -> int:
    text = repr(float(v))
    if "e" in text or "." not in text:
        return 0
    return len(text.split(".")[1].rstrip("0"))


def _significant(v: float) -> int:
    """Significant digits of a number as written (0.33 → 2, 0.3 → 1, 28.28 → 4)."""
    text = repr(abs(float(v)))
    if "e" in text:
        text = text.split("e")[0]
    digits = text.replace(".", "").lstrip("0")
    if "." in text and not text.endswith(".0"):
        return len(digits)
    return len(digits.rstrip("0")) or 1


def _readings(tns: list[TextNumber]) -> _Forms:
    items: list[tuple[float, int, str]] = []
    for i, tn in enumerate(tns):
        for r in tn.values:
            items.append((r, i, "exact" if r == tn.value else "reading"))
            items.append((-r, i, "reading"))  # a sign convention: "a net supply of 15" written -15
        if tn.percent:
            items.append((tn.value / 100, i, "reading"))
            items.append((-tn.value / 100, i, "reading"))
    return _Forms(items)


def _scaled(tns: list[TextNumber], conversions: set[float]) -> _Forms:
    """Unit scalings the text's units call for (×60 only with minutes or hours in the text, ×1000
    with thousands, kg or km …) and complements of shares (1 − 20% = 0.8, 1 − 0.3 = 0.7)."""
    scales = sorted({s for c in conversions for s in (c, 1 / c)})
    items: list[tuple[float, int, str]] = []
    for i, tn in enumerate(tns):
        for r in tn.values:
            for s in scales:
                items.append((r * s, i, "scaled"))
                items.append((-r * s, i, "scaled"))
            shares = [r / 100] if tn.percent else ([r] if 0 < r < 1 else [])
            for share in shares:
                for c in (1 - share, 1 + share):
                    items.append((c, i, "complement"))
    return _Forms(items)


def _conversions(text: str) -> set[float]:
    return {v for v, pats in _CONVERSIONS if all(re.search(p, text, re.IGNORECASE) for p in pats)}


class _Matcher:
    def __init__(self, text: str, tns: list[TextNumber]):
        self.tns = tns
        self.readings = _readings(tns)
        self.conversions = _conversions(text)
        self.scaled = _scaled(tns, self.conversions)
        vals = sorted({r for tn in tns for r in tn.values if r not in TRIVIAL})
        self.pool = np.asarray(vals, dtype=float)
        self.pool_idx: dict[float, list[int]] = {}
        for i, tn in enumerate(tns):
            for r in tn.values:
                self.pool_idx.setdefault(r, []).append(i)

    def direct(self, v: float) -> tuple[str, list[int]] | None:
        """Grounded by a text number: exactly, as a reading, a rounding, or a unit scaling."""
        hits = self.readings.near(v)
        if hits:
            how = "exact" if any(h[2] == "exact" for h in hits) else "reading"
            return how, sorted({h[1] for h in hits})
        d = _decimals(v) if _significant(v) >= 2 else 0  # 0.33 rounds 1/3; 0.3 is too coarse to say
        if d:
            window = 0.5 * 10 ** -d
            hits = [h for h in self.readings.near(v, window) if same_number(h[0], v)]
            if hits:
                return "rounded", sorted({h[1] for h in hits})
        hits = self.scaled.near(v)
        if hits:
            return hits[0][2], sorted({h[1] for h in hits})
        if d:
            hits = [h for h in self.scaled.near(v, 0.5 * 10 ** -d) if same_number(h[0], v)]
            if hits:
                return "rounded", sorted({h[1] for h in hits})
        return None

    def one_operation(self, v: float) -> tuple[str, list[int]] | None:
        """`a * b = v` or `a / b = v` for two numbers of the text (neither 0 nor ±1), if any."""
        pool = self.pool
        if pool.size == 0 or v == 0:
            return None

        def find(target: np.ndarray) -> int | None:
            pos = np.searchsorted(pool, target)
            for j in range(target.size):
                for p in (pos[j] - 1, pos[j]):
                    if 0 <= p < pool.size and math.isclose(pool[p], target[j], rel_tol=1e-9, abs_tol=1e-12):
                        return j * 10**9 + int(p)
            return None

        # products and quotients only: a sum or difference of two unrelated numbers of the text
        # hits almost any small integer (13 = 8 + 5), and would hide a misread number
        for op, target in (("*", v / pool), ("/", pool / v)):
            hit = find(target)
            if hit is None:
                continue
            a, b = float(pool[hit // 10**9]), float(pool[hit % 10**9])
            if a in TRIVIAL or b in TRIVIAL:
                continue
            if op == "*":  # the factors in the order the text gives them
                first = min(self.pool_idx.get(a, [0]) + self.pool_idx.get(b, [0]))
                x, y = (a, b) if first in self.pool_idx.get(a, []) else (b, a)
                expr = f"{fmt(x)} * {fmt(y)}"
            else:
                expr = f"{fmt(a)} / {fmt(b)}"
            return expr, sorted(set(self.pool_idx.get(a, []) + self.pool_idx.get(b, [])))
        return None


def spelled_out_sizes(names: list[str]) -> list[float]:
    """Sizes of the index sets a model spells out by hand in the names of its scalar variables:
    `make_curtain`, `make_cloth`, `short_curtain`, `short_cloth` index two families by the members
    {curtain, cloth}, a set of two ("two types of fabric") the model never writes as a set. A
    member set counts when at least two families share it (one pair such as `dev_plus`/`dev_minus`
    names two sides of one thing, not a set of the text)."""
    members: dict[str, set[str]] = {}
    for n in names:
        head, sep, tail = n.rpartition("_")
        if sep and head and tail:
            members.setdefault(head, set()).add(tail)
    shared: dict[frozenset[str], int] = {}
    for ms in members.values():
        if len(ms) >= 2:
            shared[frozenset(ms)] = shared.get(frozenset(ms), 0) + 1
    return sorted({float(len(ms)) for ms, k in shared.items() if k >= 2})


def _structural_values(model: Model) -> tuple[np.ndarray, float]:
    """Numbers the model uses without writing them (set sizes, integer elements, counts of
    variables, sets spelled out in scalar variables' names, values read from data files), and the
    largest index position."""
    vals: list[float] = [float(len(model.variables))]
    scalars = [n for n, v in model.variables.items() if not v.index]
    vals.append(float(len(scalars)))
    vals += spelled_out_sizes(scalars)
    top = 0.0
    try:
        # the lowering's module: importing it registers the evaluator of derived sets
        from solvers.lower import instance

        inst = instance(model)
    except Exception:  # unresolvable data is reported by the checks, not here
        inst = None
    if inst is not None:
        for s in inst.sets.values():
            vals.append(float(len(s)))
            top = max(top, float(len(s)))
            if s.dim == 1 and len(s) <= 100_000:
                ints = [float(e) for e in s.elements if isinstance(e, int)]
                vals += ints
                if ints:
                    top = max(top, max(abs(x) for x in ints))
        for n, p in model.params.items():
            if p.from_ is not None and n in inst.params:
                t = inst.params[n].table
                u = np.unique(t[np.isfinite(t)])
                vals += u[:100_000].tolist()
    for s in model.sets.values():
        if s.range is not None:
            vals += [float(b) for b in s.range if not isinstance(b, str)]
        elif s.elements is not None:
            vals.append(float(len(s.elements)))
    return (np.unique(np.asarray(vals, dtype=float)) if vals else np.empty(0)), top


def _range_fits_data(model: Model, mn: ModelNumber) -> bool:
    """A set range whose size is the length of a list of values the model copies for it (three
    items listed as [60, 100, 120] make the range [1, 3]): the data fixes the bound."""
    spec = model.sets.get(mn.location.item or "")
    if spec is None or spec.range is None or any(isinstance(b, str) for b in spec.range):
        return False
    size = int(spec.range[1]) - int(spec.range[0]) + 1
    for p in model.params.values():
        if p.index_sets[:1] == [mn.location.item] and isinstance(p.values, list) and len(p.values) == size:
            return True
    return False


def _scalar_values(model: Model) -> dict[str, float]:
    return {n: float(p.value) for n, p in model.params.items() if p.value is not None and not p.index}


def _ack_matches(ack: Acknowledgement, tns: list[TextNumber]) -> list[int]:
    """The text numbers an acknowledgement names: by how they are written, or by value."""
    raw = re.sub(r"\s+", "", ack.number).lower()
    hits = [i for i, t in enumerate(tns) if re.sub(r"\s+", "", t.raw).lower() == raw]
    if hits:
        return hits
    text = raw.replace(",", "").replace("$", "").replace("−", "-")
    pct = text.endswith("%")
    try:
        v = float(text.rstrip("%"))
    except ValueError:
        return []
    out = []
    for i, t in enumerate(tns):
        vals = list(t.values) + ([t.value / 100] if t.percent else [])
        if (not pct or t.percent) and any(math.isclose(v, x, rel_tol=1e-9, abs_tol=1e-12) for x in vals):
            out.append(i)
    return out


_QUOTED = re.compile(r"[\"“”«»`]([^\"“”«»`]{3,}?)[\"“”«»`]|(?<![\w])'([^']{3,}?)'(?![\w])")
_ACK_STOP = frozenset({"the", "and", "for", "are", "but", "not", "with", "this", "that", "its", "per", "only",
                       "from", "into", "than", "then", "each", "every", "which", "what", "when", "where",
                       "model", "number", "text", "used", "use", "uses", "does", "need", "needed",
                       "because", "already", "there", "their", "they", "them", "has", "have", "been", "was"})
_ACK_WINDOW = 40  # characters either side of a mention that the words of an acknowledgement are matched to


def _words(s: str) -> set[str]:
    """The content words of `s`, plural -s dropped ("shifts" and "shift" are one word)."""
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in re.findall(r"[a-z]{3,}", s.lower())
            if w not in _ACK_STOP and w not in WORDS}


def _quoted_spans(ack: Acknowledgement, text: str) -> list[tuple[int, int]]:
    """Where the phrases an acknowledgement's reason quotes ("two shifts") stand in the text."""
    spans: list[tuple[int, int]] = []
    for m in _QUOTED.finditer(ack.reason):
        words = (m.group(1) or m.group(2)).split()
        if words:
            pattern = r"\s+".join(re.escape(w) for w in words)
            spans += [(o.start(), o.end()) for o in re.finditer(pattern, text, re.IGNORECASE)]
    return spans


def _ack_score(ack: Acknowledgement, spans: list[tuple[int, int]], tn: TextNumber, text: str) -> int:
    """How closely an acknowledgement's reason names this mention of its number: a phrase it
    quotes that covers the mention in the text (`spans`) counts 100, each word it shares with
    the words around the mention counts 1."""
    quoted = 100 if any(a <= tn.start and tn.end <= b for a, b in spans) else 0
    around = text[max(0, tn.start - _ACK_WINDOW):tn.end + _ACK_WINDOW]
    return quoted + len(_words(ack.reason) & _words(around))


def _ack_reasons(acknowledged: list[Acknowledgement], tns: list[TextNumber], text: str,
                 rep: GroundingReport) -> dict[int, str]:
    """The reason each text number is acknowledged with (by its index in `tns`).

    One acknowledgement of a number covers every mention of it, unless its reason quotes the
    words around some of them ("two shifts"): then it covers those (the stand-in's "two shifts"
    comment no longer silences "two types of fabrics"). Several acknowledgements of the
    same number (the text writes "two" twice, with two meanings) are matched each to the mention
    it names: by a phrase of the text it quotes around the mention ("two shifts"), else by the
    words it shares with the text around each mention, else in order (the k-th such comment to
    the k-th mention left). A mention left over takes the reason that names it best, or stays
    unacknowledged when none names it."""
    groups: dict[tuple[int, ...], list[Acknowledgement]] = {}
    for k, ack in enumerate(acknowledged):
        hits = _ack_matches(ack, tns)
        if not hits and not _written_in(ack.number, text):
            rep.bad_acknowledgements.append((k, ack))
        if hits:
            groups.setdefault(tuple(hits), []).append(ack)
    out: dict[int, str] = {}
    for hits, acks in groups.items():
        if len(acks) == 1 or len(hits) == 1:
            named = list(hits)
            if len(hits) > 1:  # one acknowledgement quoting "two shifts" names those mentions only
                spans = _quoted_spans(acks[0], text)
                named = [i for i in hits if any(a <= tns[i].start and tns[i].end <= b for a, b in spans)] or named
            for i in named:
                out.setdefault(i, acks[0].reason)
            continue
        spans = [_quoted_spans(ack, text) for ack in acks]
        score = {(a, i): _ack_score(ack, spans[a], tns[i], text) for a, ack in enumerate(acks) for i in hits}
        pairs = sorted((s, -a, -i) for (a, i), s in score.items() if s > 0)
        done_a: set[int] = set()
        for _s, na, ni in reversed(pairs):
            a, i = -na, -ni
            if a in done_a or i in out:
                continue
            out[i] = acks[a].reason
            done_a.add(a)
        rest = [i for i in hits if i not in out]
        for a in range(len(acks)):
            if a not in done_a and rest:
                out[rest.pop(0)] = acks[a].reason
                done_a.add(a)
        for i in rest:
            best = max(range(len(acks)), key=lambda a: (score[(a, i)], -a))
            if score[(best, i)] > 0:
                out[i] = acks[best].reason
    return out


def _written_in(number: str, text: str) -> bool:
    """True when `number` is written in `text` as it stands, e.g. "4-3" in "Table 4-3": a label or
    reference the text states, which the reader does not count as a number (so it is never
    demanded), but which a model may still acknowledge without being told it is not there."""
    words = re.sub(r"\s+", " ", number).strip().lower()
    if not words or not any(c.isdigit() for c in words):
        return False
    flat = re.sub(r"\s+", " ", text).lower()
    return re.search(r"(?<![\w.])" + re.escape(words) + r"(?![\w]|\.\d)", flat) is not None


_FRACTION_PARTS = re.compile(r"^(?:(a|one|two|three|four|[1-9])\s+)?(half|halves|third|thirds|quarter|quarters|"
                             r"fourths|fifths|tenths)$", re.IGNORECASE)
_DENOMINATOR_OF = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourths": 4,
                   "fifths": 5, "tenths": 10}
_NUMERATOR_OF = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4}


def _fraction_parts(tns: list[TextNumber]) -> list[tuple[int, set[float]]]:
    """The text's fraction words ("a third", "two fifths") a model number may stand for: (index,
    {denominator, numerator}), read once per text."""
    out = []
    for i, tn in enumerate(tns):
        m = _FRACTION_PARTS.match(re.sub(r"\s+", " ", tn.raw.strip()))
        if m and tn.demanded:
            num = m.group(1).lower() if m.group(1) else "a"
            out.append((i, {float(_DENOMINATOR_OF[m.group(2).lower()]),
                            float(num) if num.isdigit() else float(_NUMERATOR_OF[num])}))
    return out


def _quoted_denominators(tns: list[TextNumber], fractions: list[tuple[int, set[float]]], v: float,
                         quote: str | None) -> list[int]:
    """The fraction words that `quote` cites and whose denominator (or numerator) is `v`: a param
    of value 3 quoting "at most a third of" stands for that third, as `3 * g <= m` writes it."""
    if not quote or not fractions or v != int(v) or not 2 <= v <= 10:
        return []
    flat = re.sub(r"\s+", " ", quote).lower()
    return [i for i, parts in fractions if v in parts and _cites(flat, tns[i])]


def _cites(flat_quote: str, tn: TextNumber) -> bool:
    """Whether a quote cites this mention's words."""
    words = re.sub(r"\s+", " ", tn.raw).lower()
    return re.search(r"(?<![\w])" + re.escape(words) + r"(?!\w)", flat_quote) is not None


def ground(model: Model, text: str) -> GroundingReport:
    """Ground every number of `model` against `text`, and list the text's unused numbers."""
    scalars = _scalar_values(model)
    used_names = referenced_names(model)
    derivs: dict[str, list[Derivation]] = {}
    for name, p in model.params.items():
        if used_names is not None and name not in used_names:
            continue
        ds = derivations(p.source, {k: v for k, v in scalars.items() if k != name})
        if ds:
            derivs[name] = ds
    structural, top = _structural_values(model)
    return ground_numbers(text, model_numbers(model, used_names), structural=structural, top=top,
                          derivs=derivs, acknowledged=model.acknowledged,
                          range_fits=lambda mn: _range_fits_data(model, mn),
                          modelling=lambda mn: modelling_reason(model.params[mn.param].source)
                          if mn.param in model.params else None,
                          quoted=lambda mn: model.params[mn.param].source if mn.param in model.params else None)


def ground_numbers(text: str, numbers: list[ModelNumber], *, structural: np.ndarray | None = None,
                   top: float = 0.0, derivs: dict[str, list[Derivation]] | None = None,
                   acknowledged: list[Acknowledgement] = (), evidence: np.ndarray | None = None,
                   range_fits: Any = None, modelling: Any = None, quoted: Any = None) -> GroundingReport:  # type: ignore[assignment]
    """The grounding core, for any source of numbers (a formal model, a program's literals).

    `numbers`: what the source writes (see ModelNumber.kind; `stop` is an exclusive range end,
    Python's `range(1, 6)` for "five"); `structural`: numbers it uses without writing them (set
    sizes, integer elements) and `top` the largest index position; `derivs`: stated derivations
    by param; `evidence`: numbers the built model holds (a program's harvested coefficients and
    bounds): each covers a text number equal to it, never grounds anything; `range_fits(mn)`:
    True when a set range's size is fixed by data the source copies; `modelling(mn)`: the reason
    the source declares a number its own (not grounded, listed), or None; `quoted(mn)`: the text
    the source quotes for it (a param's `source`), or None: a number equal to the denominator of a
    fraction word it quotes ("at most a third of" written `3 * g <= m`) grounds that word."""
    tns = text_numbers(text)
    rep = GroundingReport(text=text, text_numbers=tns)
    m = _Matcher(text, tns)
    fractions = _fraction_parts(tns) if quoted is not None else []
    used = [False] * len(tns)
    derivs = derivs or {}
    if structural is None:
        structural = np.empty(0)

    def use(idx: list[int]) -> None:
        for i in idx:
            used[i] = True

    # stated derivations of the params the model uses
    for name, ds in derivs.items():
        for d in ds:
            if not d.ok:
                shown = ", ".join(fmt(c) for c in d.wrong)
                rep.wrong_derivations.append(WrongDerivation(
                    name, d, f"the derivation \"{d.text}\" is wrong: {d.expr} = {fmt(d.value)}, not {shown}"))
            for op in d.operands:
                if op.exponent or op.param is not None or op.value in TRIVIAL:
                    continue
                got = m.direct(op.value)
                if got is not None:
                    use(got[1])
                elif op.value not in m.conversions:
                    rep.bad_operands.append(BadOperand(name, d, op))

    for mn in numbers:
        v = mn.value
        den = _quoted_denominators(tns, fractions, v, quoted(mn) if quoted is not None else None)
        if den:
            use(den)
            rep.matches.append(Match(mn, "denominator", tuple(tns[i] for i in den)))
            continue
        got = m.direct(v)
        if got is not None and (mn.kind != "position" or got[0] in ("exact", "reading")):
            use(got[1])
            rep.matches.append(Match(mn, got[0], tuple(tns[i] for i in got[1])))
            continue
        if v in TRIVIAL:
            rep.matches.append(Match(mn, "trivial"))
            continue
        own = modelling(mn) if modelling is not None else None
        if own is not None:
            rep.matches.append(Match(mn, "modelling"))
            rep.modelling.append((mn, own))
            continue
        if mn.kind == "position" and v == int(v) and abs(v) <= top + 1:
            rep.matches.append(Match(mn, "position"))
            continue
        ds = derivs.get(mn.param or "", [])
        d = next((d for d in ds if d.ok and same_number(d.value, v)), None)
        if d is not None:
            rep.matches.append(Match(mn, "derived", derivation=d))
            continue
        if any(same_number(c, v) for x in ds for c in x.wrong):
            continue  # the value is the wrong claimed result, already reported with its derivation
        if any(x.stated for x in ds) and mn.param is not None:
            # a derivation introduced as this value's ("derived: ...") must give it; arithmetic
            # in the prose of a quote that gives another number is not a claim about the value
            shown = "; ".join(f"{x.expr} = {fmt(x.value)}" for x in ds)
            rep.wrong_derivations.append(WrongDerivation(
                mn.param, ds[0], f"the value {fmt(v)} does not follow from the stated derivation: {shown}"))
            continue
        if v in m.conversions:
            rep.matches.append(Match(mn, "conversion"))
            continue
        if mn.kind == "range" and range_fits is not None and range_fits(mn):
            rep.matches.append(Match(mn, "data-length"))
            continue
        if mn.kind in ("range", "stop") and v == int(v):
            # 0-based: "24 hours" as hours 0..23; an exclusive end: range(1, 6) for "five"
            step = 1 if mn.kind == "range" else -1
            near = m.direct(v + step)
            if near is not None:
                use(near[1])
                rep.matches.append(Match(mn, "zero-based" if step == 1 else "exclusive-end",
                                         tuple(tns[i] for i in near[1])))
                continue
            if mn.kind == "stop" and abs(v) <= top + 1:
                rep.matches.append(Match(mn, "position"))
                continue
        if mn.kind == "position" and got is not None:
            use(got[1])
            rep.matches.append(Match(mn, got[0], tuple(tns[i] for i in got[1])))
            continue
        op = m.one_operation(v)
        if op is not None:
            use(op[1])
            rep.unstated.append(Unstated(mn, op[0], tuple(tns[i] for i in op[1])))
            continue
        rep.ungrounded.append(mn)

    # structure and data the model takes from elsewhere also use text numbers: set sizes
    # ("five workers"), integer elements, counts of variables ("two types"), file data; and a
    # program's built model (its coefficients and bounds) uses the numbers it holds
    for pool, words_too in ((structural, False), (evidence, True)):
        if pool is None or not pool.size:
            continue
        for i, tn in enumerate(tns):
            if used[i] or (not words_too and tn.raw.lower() in _MULTIPLIER_WORDS):  # "twice" is no count
                continue
            readings = (tn.value,) if not words_too else (*tn.values, *((tn.value / 100,) if tn.percent else ()))
            if any(np.any(np.isclose(pool, r, rtol=1e-9, atol=1e-12)) for r in readings):
                used[i] = True

    acked = _ack_reasons(list(acknowledged), tns, text, rep)
    rep.used_text_numbers = sum(used)
    for i, tn in enumerate(tns):
        if used[i] or not tn.demanded or tn.value in TRIVIAL:
            continue
        if i in acked:
            rep.acknowledged.append((tn, acked[i]))
        else:
            rep.unused.append(tn)
    return rep
