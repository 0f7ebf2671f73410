"""Money in two scales added together: a unit check over the text around the model's numbers.

A text that gives fixed costs "in 10^4 yuan" and transport costs in yuan asks for one of them to
be converted; an objective `sum(fixed[i] * open[i]) + sum(cost[i, j] * ship[i, j])` adds the
two as they stand (the recorded label did exactly that). This check reads the money unit of
every text number — the currency and its scale, from the words right after it ("200 yuan",
"5 (10^4 yuan)", "3 thousand dollars"), a sign before it ("$300", "¥40"), or a unit stated
earlier in the same sentence ("costs, in $100,000: S1 5, S2 4", "(unit: 10,000 yuan): 5, 6") —
follows each grounded model number to its text number (so the scale the model writes the number
in is known: "$1000K" written 1000 is in thousands), and reports a sum whose terms carry the same
currency in scales a factor of 10 or more apart with no conversion factor in between
(`mixed-units`, advice), located at the objective or constraint.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from formalize.verify.grounding import GroundingReport, Match
from formalize.verify.text_numbers import TextNumber
from solvers.diagnostics import Diagnostic, Location
from solvers.expr import Agg, BinOp, Index, Name, Neg, Node, Num, parse_expr
from solvers.model import Model

_CURRENCY = {
    "yuan": "yuan", "rmb": "yuan", "cny": "yuan", "¥": "yuan", "元": "yuan",
    "dollar": "$", "dollars": "$", "usd": "$", "$": "$", "cent": "$", "cents": "$",
    "euro": "€", "euros": "€", "eur": "€", "€": "€",
    "pound": "£", "pounds": "£", "gbp": "£", "£": "£",
    "yen": "yen", "jpy": "yen", "won": "won", "rupee": "rupee", "rupees": "rupee", "inr": "rupee",
}
_CENTS = {"cent", "cents"}
_SCALE = (r"(?:10\s*(?:\^|\*\*)\s*\{?(?P<pow>\d+)\}?|10(?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹]+)|(?P<big>\d{1,3}(?:,\d{3})+|1000+)"
          r"|(?P<word>ten\s+thousand|hundred\s+thousand|hundred|thousands?|millions?|billions?)|(?P<k>[kKmM])\b)")
_CUR = r"(?P<cur>yuan|rmb|cny|dollars?|usd|cents?|euros?|eur|pounds?|gbp|yen|jpy|won|rupees?|inr|[$¥€£元])"
_AFTER = re.compile(rf"\s*\(?\s*(?:of\s+)?(?:{_SCALE}\s*(?:of\s+)?)?{_CUR}", re.IGNORECASE)
_BEFORE_SIGN = re.compile(r"(?P<cur>[$¥€£])\s*$")
_HEADER = re.compile(rf"(?:\bin\s+|\bunit\s*:?\s*|\bunits\s+of\s+|\(\s*)(?:{_SCALE}\s*(?:of\s+)?)?{_CUR}",
                     re.IGNORECASE)
_LIST_RUN = re.compile(r"(?:\s*(?:,|and|or|&)\s*(?:and\s+)?[-−]?\d[\d,]*(?:\.\d+)?)+")
_HEADER_SIGN = re.compile(r"\bin\s+(?P<cur>[$¥€£])\s*(?P<big>\d{1,3}(?:,\d{3})+|\d+)")
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_WORD_SCALE = {"hundred": 1e2, "thousand": 1e3, "thousands": 1e3, "ten thousand": 1e4, "hundred thousand": 1e5,
               "million": 1e6, "millions": 1e6, "billion": 1e9, "billions": 1e9}


@dataclass(frozen=True)
class Money:
    """A currency and the scale a number is written in (1e4 for "10^4 yuan")."""

    currency: str
    scale: float

    def __str__(self) -> str:
        if self.scale == 1:
            return self.currency
        exp = math.log10(self.scale)
        s = f"10^{exp:.0f}" if abs(exp - round(exp)) < 1e-9 else f"{self.scale:g}"
        return f"{s} {self.currency}"


def _scale_of(m: re.Match) -> float:
    if m.group("pow"):
        return 10.0 ** int(m.group("pow"))
    if m.group("sup"):
        return 10.0 ** int(m.group("sup").translate(_SUP))
    if m.group("big"):
        return float(m.group("big").replace(",", ""))
    if m.group("word"):
        return _WORD_SCALE.get(re.sub(r"\s+", " ", m.group("word").lower()), 1.0)
    if m.group("k"):
        return 1e3 if m.group("k").lower() == "k" else 1e6
    return 1.0


def _money(m: re.Match) -> Money:
    cur = m.group("cur").lower()
    scale = _scale_of(m) * (0.01 if cur in _CENTS else 1.0)
    return Money(_CURRENCY.get(cur, cur), scale)


def text_money(text: str, tns: list[TextNumber]) -> dict[int, Money]:
    """The money unit of each text number that has one (by its index in `tns`)."""
    out: dict[int, Money] = {}
    for i, tn in enumerate(tns):
        sign = _BEFORE_SIGN.search(text, max(0, tn.start - 3), tn.start)
        after = _AFTER.match(text, tn.end)
        if after is None or after.end() - tn.end > 28:
            # the unit after the list the number opens: "5, 6 and 4 (10^4 yuan)"
            run = _LIST_RUN.match(text, tn.end)
            after = _AFTER.match(text, run.end()) if run and not sign else None
            if after is not None and after.end() - run.end() > 28:  # type: ignore[union-attr]
                after = None
        if sign and (after is None or after.group("cur") in "$¥€£"):
            out[i] = Money(_CURRENCY[sign.group("cur")], 1.0)
            continue
        if after is not None:
            out[i] = _money(after)
            continue
        # a unit stated earlier in the sentence: "costs, in $100,000: S1 5, S2 4", "(yuan): 200"
        head = text[max(0, tn.start - 200):tn.start]
        cut = max(head.rfind("."), head.rfind("\n\n"), head.rfind(";"))
        head = head[cut + 1:] if cut >= 0 else head
        hits = sorted([*_HEADER.finditer(head), *_HEADER_SIGN.finditer(head)], key=lambda h: h.end())
        if hits:
            h = hits[-1]
            between = head[h.end():]
            if ":" in between or not re.search(r"\d", between):
                out[i] = (_money(h) if h.re is _HEADER else
                          Money(_CURRENCY[h.group("cur")], float(h.group("big").replace(",", ""))))
    return out


def _terms(node: Node) -> list[Node]:
    """The additive terms of an expression (through + and -, and inside sum(...))."""
    if isinstance(node, BinOp) and node.op in "+-":
        return _terms(node.left) + _terms(node.right)
    if isinstance(node, Neg):
        return _terms(node.operand)
    if isinstance(node, Agg) and node.func == "sum":
        return _terms(node.body)
    return [node]


def _factors(node: Node) -> list[tuple[Node, int]]:
    """Multiplicative factors with their power (+1 multiplies, -1 divides)."""
    if isinstance(node, BinOp) and node.op == "*":
        return _factors(node.left) + _factors(node.right)
    if isinstance(node, BinOp) and node.op == "/":
        return _factors(node.left) + [(f, -p) for f, p in _factors(node.right)]
    if isinstance(node, Neg):
        return _factors(node.operand)
    return [(node, 1)]


def _pow10(v: float) -> bool:
    if v <= 0:
        return False
    e = math.log10(v)
    return abs(e - round(e)) < 1e-9 and round(e) != 0


def mixed_units(model: Model, text: str, rep: GroundingReport) -> list[Diagnostic]:
    """`mixed-units` advice for each sum (the objective, each constraint) whose terms carry one
    currency in scales a factor of 10 or more apart."""
    units = text_money(text, rep.text_numbers)
    if not units:
        return []
    index = {id(t): i for i, t in enumerate(rep.text_numbers)}
    per_param: dict[str, Counter] = {}
    for mt in rep.matches:
        p = mt.number.param
        if p is None or not mt.text:
            continue
        got = _model_money(mt, units, index)
        if got is not None:
            per_param.setdefault(p, Counter())[got] += 1
    param_money = {p: c.most_common(1)[0][0] for p, c in per_param.items() if len(c) == 1}
    scalars = {n: p.value for n, p in model.params.items() if p.value is not None and not p.index}
    out: list[Diagnostic] = []
    exprs: list[tuple[str, Location]] = []
    if model.objective:
        exprs.append((model.objective, Location(section="objective", field="expr")))
    exprs += [(c.expr, Location(section="constraints", item=c.name, field="expr")) for c in model.constraints]
    for src, loc in exprs:
        try:
            node = parse_expr(src)
        except Exception:  # reported by the static checks
            continue
        seen: dict[str, tuple[float, str]] = {}
        for part in _sides(node):
            for term in _terms(part):
                money, factor, names = None, 1.0, []
                for f, power in _factors(term):
                    base = f.base if isinstance(f, Index) else (f.id if isinstance(f, Name) else None)
                    if base in param_money and money is None:
                        money, names = param_money[base], [base]
                    elif isinstance(f, Num) and _pow10(f.value):
                        factor *= f.value ** power
                    elif base in scalars and base not in param_money and _pow10(float(scalars[base])):
                        factor *= float(scalars[base]) ** power
                if money is None:
                    continue
                scale = money.scale / factor  # 10000 * f with f in 10^4 yuan is in yuan
                prev = seen.get(money.currency)
                if prev is None:
                    seen[money.currency] = (scale, names[0])
                    continue
                ratio = max(scale, prev[0]) / min(scale, prev[0])
                if ratio >= 10 - 1e-9:
                    a, b = (prev[1], names[0])
                    out.append(Diagnostic(
                        "mixed-units",
                        f"this sum adds {a} (in {Money(money.currency, prev[0])}) and {b} (in "
                        f"{Money(money.currency, scale)}) as they stand: a factor of {ratio:g} between their units",
                        severity="warning", location=loc,
                        hint=f"convert one of them (multiply the {Money(money.currency, max(scale, prev[0]))} "
                             f"term by {ratio:g}), or check the units the text gives"))
                    break
            else:
                continue
            break
    return out


def _sides(node: Node) -> list[Node]:
    from solvers.expr import Compare

    if isinstance(node, Compare):
        return list(node.operands)
    return [node]


def _model_money(mt: Match, units: dict[int, Money], index: dict[int, int]) -> Money | None:
    """The unit the model writes a number in: the text's unit, rescaled by how the model reads it
    ("$1000K" is 10^6 dollars; written 1000 it is in thousands). None when the number is no
    amount of money (a complement 1 + p is a factor) or its mentions disagree."""
    if mt.how not in ("exact", "reading", "rounded", "scaled") or mt.number.value == 0:
        return None
    found = set()
    for tn in mt.text:
        i = index.get(id(tn))
        if i is not None and i in units:
            u = units[i]
            found.add(Money(u.currency, float(f"{u.scale * abs(tn.value / mt.number.value):.12g}")))
    return found.pop() if len(found) == 1 else None
