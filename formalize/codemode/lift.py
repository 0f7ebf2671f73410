"""Lift a harvested Pyomo/PuLP model into the formal model (`solvers.Model`).

The harvest reads a program's model back as arrays with a name table: each column has a
variable name and an index tuple, each row a name (`supply[DC1]`). Lifting groups them again:

- sets: the elements of each index position of each variable (and constraint) family, named
  after the program's own list or dict that holds exactly those elements (`stores`), else
  `<family>_<k>`; a family whose indices are not the full product of its positions' sets gets
  a tuple set of its own (a sparse variable);
- variables: one per family, with its domain (binary, integer, real) and bounds (a number when
  uniform, else a param indexed like the variable);
- the objective: per family, a coefficient (uniform) or an indexed coefficient param, plus the
  quadratic terms as a param over pairs, plus the constant;
- constraints: one per row family and sense (`<=`, `>=`, `==`, ranged), over the family's row
  index, with a coefficient param per variable family (default 0) and a right-hand side
  (a number when uniform, else a param).

The lifted model is exactly the harvested one (tests solve both and compare), so it can be shown
with the formal model's text/LaTeX rendering, saved (`--save-model`) and checked by the formal
model's checks. It is dense in each (row family, variable family) pair: when that exceeds
`MAX_DENSE` products, or a name or element cannot be expressed, nothing is lifted and the reason
is returned.

A CP-SAT model (its CpModelProto, `cpsat_proto.proto_arrays`) is lifted the same way: its
integer variables (a [0, 1] family is binary) with their domains and the program's names, its
linear constraints as rows (`bool_or`, `at_most_one`, `exactly_one`, `bool_and` as the linear
rows they are), its objective with offset and scaling (a negative scaling factor is CP-SAT's
maximize); a linear constraint enforced by one literal (`OnlyEnforceIf`, `AddImplication`) is
`implies(b == 1, ...)`, `x != 5` is `!=`, `AddAllDifferent` over variables is `all_different`.
A model holding anything else (`AddMultiplicationEquality`, `AddMaxEquality`, intervals and
`AddNoOverlap`, `AddElement`, tables, circuits, several enforcement literals, a domain with
holes) is not lifted at all, and the reason names each such kind with its count.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from formalize.codemode.cpsat_proto import CpsatArrays, Logical, proto_arrays, read_proto
from formalize.codemode.readback import _split, _vocabulary
from formalize.codemode.result import HarvestedModel
from formalize.codemode.sandbox import CodeRun

MAX_DENSE = 200_000
MAX_LOGICAL = 20_000  # CP-SAT constraints that are no rows (implies, !=, all_different), one entry each
_IDENT = re.compile(r"[^0-9A-Za-z_]")


class _NoLift(Exception):
    pass


def _ident(name: str, taken: set[str]) -> str:
    base = _IDENT.sub("_", name).strip("_") or "x"
    if base[0].isdigit():
        base = "_" + base
    out, k = base, 2
    while out in taken:
        out, k = f"{base}_{k}", k + 1
    taken.add(out)
    return out


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() and abs(v) < 1e15 else float(v)


def _element(e: Any) -> Any:
    if isinstance(e, bool) or not isinstance(e, (str, int, float)):
        raise _NoLift(f"the index element {e!r} is neither a string nor a number")
    if isinstance(e, float):
        if not e.is_integer():
            raise _NoLift(f"the index element {e!r} is not an integer or a string")
        return int(e)
    return e


class _Lifter:
    def __init__(self, md: HarvestedModel, collections: dict[str, list]) -> None:
        self.md = md
        self.collections = collections
        self.vocab = _vocabulary(collections)
        self.taken: set[str] = set()
        self.sets: dict[str, dict] = {}
        self.set_of: dict[tuple, str] = {}  # frozenset of elements -> set name
        self.params: dict[str, dict] = {}
        self.variables: dict[str, dict] = {}
        self.constraints: list[dict] = []
        self.positions: dict[str, list[list]] = {}  # a product family: its positions' elements
        self.element_name: dict[str, str] = {}  # a sparse family: the name of its index element

    # -- sets ---------------------------------------------------------------------------------
    def _named_set(self, elements: list, hint: str) -> str:
        key = tuple(sorted(map(repr, elements)))
        if key in self.set_of:
            return self.set_of[key]
        name = None
        for cname, els in self.collections.items():
            flat = [e for e in els if not isinstance(e, tuple)]
            if len(flat) == len(els) and sorted(map(repr, flat)) == sorted(set(map(repr, flat))) \
                    and tuple(sorted(map(repr, flat))) == key:
                name = cname if cname not in self.taken else None
                if name:
                    break
        name = _ident(name or hint, self.taken)
        self.sets[name] = {"elements": list(elements)}
        self.set_of[key] = name
        return name

    def _index(self, family: str, idxs: list[tuple]) -> tuple[list[str], list[str], str]:
        """(index spec of the family, its index names, the generator text) — a product of
        named sets, or one tuple set when the family is sparse."""
        arity = len(idxs[0])
        if arity == 0:
            return [], [], ""
        positions = []
        for k in range(arity):
            seen: dict[Any, None] = {}
            for i in idxs:
                seen.setdefault(i[k], None)
            positions.append(list(seen))
        size = math.prod(len(p) for p in positions)
        letters = [f"i{k + 1}" for k in range(arity)]
        if size == len(set(idxs)) == len(idxs):
            names = [self._named_set(p, f"{family}_{k + 1}") for k, p in enumerate(positions)]
            letters = _letters(names, self.taken)
            gens = " for ".join(f"{v} in {s}" for v, s in zip(letters, names))
            self.positions[family] = positions
            return [f"{v} in {s}" for v, s in zip(letters, names)], letters, gens
        if len(set(idxs)) != len(idxs):
            raise _NoLift(f"two columns of {family} share an index")
        name = _ident(f"{family}_index", self.taken)
        self.sets[name] = {"elements": [list(i) if arity > 1 else i[0] for i in idxs]}
        tup = "(" + ", ".join(letters) + ")" if arity > 1 else letters[0]  # noqa: RUF005
        # the index names one element of the tuple set (a bound `u[t]`); sums unpack it
        self.element_name[family] = one = _other("t", [*letters, *self.taken])
        return [f"{one} in {name}"], letters, f"{tup} in {name}"

    # -- the model ----------------------------------------------------------------------------
    def lift(self) -> dict:
        md = self.md
        assert md is not None
        n = md.num_cols
        cols: list[tuple[str, tuple]] = []
        for j in range(n):
            var, idx = md.column_var[j], tuple(md.column_index[j])
            if md.library != "pyomo" and not idx:
                var, idx = _split(md.columns[j], self.vocab)
            cols.append((var, tuple(_element(e) for e in idx)))
        fams: dict[str, list[int]] = {}
        for j, (var, _) in enumerate(cols):
            fams.setdefault(var, []).append(j)
        for var, js in list(fams.items()):
            if len({len(cols[j][1]) for j in js}) > 1:  # mixed arity: each column on its own
                del fams[var]
                for j in js:
                    fams[md.columns[j]] = [j]
                    cols[j] = (md.columns[j], ())
        self.col_pos: dict[int, tuple[str, tuple]] = {}
        self.fam_info: dict[str, dict] = {}
        for var, js in fams.items():
            vname = _ident(var, self.taken)
            self.fam_info[var] = {"name": vname, "cols": js}
        for var, js in fams.items():
            info = self.fam_info[var]
            idxs = [cols[j][1] for j in js]
            spec, letters, gens = self._index(info["name"], idxs)
            info.update(spec=spec, letters=letters, gens=gens, idxs=idxs)
            self._variable(info, js)
        self._objective(fams, cols)
        self._constraints(fams, cols)
        return {"name": "program", "sense": md.sense, "sets": self.sets, "params": self.params,
                "variables": self.variables, "objective": self.objective,
                "constraints": self.constraints}

    def _ref(self, info: dict, letters: Sequence[str] | None = None) -> str:
        letters = info["letters"] if letters is None else letters
        return f"{info['name']}[{', '.join(letters)}]" if letters else info["name"]

    def _rows(self, idxs: list[tuple], vals: Sequence[float]) -> list[list]:
        return [[*i, _num(v)] for i, v in zip(idxs, vals)]

    def _table(self, name: str, spec: list[str], idxs: list[tuple], vals: Sequence[float],
               default: float | None = None) -> str:
        pname = _ident(name, self.taken)
        index = [s.split(" in ")[-1] if " in " in s else s for s in spec]
        keep = [(i, v) for i, v in zip(idxs, vals) if default is None or v != default]
        p: dict[str, Any] = {"index": index, "values": self._rows([i for i, _ in keep], [v for _, v in keep])}
        if default is not None:
            p["default"] = _num(default)
        self.params[pname] = p
        return pname

    def _variable(self, info: dict, js: list[int]) -> None:
        md = self.md
        lo, hi = md.col_lower[js], md.col_upper[js]
        integer = bool(md.col_integer[js].all())
        if md.col_integer[js].any() and not integer:
            raise _NoLift(f"{info['name']} mixes integer and continuous columns")
        domain = "binary" if integer and (lo >= 0).all() and (hi <= 1).all() else (
            "integer" if integer else "real")
        spec: dict[str, Any] = {"index": info["spec"], "domain": domain}
        for field_, arr, inf in (("lb", lo, -np.inf), ("ub", hi, np.inf)):
            if domain == "binary":
                continue
            if (arr == arr[0]).all():
                if arr[0] != inf:
                    spec[field_] = _num(float(arr[0]))
            elif np.isinf(arr).any():
                raise _NoLift(f"{info['name']} has finite and infinite {field_}s")
            else:
                p = self._table(f"{info['name']}_{field_}", info["spec"], info["idxs"], arr.tolist())
                one = self.element_name.get(info["name"])
                spec[field_] = f"{p}[{one or ', '.join(info['letters'])}]"
        self.variables[info["name"]] = spec
        for k, j in enumerate(js):
            self.col_pos[j] = (info["name"], info["idxs"][k])

    def _fam_of(self, j: int) -> tuple[dict, int]:
        if not hasattr(self, "_where"):
            self._where = {j2: (info, k) for info in self.fam_info.values()
                           for k, j2 in enumerate(info["cols"])}
        return self._where[j]

    def _linear_terms(self, label: str, coefs: dict[str, dict[int, float]], row_letters: list[str],
                      row_spec: list[str], row_idxs: list[tuple] | None) -> list[str]:
        """Sum terms, one per variable family: coefficients uniform over the family → a number,
        else a param over (row index, variable index) with default 0."""
        terms = []
        for var, by_row in coefs.items():
            info = self.fam_info[var]
            nz = {k: v for k, v in by_row.items() if v != 0.0}
            if not nz:
                continue
            rows = row_idxs or [()]
            dense = len(rows) * len(info["cols"])
            if dense > MAX_DENSE:
                raise _NoLift(f"{label} × {info['name']} would take {dense} coefficients "
                              f"(at most {MAX_DENSE})")
            letters = []
            for x in info["letters"]:
                letters.append(_other(x, [*row_letters, *letters, *self.taken]))
            gen = info["gens"]
            for a, b in zip(info["letters"], letters):
                gen = re.sub(rf"\b{a}\b", b, gen)
            ref = self._ref(info, letters)
            full = len(nz) == len(rows) * len(info["cols"])
            vals = set(nz.values())
            aligned = self._aligned(info, nz, rows, row_letters)
            if aligned is not None:
                terms.append(aligned)
                continue
            if full and len(vals) == 1:
                c = _num(next(iter(vals)))
                body = ref if c == 1 else f"{c} * {ref}"
            else:
                keys, values = [], []
                for (r, k), v in sorted(nz.items(), key=lambda x: (repr(x[0][0]), x[0][1])):
                    keys.append((*r, *info["idxs"][k]))
                    values.append(v)
                var_spec = [s.split(" in ")[-1] for s in info["spec"]] if info["spec"] else []
                p = self._table(f"{label}_{info['name']}" if label else f"obj_{info['name']}",
                                [*row_spec, *var_spec], keys, values, 0.0)
                body = f"{p}[{', '.join([*row_letters, *letters])}] * {ref}"
            terms.append(f"sum({body} for {gen})" if gen else body)
        return terms

    def _aligned(self, info: dict, nz: dict, rows: list[tuple], row_letters: list[str]) -> str | None:
        """`sum(x[r1, j] for j in S)`: every row touches the columns whose index holds the row's
        own index at fixed positions, all of them, with one coefficient — the usual shape of an
        indexed constraint. None when the family's coefficients have another shape."""
        positions = self.positions.get(info["name"])
        if positions is None or not row_letters or len(set(nz.values())) != 1:
            return None
        idxs = info["idxs"]
        arity, rarity = len(positions), len(rows[0])
        match: list[int] = []
        for p in range(rarity):
            q = next((q for q in range(arity) if q not in match
                      and all(idxs[k][q] == r[p] for (r, k) in nz)), None)
            if q is None:
                return None
            match.append(q)
        free = [q for q in range(arity) if q not in match]
        per_row = math.prod(len(positions[q]) for q in free)
        if len(nz) != len(rows) * per_row:
            return None
        letters = list(info["letters"])
        gens = []
        for p, q in enumerate(match):
            letters[q] = row_letters[p]
        spec_sets = [s.split(" in ")[-1] for s in info["spec"]]
        for q in free:
            letters[q] = _other(info["letters"][q], [*row_letters, *letters[:q], *self.taken])
            gens.append(f"{letters[q]} in {spec_sets[q]}")
        c = _num(next(iter(nz.values())))
        ref = self._ref(info, letters)
        body = ref if c == 1 else f"{c} * {ref}"
        return f"sum({body} for {' for '.join(gens)})" if gens else body

    def _objective(self, fams: dict[str, list[int]], cols: list) -> None:
        md = self.md
        terms: list[str] = []
        for var, js in fams.items():
            c = md.col_cost[js]
            if not c.any():
                continue
            by = {((), k): float(c[k]) for k in range(len(js))}
            terms += self._linear_terms("", {var: by}, [], [], None)
        if len(md.q_val):
            pairs: dict[tuple[str, str], dict] = {}
            for r, cidx, v in zip(md.q_row.tolist(), md.q_col.tolist(), md.q_val.tolist()):
                (fi, ki), (fj, kj) = self._fam_of(r), self._fam_of(cidx)
                key = (fi["name"], fj["name"])
                pairs.setdefault(key, {"a": fi, "b": fj, "vals": {}})
                pairs[key]["vals"][(ki, kj)] = pairs[key]["vals"].get((ki, kj), 0.0) + v
            for (an, bn), q in pairs.items():
                a, b = q["a"], q["b"]
                dense = len(a["cols"]) * len(b["cols"])
                if dense > MAX_DENSE:
                    raise _NoLift(f"the quadratic terms of {an} × {bn} would take {dense} coefficients")
                la = [f"{x}a" for x in a["letters"]]
                lb = [f"{x}b" for x in b["letters"]]
                ga, gb = a["gens"], b["gens"]
                for x, y in zip(a["letters"], la):
                    ga = re.sub(rf"\b{x}\b", y, ga)
                for x, y in zip(b["letters"], lb):
                    gb = re.sub(rf"\b{x}\b", y, gb)
                keys = [(*a["idxs"][i], *b["idxs"][j]) for (i, j) in q["vals"]]
                spec = [*(s.split(" in ")[-1] for s in a["spec"]), *(s.split(" in ")[-1] for s in b["spec"])]
                p = self._table(f"q_{an}_{bn}", spec, keys, list(q["vals"].values()), 0.0)
                gens = " for ".join(g for g in (ga, gb) if g)
                body = f"{p}[{', '.join([*la, *lb])}] * {self._ref(a, la)} * {self._ref(b, lb)}"
                terms.append(f"sum({body} for {gens})" if gens else body)
        if md.offset:
            terms.append(repr(_num(md.offset)))
        self.objective = " + ".join(terms) if terms else None
        if self.objective is None and md.sense == "minimize":
            self.objective = "0"

    def _constraints(self, fams: dict[str, list[int]], cols: list) -> None:
        md = self.md
        m = md.num_rows
        if m == 0:
            return
        row_of: list[tuple[str, tuple]] = []
        for name in md.rows:
            fam, idx = _split(name, self.vocab)
            try:
                idx = tuple(_element(e) for e in idx)
            except _NoLift:
                fam, idx = name, ()
            row_of.append((fam, idx))
        order = np.argsort(md.a_row, kind="stable")
        rr, cc, vv = md.a_row[order], md.a_col[order], md.a_val[order]
        starts = np.searchsorted(rr, np.arange(m + 1))
        groups: dict[tuple[str, str], list[int]] = {}
        for i in range(m):
            lo, hi = float(md.row_lower[i]), float(md.row_upper[i])
            sense = ("==" if lo == hi else "<=" if lo == -np.inf else ">=" if hi == np.inf
                     else "range")
            if lo == -np.inf and hi == np.inf:
                continue  # a free row says nothing
            groups.setdefault((row_of[i][0], sense), []).append(i)
        fam_senses: dict[str, int] = {}
        for fam, _ in groups:
            fam_senses[fam] = fam_senses.get(fam, 0) + 1
        for (fam, sense), rows in groups.items():
            idxs = [row_of[i][1] for i in rows]
            arities = {len(x) for x in idxs}
            if len(arities) > 1 or len(set(idxs)) != len(idxs):
                for i in rows:  # one constraint per row
                    self._emit(md.rows[i], sense, [i], [()], starts, cc, vv, fams)
                continue
            label = fam if fam_senses[fam] == 1 else f"{fam}_{ {'<=': 'le', '>=': 'ge', '==': 'eq'}.get(sense, 'range')}"
            self._emit(label, sense, rows, idxs, starts, cc, vv, fams)

    def _emit(self, label: str, sense: str, rows: list[int], idxs: list[tuple], starts: np.ndarray,
              cc: np.ndarray, vv: np.ndarray, fams: dict) -> None:
        md = self.md
        cname = _ident(label, self.taken)
        spec, letters, gens = self._index(cname, idxs) if idxs[0] else ([], [], "")
        coefs: dict[str, dict] = {}
        for r, i in enumerate(rows):
            for p in range(int(starts[i]), int(starts[i + 1])):
                info, k = self._fam_of(int(cc[p]))
                var = next(v for v, inf in self.fam_info.items() if inf is info)
                d = coefs.setdefault(var, {})
                d[(idxs[r], k)] = d.get((idxs[r], k), 0.0) + float(vv[p])
        row_spec = [s.split(" in ")[-1] for s in spec] if spec else []
        terms = self._linear_terms(cname, coefs, letters, row_spec, idxs if idxs[0] else None)
        lhs = " + ".join(terms) or "0"
        sides = []
        for which, arr in (("lo", md.row_lower[rows]), ("hi", md.row_upper[rows])):
            if (arr == arr[0]).all():
                sides.append(repr(_num(float(arr[0]))) if np.isfinite(arr[0]) else None)
            elif not np.isfinite(arr).all():
                raise _NoLift(f"{cname} mixes finite and infinite right-hand sides")
            else:
                p = self._table(f"{cname}_{'rhs' if sense != 'range' else which}", spec, idxs, arr.tolist())
                sides.append(f"{p}[{', '.join(letters)}]")
        lo, hi = sides
        expr = {"==": f"{lhs} == {hi}", "<=": f"{lhs} <= {hi}", ">=": f"{lhs} >= {lo}",
                "range": f"{lo} <= {lhs} <= {hi}"}[sense]
        c: dict[str, Any] = {"name": cname, "expr": expr}
        if gens:
            c["forall"] = gens
        self.constraints.append(c)


def _letters(set_names: list[str], declared: set[str]) -> list[str]:
    """Index names from the sets' names: `centers, stores` → `c, s`; repeats and declared names
    (a variable `s`) numbered."""
    out: list[str] = []
    for name in set_names:
        base = next((ch.lower() for ch in name if ch.isalpha()), "i")
        letter, k = base, 2
        while letter in out or letter in declared:
            letter, k = f"{base}{k}", k + 1
        out.append(letter)
    return out


def _other(letter: str, taken: Sequence[str]) -> str:
    """`letter`, or a variant of it that is not in `taken`."""
    out, k = letter, 2
    while out in taken:
        out, k = f"{letter}{k}", k + 1
    return out


def _element_text(e: Any) -> str:
    return json.dumps(e) if isinstance(e, str) else repr(e)


class _LogicalWriter:
    """The constraints of a CP-SAT model that are no rows, written over the lifted variables."""

    def __init__(self, lifter: _Lifter) -> None:
        self.lifter = lifter

    def ref(self, j: int) -> str:
        var, idx = self.lifter.col_pos[j]
        return f"{var}[{', '.join(_element_text(e) for e in idx)}]" if idx else var

    def linear(self, terms: dict[int, float]) -> str:
        out = ""
        for j, c in terms.items():
            if c == 0.0:
                continue
            a = _num(abs(c))
            body = self.ref(j) if a == 1 else f"{a} * {self.ref(j)}"
            out += (" - " if c < 0 else " + ") + body if out else ("-" if c < 0 else "") + body
        return out or "0"

    def constraints(self, c: Logical) -> list[dict]:
        name = _ident(c.name, self.lifter.taken)
        if c.kind == "all_different":
            return [{"name": name, "expr": f"all_different({', '.join(self.ref(j) for j in c.columns)})"}]
        lhs = self.linear(c.terms)
        if c.kind == "not_equal":
            return [{"name": name, "expr": f"{lhs} != {_num(c.lo)}"}]
        assert c.literal is not None
        j, val = c.literal
        cond = f"{self.ref(j)} == {val}"
        if c.lo == c.hi:
            sides = [f"{lhs} == {_num(c.lo)}"]
        else:
            sides = ([f"{lhs} >= {_num(c.lo)}"] if math.isfinite(c.lo) else []) + (
                [f"{lhs} <= {_num(c.hi)}"] if math.isfinite(c.hi) else [])
        return [{"name": name if len(sides) == 1 else _ident(f"{c.name}_{k + 1}", self.lifter.taken),
                 "expr": f"implies({cond}, {side})"} for k, side in enumerate(sides)]


def _cpsat(run: CodeRun) -> CpsatArrays | str:
    """The CP-SAT model of the run as arrays, or why it cannot be lifted."""
    proto = read_proto(run.model_data or b"")
    if proto is None:
        return "the CP-SAT model could not be read"
    if len(proto.variables) > MAX_DENSE or len(proto.constraints) > MAX_DENSE:
        return (f"the model is too large to lift ({len(proto.variables)} variables, "
                f"{len(proto.constraints)} constraints)")
    try:
        arrays = proto_arrays(proto)
    except (IndexError, ValueError, TypeError, OverflowError) as exc:  # the child's bytes: said, not raised
        return f"the CP-SAT model could not be lifted: {exc}"
    if arrays.unlifted:
        kinds = "; ".join(f"{what} ×{k}" for what, k in arrays.unlifted.items())
        return ("not lifted: the formal model has no form for these constraints of the CP-SAT model: "
                f"{kinds} (the program's model is solved and its numbers checked as it is; the formal "
                "model's checks, --show-model and --save-model need the whole model)")
    if len(arrays.logical) > MAX_LOGICAL:
        return f"the CP-SAT model has {len(arrays.logical)} logical constraints (at most {MAX_LOGICAL} are lifted)"
    return arrays


def lift(run: CodeRun, collections: dict[str, list] | None = None) -> tuple[Any, str | None]:
    """(the formal model of the program's harvested model, None) or (None, why not). A CP-SAT
    model is lifted whole or not at all: a partial model would solve to another optimum, and
    its checks (fixed-by-equalities, idle members) would judge constraints it lacks."""
    from solvers import ModelError, load_model

    if not run.ok or (run.model is None and run.model_data is None):
        return None, "no model was built"
    logical: list[Logical] = []
    if run.model is not None:
        md = run.model
    else:
        got = _cpsat(run)
        if isinstance(got, str):
            return None, got
        md, logical = got.model, got.logical
    if md.num_cols > MAX_DENSE or len(md.a_val) > MAX_DENSE:
        return None, f"the model is too large to lift ({md.num_cols} columns, {len(md.a_val)} nonzeros)"
    try:
        lifter = _Lifter(md, collections or {})
        doc = lifter.lift()
        writer = _LogicalWriter(lifter)
        for c in logical:
            doc["constraints"] += writer.constraints(c)
    except _NoLift as exc:
        return None, str(exc)
    try:
        return load_model(doc), None
    except ModelError as exc:  # a lifting gap, said plainly rather than raised
        return None, f"the lifted model does not load: {exc}"


__all__ = ["MAX_DENSE", "MAX_LOGICAL", "lift"]

