"""Readable renderings of a model: LaTeX (for notebooks and papers) and plain text."""

from __future__ import annotations

import re

from .expr import (
    Agg,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Gen,
    IfExp,
    Index,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Ord,
    ParamKeys,
    SetComp,
    SetEnd,
    SetOp,
    SetRef,
    Step,
    Str,
    Tuple,
    parse_expr,
    parse_forall,
    parse_set_expr,
)
from .model import Model, load_model
from .safe_text import safe_line

_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "**": 8, "atom": 9}
_CMP_TEX = {"<=": r"\le", ">=": r"\ge", "==": "=", "<": "<", ">": ">", "!=": r"\ne", "in": r"\in", "not in": r"\notin"}


def _num(v: float) -> str:
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)


_TEXT_ESC = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "#": r"\#",
             "%": r"\%", "&": r"\&", "$": r"\$", "^": r"\^{}", "~": r"\~{}"}


def _tex_text(s: str) -> str:
    """Text for `\\text{...}`: LaTeX's special characters escaped, control characters shown."""
    return "".join(_TEXT_ESC.get(ch, ch) for ch in safe_line(s))


def _tex_id(name: str) -> str:
    """Identifiers: single letters italic, longer names upright, underscores escaped."""
    if len(name) == 1:
        return name
    m = re.fullmatch(r"([A-Za-z])_?(\d+)", name)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    return r"\mathrm{" + _tex_text(name) + "}"


class _Tex:
    def __init__(self, model: Model):
        self.sets = set(model.sets)

    def prec(self, n: Node) -> int:
        if isinstance(n, BinOp):
            return _PREC[n.op]
        if isinstance(n, Neg):
            return _PREC["neg"]
        if isinstance(n, Compare):
            return _PREC["cmp"]
        if isinstance(n, BoolOp):
            return _PREC[n.op]
        if isinstance(n, Not):
            return _PREC["not"]
        return _PREC["atom"]

    def wrap(self, n: Node, p: int) -> str:
        s = self.tex(n)
        return rf"\left({s}\right)" if self.prec(n) < p else s

    def set_name(self, name: str) -> str:
        """A declared set: calligraphic when its name is one letter, else upright."""
        return r"\mathcal{" + name + "}" if name in self.sets and len(name) == 1 else _tex_id(name)

    def set_tex(self, s: SetRef) -> str:
        if not isinstance(s, SetRef):  # set algebra inside a set definition
            return self.tex(s)
        if s.name:
            return self.set_name(s.name)
        return rf"\{{{self.tex(s.lo)},\dots,{self.tex(s.hi)}-1\}}"  # type: ignore[arg-type]

    def gens(self, gens: tuple[Gen, ...]) -> str:
        parts = []
        for g in gens:
            t = ",".join(_tex_id(x) for x in g.targets)
            if len(g.targets) > 1:
                t = f"({t})"
            s = f"{t} \\in {self.set_tex(g.over)}"
            if g.conds:
                s += r" : " + r" \wedge ".join(self.tex(c) for c in g.conds)
            parts.append(s)
        return ",\\ ".join(parts)

    def tex(self, n: Node) -> str:
        if isinstance(n, Num):
            return _num(n.value)
        if isinstance(n, Str):
            return r"\text{" + _tex_text(n.value) + "}"
        if isinstance(n, Name):
            return _tex_id(n.id)
        if isinstance(n, Index):
            return f"{_tex_id(n.base)}_{{{','.join(self.tex(a) for a in n.args)}}}"
        if isinstance(n, Tuple):
            return "(" + ",".join(self.tex(e) for e in n.elts) + ")"
        if isinstance(n, BinOp):
            p = _PREC[n.op]
            if n.op == "/":
                return rf"\frac{{{self.tex(n.left)}}}{{{self.tex(n.right)}}}"
            if n.op == "**":
                return f"{{{self.wrap(n.left, p + 1)}}}^{{{self.tex(n.right)}}}"
            if n.op == "*":
                return f"{self.wrap(n.left, p)} \\cdot {self.wrap(n.right, p + 1)}"
            right = self.wrap(n.right, p + 1)
            return f"{self.wrap(n.left, p)} {n.op} {right}"
        if isinstance(n, Neg):
            return "-" + self.wrap(n.operand, _PREC["neg"])
        if isinstance(n, Compare):
            out = self.tex(n.operands[0])
            for op, r in zip(n.ops, n.operands[1:]):
                out += f" {_CMP_TEX[op]} " + (self.set_tex(r) if isinstance(r, SetRef) else self.tex(r))
            return out
        if isinstance(n, BoolOp):
            sym = r" \;\vee\; " if n.op == "or" else r" \;\wedge\; "
            return sym.join(self.wrap(v, _PREC[n.op] + 1) for v in n.values)
        if isinstance(n, Not):
            return r"\neg " + self.wrap(n.operand, _PREC["not"])
        if isinstance(n, IfExp):
            return rf"\begin{{cases}}{self.tex(n.then)} & {self.tex(n.cond)}\\ {self.tex(n.orelse)} & \text{{otherwise}}\end{{cases}}"
        if isinstance(n, Agg):
            body = self.wrap(n.body, _PREC["+"] + 1)
            if n.func == "sum":
                return rf"\sum_{{{self.gens(n.gens)}}} {body}"
            if n.func == "prod":
                return rf"\prod_{{{self.gens(n.gens)}}} {body}"
            if n.func in ("min", "max"):
                return rf"\{n.func}_{{{self.gens(n.gens)}}} {body}"
            return rf"\mathrm{{alldifferent}}\left({self.tex(n.body)} : {self.gens(n.gens)}\right)"
        if isinstance(n, Call):
            if n.func == "abs":
                return rf"\left|{self.tex(n.args[0])}\right|"
            if n.func == "len":
                return rf"\left|{self.set_tex(n.args[0])}\right|"  # type: ignore[arg-type]
            if n.func == "implies":
                return f"{self.wrap(n.args[0], 5)} \\;\\Rightarrow\\; {self.wrap(n.args[1], 5)}"
            if n.func in ("min", "max"):
                return rf"\{n.func}\left({', '.join(self.tex(a) for a in n.args)}\right)"
            if n.func == "sqrt":
                return rf"\sqrt{{{self.tex(n.args[0])}}}"
            if n.func in ("exp", "log"):
                return rf"\{'exp' if n.func == 'exp' else 'ln'}\left({self.tex(n.args[0])}\right)"
            return rf"\mathrm{{alldifferent}}\left({', '.join(self.tex(a) for a in n.args)}\right)"
        if isinstance(n, SetRef):
            return self.set_tex(n)
        if isinstance(n, SetEnd):
            return rf"\operatorname{{{n.kind}}}\left({self.set_tex(n.over)}\right)"
        if isinstance(n, Ord):
            extra = f", {self.set_tex(n.over)}" if n.over is not None else ""
            return rf"\operatorname{{ord}}\left({self.tex(n.arg)}{extra}\right)"
        if isinstance(n, Step):
            extra = f", {self.set_tex(n.over)}" if n.over is not None else ""
            name = n.kind + (r"^{\circ}" if n.wrap else "")
            return rf"\operatorname{{{name}}}\left({self.tex(n.arg)}{extra}\right)"
        if isinstance(n, SetOp):
            op = {"|": r"\cup", "&": r"\cap", "-": r"\setminus", "*": r"\times"}[n.op]
            return f"{self.set_expr(n.left)} {op} {self.set_expr(n.right)}"
        if isinstance(n, ParamKeys):
            return rf"\operatorname{{keys}}\left({_tex_id(n.param)}\right)"
        if isinstance(n, SetComp) and n.elts is None:
            return rf"\left\{{{self.gens(n.gens)}\right\}}"
        if isinstance(n, SetComp):
            head = ",".join(self.tex(e) for e in n.elts) if n.elts is not None else \
                ",".join(_tex_id(t) for g in n.gens for t in g.targets)
            if (n.elts is not None and len(n.elts) > 1) or (n.elts is None and sum(len(g.targets) for g in n.gens) > 1):
                head = f"({head})"
            return rf"\left\{{{head} : {self.gens(n.gens)}\right\}}"
        return "?"

    def set_expr(self, n: Node) -> str:
        s = self.tex(n)
        return rf"\left({s}\right)" if isinstance(n, SetOp) else s


def to_latex(model) -> str:
    """The model as a LaTeX `align*` block: objective, constraints with their forall, domains.

    Columns: the objective or "s.t.", the expression, its forall, the constraint's name."""
    m = model if isinstance(model, Model) else load_model(model)
    t = _Tex(m)
    lines = []
    if m.is_feasibility:
        lines.append(r"\text{find} \quad & " + ",\\ ".join(_tex_id(v) for v in m.variables) + r" \\")
    else:
        sense = r"\min" if m.sense == "minimize" else r"\max"
        lines.append(rf"{sense} \quad & {t.tex(parse_expr(m.objective or '0'))} \\")
    lead = r"\text{s.t.} \quad"
    lines.extend(_definitions_tex(t, m))
    for c in m.constraints:
        try:
            body = t.tex(parse_expr(c.expr))
            quant = ""
            if c.forall:
                quant = r" & \forall " + t.gens(parse_forall(c.forall))
        except Exception:  # a model under repair may not parse: show it verbatim
            body = r"\text{" + _tex_text(c.expr) + "}"
            quant = " & " + (r"\text{for " + _tex_text(c.forall) + "}" if c.forall else "")
        if not quant:
            quant = " &"
        lines.append(f"{lead} & {body}{quant} " + r"& \text{(" + _tex_text(c.name) + r")} \\")
        lead = ""
    for name, v in m.variables.items():
        dom = {"real": r"\mathbb{R}", "integer": r"\mathbb{Z}", "binary": r"\{0,1\}"}[v.domain]
        entries = [e.split(" in ", 1) if " in " in e else [None, e] for e in v.index]
        var, quant = _tex_id(name), ""
        if entries and all(tg for tg, _ in entries):  # "f in Foods": x_f ∈ R  ∀ f ∈ Foods
            var = f"{var}_{{{','.join(_tex_id(str(tg).strip()) for tg, _ in entries)}}}"
            quant = r" \quad \forall " + r",\ ".join(
                f"{_tex_id(str(tg).strip())} \\in {t.set_name(st.strip())}" for tg, st in entries)
        elif entries:  # "Foods": x ∈ R^Foods
            dom += "^{" + r" \times ".join(t.set_name(st.strip()) for _, st in entries) + "}"
        bounds = []
        for side, bound in ((r"\ge", v.lb), (r"\le", v.ub)):
            if bound is not None and v.domain != "binary":
                bounds.append(rf"{var} {side} {_bound_tex(t, bound)}")
        b = (r",\ " + r",\ ".join(bounds)) if bounds else ""
        lines.append(rf"{lead} & {var} \in {dom}{b}{quant} \\")
        lead = ""
    lines[-1] = lines[-1].removesuffix(r" \\")  # no empty last row
    return "\\begin{align*}\n" + "\n".join(lines) + "\n\\end{align*}"


def _definitions_tex(t: _Tex, m: Model) -> list[str]:
    """`where` rows: derived sets and computed params, as defined."""
    out = []
    lead = r"\text{where} \quad"
    for name, spec in m.sets.items():
        if spec.expr is None:
            continue
        try:
            body = t.tex(parse_set_expr(spec.expr))
        except Exception:  # under repair: verbatim
            body = r"\text{" + _tex_text(spec.expr) + "}"
        lines = f"{lead} & {t.set_name(name)} = {body} & & " + r"\text{(" + _tex_text(name) + r")} \\"
        out.append(lines)
        lead = ""
    for name, p in m.params.items():
        if p.expr is None:
            continue
        names = [n or "?" for n in p.index_names]
        head = _tex_id(name) + (f"_{{{','.join(_tex_id(x) for x in names)}}}" if names else "")
        quant = ""
        if p.index:
            quant = r" \forall " + r",\ ".join(rf"{_tex_id(x)} \in {t.set_name(st)}"
                                                for x, st in zip(names, p.index_sets))
        try:
            body = t.tex(parse_expr(p.expr))
        except Exception:
            body = r"\text{" + _tex_text(p.expr) + "}"
        out.append(f"{lead} & {head} = {body} &{quant} & " + r"\text{(" + _tex_text(name) + r")} \\")
        lead = ""
    return out


def _bound_tex(t: _Tex, bound: float | str) -> str:
    """A variable bound: a number, or a parameter expression rendered like the constraints."""
    if not isinstance(bound, str):
        return _num(float(bound))
    try:
        return t.tex(parse_expr(bound))
    except Exception:  # not a valid expression: verbatim
        return r"\text{" + _tex_text(bound) + "}"


def to_text(model) -> str:
    """The model as readable plain text (the form the CLI shows with --show-model)."""
    m = model if isinstance(model, Model) else load_model(model)
    out = [f"model {m.name}" + (f" — {m.description}" if m.description else "")]
    if m.sets:
        out.append("sets:")
        for name, s in m.sets.items():
            if s.range is not None:
                body = f"{s.range[0]}..{s.range[1]}"
            elif s.expr is not None:
                body = s.expr
            elif s.from_ is not None:
                body = f"from {s.from_.file}"
            else:
                el = s.elements or []
                body = "{" + ", ".join(map(str, el[:8])) + (", …" if len(el) > 8 else "") + f"}} ({len(el)})"
            out.append(f"  {name} = {body}")
    if m.params:
        out.append("params:")
        for name, p in m.params.items():
            if p.expr is not None:
                out.append(f"  {name}{'[' + ', '.join(p.index) + ']' if p.index else ''} = {p.expr}")
            elif not p.index:
                out.append(f"  {name} = {_num(p.value) if p.value is not None else '?'}")
            else:
                src = f"from {p.from_.file}:{p.from_.column}" if p.from_ else "inline"
                out.append(f"  {name}[{', '.join(p.index)}] ({src})")
    out.append("variables:")
    for name, v in m.variables.items():
        idx = f"[{', '.join(v.index)}]" if v.index else ""
        b = []
        for key, bound in (("lb", v.lb), ("ub", v.ub)):
            if bound is not None and v.domain != "binary":
                b.append(f"{key}={bound if isinstance(bound, str) else _num(float(bound))}")
        out.append(f"  {name}{idx} : {v.domain}" + (f" ({', '.join(b)})" if b else ""))
    out.append("find a feasible point" if m.is_feasibility else f"{m.sense} {m.objective}")
    out.append("subject to:")
    for c in m.constraints:
        q = f"   for {c.forall}" if c.forall else ""
        out.append(f"  {c.name}: {c.expr}{q}")
    if m.assumptions:
        out.append("assumptions:")
        out += [f"  - {a}" for a in m.assumptions]
    if m.acknowledged:
        out.append("text numbers not used (acknowledged):")
        out += [f"  {a.number}: {a.reason}" for a in m.acknowledged]
    return "\n".join(map(safe_line, out))  # one line per entry, whatever a name or text holds
