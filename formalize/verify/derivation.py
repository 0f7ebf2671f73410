"""Stated derivations: the arithmetic a param's `source` gives for a number the text does not state.

`"source": "derived: 5 - 1 = 4 (these five grades…)"` states that the value is 5 − 1, and claims it
is 4. The arithmetic is read out of the prose around it (the parenthesis after it is prose, not a
group), evaluated exactly (fractions for + − × ÷, integer powers and floor division; floats only
for sqrt and fractional powers), and every claimed result is compared with the computed one. Its
operands may be digits ("1,200", "20%", "8.99e-04"), number words ("five") or the names of scalar
params; the grounding checks that each operand is a number of the text.

A derivation is recognized in a segment (split at ";" and line breaks) that says so — "derived",
"computed", "calculated", "derivation" — or that writes an equation ("2 * 30 = 60", "= 2 * 30").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

from formalize.verify.text_numbers import _COMPOUND_RE, WORDS

Value = Fraction | float


@dataclass(frozen=True)
class Operand:
    """A number a derivation uses: its value, how it is written, and the param it names (if any)."""

    value: float
    raw: str
    param: str | None = None
    exponent: bool = False  # the 2 of "** 2": part of the operation, not data


@dataclass(frozen=True)
class Derivation:
    """One stated derivation: its arithmetic, the computed value, the claimed results."""

    text: str  # the arithmetic as written ("5 - 1 = 4")
    expr: str  # the computed part ("5 - 1")
    value: float
    claimed: tuple[float, ...] = ()  # what the source says it equals ("= 4")
    operands: tuple[Operand, ...] = field(default_factory=tuple)
    wrong: tuple[float, ...] = ()  # claimed results that do not equal the computed value
    stated: bool = True  # introduced as the value's derivation ("derived: ..."), not prose arithmetic

    @property
    def ok(self) -> bool:
        return not self.wrong


_KEYWORD = re.compile(r"\b(?:derived|derivation|computed|calculated|calculation)\b", re.IGNORECASE)
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?%?"
_TOKEN = re.compile(
    rf"(?P<ws>\s+)|(?P<num>{_NUMBER})|(?P<op>\*\*|//|[-+*/^×÷·−–=(),])|"
    r"(?P<word>[^\W\d]\w*)|(?P<other>.)", re.UNICODE)
_FUNCS = {"sqrt", "min", "max", "abs", "round", "floor", "ceil"}
_OP_WORDS = {"times": "*", "plus": "+", "minus": "-", "x": "*"}
_OPS = {"×": "*", "·": "*", "÷": "/", "^": "**", "−": "-", "–": "-"}
MAX_SOURCE = 4000


def derivations(source: str | None, scalars: dict[str, float] | None = None) -> list[Derivation]:
    """Every derivation stated in `source`; `scalars` are the scalar params an operand may name."""
    if not source:
        return []
    scalars = scalars or {}
    out: list[Derivation] = []
    for seg in re.split(r"[;\n]", _COMPOUND_RE.sub(_compound_digits, source[:MAX_SOURCE])):
        keyword = _KEYWORD.search(seg)
        start = keyword.end() if keyword else 0
        for run in _runs(seg[start:], scalars):
            i = 0
            while i < len(run):  # "10 // 3 = 3, (10 - 4) // 3 = 2": one derivation after another
                got = _parse_run(run[i:], scalars, require_equation=keyword is None)
                if got is None:
                    i += 1
                    continue
                d, used = got
                out.append(d if keyword is not None else replace(d, stated=False))
                i += used
    return out


def _compound_digits(m: re.Match) -> str:
    """"twenty-five" → "25", "five hundred" → "500" (so the hyphen is not a minus)."""
    if m.group("tens") is None and m.group("mult") is None:
        return m.group()
    head = m.group("base") or m.group("tens")
    v = WORDS[head.lower()] + (WORDS[m.group("unit").lower()] if m.group("unit") else 0)
    if m.group("mult"):
        v *= WORDS[m.group("mult").lower()]
    return str(int(v))


def _runs(text: str, scalars: dict[str, float]) -> list[list[tuple[str, str]]]:
    """Maximal runs of arithmetic tokens (kind, text); prose words break a run."""
    runs: list[list[tuple[str, str]]] = [[]]
    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup or "other", m.group()
        if kind == "ws":
            continue
        if kind == "word":
            low = tok.lower()
            if low in WORDS and low not in ("once", "half", "double", "twice", "triple", "thrice",
                                            "quarter", "third"):
                kind = "num"
            elif low in _OP_WORDS and runs[-1] and runs[-1][-1][0] in ("num", "name", "close"):
                kind, tok = "op", _OP_WORDS[low]
            elif low in _FUNCS:
                kind = "func"
            elif tok in scalars:
                kind = "name"
            else:
                runs.append([])
                continue
        elif kind == "op":
            tok = _OPS.get(tok, tok)
            if tok == ")":
                kind = "close"
        elif kind == "other":
            runs.append([])
            continue
        runs[-1].append((kind, tok))
    return [r for r in runs if r]


def _parse_run(run: list[tuple[str, str]], scalars: dict[str, float],
               require_equation: bool) -> tuple[Derivation, int] | None:
    """The longest prefix of `run` that reads as `expr (= expr)*` with an operator in it, and how
    many tokens it takes."""
    for end in range(len(run), 0, -1):
        toks = run[:end]
        # a leading "=" ("= 2 * 30") states the value of the param itself
        lead_eq = toks[0] == ("op", "=")
        body = toks[1:] if lead_eq else toks
        parts: list[list[tuple[str, str]]] = [[]]
        for t in body:
            if t == ("op", "="):
                parts.append([])
            else:
                parts[-1].append(t)
        if any(not p for p in parts):
            continue
        if require_equation and not lead_eq and len(parts) < 2:
            continue
        try:
            parsed = [_Parser(p, scalars).parse() for p in parts]
        except _NotArithmetic:
            continue
        first, first_ops = parsed[0]
        if first_ops is None:
            continue  # "= 4" alone, or a bare number: nothing is derived
        value = float(first.value)
        if not math.isfinite(value):
            return None
        claimed = tuple(float(v.value) for v, _ in parsed[1:])
        wrong = tuple(c for c in claimed if not same_number(value, c))
        text = " ".join(t for _, t in toks)
        expr = " ".join(t for _, t in parts[0])
        ops = tuple(o for _, operands in parsed[:1] for o in (operands or ()))
        return Derivation(text=_tidy(text), expr=_tidy(expr), value=value, claimed=claimed,
                          operands=ops, wrong=wrong), end
    return None


def _tidy(s: str) -> str:
    s = re.sub(r"\b(sqrt|min|max|abs|round|floor|ceil) \(", r"\1(", s)
    return re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", re.sub(r"\s+,", ",", s)))


def same_number(computed: float, written: float) -> bool:
    """True when `written` is `computed`, exactly or rounded to the decimals it is written with."""
    if math.isclose(computed, written, rel_tol=1e-9, abs_tol=1e-12):
        return True
    if not math.isfinite(written) or written == 0:
        return False
    text = repr(float(written))
    if "e" in text:
        return False
    decimals = len(text.split(".")[1].rstrip("0")) if "." in text else 0
    if decimals == 0:
        return False  # an integer is never a rounding of a non-integer
    return abs(computed - written) <= 0.5 * 10 ** -decimals + 1e-12 and abs(written) >= 10 ** -decimals


class _NotArithmetic(Exception):
    pass


@dataclass
class _Num:
    value: Value


class _Parser:
    """Recursive descent over tokens: + - ; * / // ; unary - ; ** (right); atoms and calls."""

    def __init__(self, toks: list[tuple[str, str]], scalars: dict[str, float]):
        self.toks, self.i, self.scalars = toks, 0, scalars
        self.operands: list[Operand] = []
        self.has_op = False

    def parse(self) -> tuple[_Num, list[Operand] | None]:
        v = self.sum()
        if self.i != len(self.toks):
            raise _NotArithmetic
        return v, (self.operands if self.has_op else None)

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        t = self.peek()
        if t is None:
            raise _NotArithmetic
        self.i += 1
        return t

    def sum(self) -> _Num:
        v = self.product()
        while (t := self.peek()) is not None and t[0] == "op" and t[1] in "+-" and len(t[1]) == 1:
            self.take()
            self.has_op = True
            r = self.product()
            v = _Num(v.value + r.value if t[1] == "+" else v.value - r.value)
        return v

    def product(self) -> _Num:
        v = self.unary()
        while (t := self.peek()) is not None and t[0] == "op" and t[1] in ("*", "/", "//"):
            self.take()
            self.has_op = True
            r = self.unary()
            if t[1] == "*":
                v = _Num(v.value * r.value)
            else:
                if r.value == 0:
                    raise _NotArithmetic
                v = _Num(v.value / r.value if t[1] == "/" else Fraction(math.floor(v.value / r.value)))
        return v

    def unary(self) -> _Num:
        t = self.peek()
        if t == ("op", "-"):
            self.take()
            return _Num(-self.unary().value)
        if t == ("op", "+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> _Num:
        base = self.atom()
        if self.peek() == ("op", "**"):
            self.take()
            self.has_op = True
            n = len(self.operands)
            exp = self.unary()
            self.operands[n:] = [Operand(o.value, o.raw, o.param, exponent=True) for o in self.operands[n:]]
            e = exp.value
            if isinstance(e, Fraction) and e.denominator == 1 and abs(e) <= 64 and isinstance(base.value, Fraction):
                if base.value == 0 and e < 0:
                    raise _NotArithmetic
                return _Num(base.value ** int(e))
            try:
                return _Num(float(base.value) ** float(e))
            except (OverflowError, ZeroDivisionError, ValueError):
                raise _NotArithmetic from None
        return base

    def atom(self) -> _Num:
        kind, tok = self.take()
        if kind == "num":
            v = _number(tok)
            self.operands.append(Operand(float(v), tok))
            return _Num(v)
        if kind == "name":
            v = self.scalars[tok]
            self.operands.append(Operand(float(v), tok, param=tok))
            return _Num(Fraction(v).limit_denominator(10**12) if math.isfinite(v) else v)
        if kind == "op" and tok == "(":
            v = self.sum()
            if self.take() != ("close", ")"):
                raise _NotArithmetic
            return v
        if kind == "func":
            if self.take() != ("op", "("):
                raise _NotArithmetic
            args = [self.sum()]
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.sum())
            if self.take() != ("close", ")"):
                raise _NotArithmetic
            self.has_op = True
            return _Num(_call(tok, [a.value for a in args]))
        raise _NotArithmetic


def _number(tok: str) -> Fraction:
    if tok.lower() in WORDS:
        return Fraction(WORDS[tok.lower()]).limit_denominator(1000)
    pct = tok.endswith("%")
    v = Fraction(tok.rstrip("%").replace(",", ""))
    return v / 100 if pct else v


def _call(func: str, args: list[Value]) -> Value:
    if func in ("min", "max"):
        return (min if func == "min" else max)(args)
    if len(args) != 1:
        raise _NotArithmetic
    a = args[0]
    if func == "abs":
        return abs(a)
    if func == "sqrt":
        if a < 0:
            raise _NotArithmetic
        r = math.isqrt(int(a)) if isinstance(a, Fraction) and a.denominator == 1 else None
        return Fraction(r) if r is not None and r * r == a else math.sqrt(float(a))
    if func == "floor":
        return Fraction(math.floor(a))
    if func == "ceil":
        return Fraction(math.ceil(a))
    return Fraction(round(a))  # round
