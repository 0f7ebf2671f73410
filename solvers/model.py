"""The formal model: pydantic v2 documents for sets, params, variables, objective, constraints.

See docs/model-format.md. `load_model` accepts a path (.json/.yaml/.yml), a JSON/YAML string, a
dict or a `Model`, and turns every validation problem into a located `ModelError`.
"""

from __future__ import annotations

import json
import keyword
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from .diagnostics import Diagnostic, Location, ModelError

Element = Union[str, int]
Bound = Union[float, str, None]

IDENT = re.compile(r"^[^\W\d]\w*$", re.UNICODE)
RESERVED = frozenset(
    ["sum", "min", "max", "abs", "all_different", "implies", "len", "card", "in", "for", "if", "and", "or", "not", "range", "prod", "True", "False", "None", "lambda"]
    + keyword.kwlist  # "else", "class", "def" ...: a declared name no expression could refer to
)

_SENSE_ALIASES = {
    "min": "minimize", "minimise": "minimize", "minimize": "minimize", "minimization": "minimize",
    "max": "maximize", "maximise": "maximize", "maximize": "maximize", "maximization": "maximize",
    "feasibility": "feasibility", "none": "feasibility", "feasible": "feasibility",
}
_NONNEGATIVE = {"nonnegativereals": ("real", 0), "nonnegativeintegers": ("integer", 0),
                "positiveintegers": ("integer", 1), "positivereals": ("real", 0)}
_DOMAIN_ALIASES = {
    "real": "real", "continuous": "real", "reals": "real", "float": "real",
    "integer": "integer", "int": "integer", "integers": "integer",
    "binary": "binary", "bool": "binary", "boolean": "binary",
}


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FileRef(_Doc):
    """A binding of a set or param to a CSV or JSON data file."""

    file: str = Field(description="path to a .csv or .json (list of records) file")
    column: str | None = Field(None, description="value column (params) or element column (sets)")
    columns: list[str] | None = Field(None, description="element columns of a tuple set")
    keys: list[str] | None = Field(None, description="key columns of an indexed param")


class SetSpec(_Doc):
    """An index set: explicit elements, an integer range, a data-file column, or a definition
    from other sets (`expr`: union, difference, product, filter, projection, keys of a param)."""

    elements: list[Element | list[Element]] | None = None
    range: list[int | str] | None = Field(None, description="[lo, hi] inclusive")
    from_: FileRef | None = Field(None, alias="from")
    expr: str | None = Field(None, description="a set defined from other sets: \"A | B\", \"A - B\", "
                             "\"A & B\", \"A * B\", \"(i, j) in N * N if i != j\", "
                             "\"{(j, i) for (i, j) in Arcs}\", \"keys(cost)\"")
    description: str | None = None

    @field_validator("elements", mode="before")
    @classmethod
    def _ints(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [_norm_element(e) for e in v]
        return v


class ParamSpec(_Doc):
    """A scalar or indexed parameter: values inline, bound to a data file, or computed at build
    time from an expression over other params and its index names (`expr`)."""

    value: float | None = None
    index: list[str] = Field(default_factory=list, description="set names; \"i in S\" names the "
                             "index for `expr`")
    values: Any = None
    default: float | None = None
    from_: FileRef | None = Field(None, alias="from")
    expr: str | None = Field(None, description="computed at build time over the index names, e.g. "
                             "\"sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)\" with index [\"i in N\", \"j in N\"]")
    source: str | None = Field(None, description="quote from the problem text")
    description: str | None = None

    @property
    def index_sets(self) -> list[str]:
        """The set names of `index` (entries "i in S" give S)."""
        return [_index_decl(e)[1] for e in self.index]

    @property
    def index_names(self) -> list[str | None]:
        """The index names of `index` (None where an entry is a bare set name)."""
        return [_index_decl(e)[0] for e in self.index]


class VariableSpec(_Doc):
    """Decision variables indexed over sets."""

    index: list[str] = Field(default_factory=list)
    domain: Literal["real", "integer", "binary"] = "real"
    lb: Bound = None
    ub: Bound = None
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _nonnegative_domains(cls, v: Any) -> Any:
        # Pyomo's names: NonNegativeReals / NonNegativeIntegers / PositiveIntegers carry a bound
        if isinstance(v, dict) and isinstance(v.get("domain"), str):
            d = v["domain"].strip().lower().replace("_", "")
            implied = _NONNEGATIVE.get(d)
            if implied is not None:
                domain, lb = implied
                v = {**v, "domain": domain}
                if v.get("lb") is None:
                    v["lb"] = lb
        return v

    @field_validator("lb", "ub", mode="before")
    @classmethod
    def _finite_bound(cls, v: Any, info: Any) -> Any:
        if isinstance(v, float) and not isinstance(v, bool):
            if math.isnan(v):
                raise ValueError("a bound must be a number, an expression or null, not NaN")
            if math.isinf(v):
                if (info.field_name == "lb") == (v < 0):
                    return None  # -inf lower / +inf upper bound: no bound
                raise ValueError(f"{info.field_name} = {v} leaves no feasible value")
        return v

    @field_validator("domain", mode="before")
    @classmethod
    def _domain(cls, v: Any) -> Any:
        if isinstance(v, str):
            return _DOMAIN_ALIASES.get(v.strip().lower(), v)
        return v


class ConstraintSpec(_Doc):
    """A named constraint, optionally repeated over `forall`."""

    name: str
    forall: str | None = None
    expr: str
    description: str | None = None


class Acknowledgement(_Doc):
    """A number of the problem text the model deliberately does not use, and why.

    The answer to an `unused-number` finding: the verifier keeps it in its report (the finding
    moves from "unused" to "acknowledged", with the reason shown to the user). `number` must be a
    number that really is in the text; it is never counted as a use of that number."""

    number: str = Field(description="the number as the text writes it, e.g. \"1.33\" or \"1,000\"")
    reason: str = Field(min_length=1, description="why the model does not need it, e.g. \"exercise number\"")

    @field_validator("number", mode="before")
    @classmethod
    def _number_text(cls, v: Any) -> Any:
        if isinstance(v, bool):
            return v  # rejected by the str field
        if isinstance(v, int) or (isinstance(v, float) and math.isfinite(v) and v == int(v) and abs(v) < 2**53):
            return str(int(v))
        if isinstance(v, float):
            return repr(v)
        return v.strip() if isinstance(v, str) else v

    @field_validator("reason")
    @classmethod
    def _reason_text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("give the reason the number is not used")
        return v.strip()


# Jupyter displays of Model and Solution, filled by solvers.display.register() when the package
# is imported (a hook, not an import: the displays use modules that import this one)
DISPLAY: dict[str, Callable[[Any], str]] = {}


class Model(_Doc):
    """A complete formal optimization model."""

    name: str = "model"
    description: str | None = None
    sense: Literal["minimize", "maximize", "feasibility"] = "minimize"
    sets: dict[str, SetSpec] = Field(default_factory=dict)
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    variables: dict[str, VariableSpec] = Field(default_factory=dict)
    objective: str | None = None
    constraints: list[ConstraintSpec] = Field(default_factory=list)
    assumptions: list[str] = Field(
        default_factory=list,
        description="readings the model makes where the text is silent or ambiguous; shown to the user "
                    "beside the solution, never used as data")
    acknowledged: list[Acknowledgement] = Field(
        default_factory=list,
        description="numbers of the text the model deliberately does not use, each with the reason")

    _base_dir: Path | None = PrivateAttr(default=None)
    _data_dirs: list[Path] = PrivateAttr(default_factory=list)
    _data_files: list[Path] = PrivateAttr(default_factory=list)
    _limits: dict = PrivateAttr(default_factory=dict)
    _cache: dict = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        # compact notation (docs/model-format.md, "Compact notation"); raises ModelError
        return expand_shorthands(data) if isinstance(data, dict) else data

    @field_validator("assumptions", mode="before")
    @classmethod
    def _assumptions(cls, v: Any) -> Any:
        if isinstance(v, str):  # one assumption written without the list
            v = [v]
        if isinstance(v, list):
            return [a.strip() if isinstance(a, str) else a for a in v if not (isinstance(a, str) and not a.strip())]
        return v

    @field_validator("sense", mode="before")
    @classmethod
    def _sense(cls, v: Any) -> Any:
        if v is None:
            return "feasibility"
        if isinstance(v, str):
            return _SENSE_ALIASES.get(v.strip().lower(), v)
        return v

    @field_validator("sets", mode="before")
    @classmethod
    def _sets(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: ({"elements": s} if isinstance(s, list) else {"expr": s} if isinstance(s, str) else s)
                    for k, s in v.items()}
        return v

    @field_validator("params", mode="before")
    @classmethod
    def _params(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {
                k: ({"value": p} if isinstance(p, (int, float)) and not isinstance(p, bool)
                    else {"expr": p} if isinstance(p, str) else p)
                for k, p in v.items()
            }
        return v

    @field_validator("constraints", mode="before")
    @classmethod
    def _constraints(cls, v: Any) -> Any:
        # accept a mapping name -> {expr, forall} as a convenience
        if isinstance(v, dict):
            return [{"name": k, **c} if isinstance(c, dict) else {"name": k, "expr": c} for k, c in v.items()]
        return v

    @property
    def is_feasibility(self) -> bool:
        """True when there is nothing to optimize."""
        return self.sense == "feasibility" or not (self.objective or "").strip()

    @property
    def base_dir(self) -> Path | None:
        """Directory data files are resolved against (the model file's folder)."""
        return self._base_dir

    def with_data_dirs(self, *dirs: str | Path) -> Model:
        """Add folders whose files (and files below) the model may read; returns self."""
        self._data_dirs.extend(Path(d) for d in dirs)
        self._cache.clear()
        return self

    def with_data_files(self, *files: str | Path) -> Model:
        """Add files the model may read (the CLI's --data), matched by the name the model writes:
        as given, by file name, or by a path resolving to the same file; returns self."""
        self._data_files.extend(Path(f) for f in files)
        self._cache.clear()
        return self

    def with_limits(self, **limits: int | None) -> Model:
        """Override size limits for this model (see solvers.limits), e.g. max_instances=2*10**7."""
        from .limits import check_limits

        self._limits.update(check_limits(limits))
        self._cache.clear()
        return self

    def to_json(self, indent: int | None = 2) -> str:
        """The document as JSON (aliases like `from` restored, empty fields dropped)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def json_schema(cls) -> dict:
        """The JSON schema of the model document (what an LLM is asked to fill)."""
        return cls.model_json_schema(by_alias=True)

    def to_dict(self) -> dict:
        """The document as a plain dict (empty `assumptions` / `acknowledged` left out)."""
        out = self.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False)
        for key in ("assumptions", "acknowledged"):
            if not out.get(key):
                out.pop(key, None)
        return out

    def _repr_html_(self) -> str | None:
        """Jupyter: the summary, the mathematics, the sets and data (solvers.display)."""
        show = DISPLAY.get("model_html")
        return show(self) if show else None

    def _repr_latex_(self) -> str | None:
        """Jupyter / nbconvert: the model as a LaTeX ``align*`` block (solvers.render)."""
        show = DISPLAY.get("model_latex")
        return show(self) if show else None

    def names(self) -> dict[str, str]:
        """Every declared name and its kind: 'set', 'param' or 'variable'."""
        out: dict[str, str] = {}
        for kind, table in (("set", self.sets), ("param", self.params), ("variable", self.variables)):
            for n in table:
                out.setdefault(n, kind)
        return out


def _index_decl(entry: str) -> tuple[str | None, str]:
    """"i in S" → ("i", "S"); "S" → (None, "S"); anything else is kept as the set name (the
    data resolution reports it)."""
    m = _NAME_IN.fullmatch(entry) if isinstance(entry, str) else None
    return (m.group(1), m.group(2)) if m else (None, entry)


def _norm_element(e: Any) -> Any:
    if isinstance(e, float) and math.isfinite(e) and e == int(e):
        return int(e)
    if isinstance(e, list):
        return [_norm_element(x) for x in e]
    return e



# --------------------------------------------------------------------------- compact notation

_KEYED = re.compile(r"\s*([^\W\d]\w*)\s*\[(.*)\]\s*", re.UNICODE | re.DOTALL)
_NAME_IN = re.compile(r"\s*([^\W\d]\w*)\s+in\s+([^\W\d]\w*)\s*", re.UNICODE)
_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
_PARAM_SPEC_KEYS = frozenset({"values", "from", "expr"})
_PARAM_FIELDS = frozenset({"values", "from", "default", "source", "description", "index", "value", "expr"})
VAR_GRAMMAR = ('"<domain>", "<domain> >= <lb>", "<domain> <= <ub>" or "<domain> in [<lb>, <ub>]"; '
               'domain real | integer | binary, bounds numbers or expressions')


def split_keyed(key: str) -> tuple[str, str] | None:
    """`"ship[p in Plants, m in Markets]"` → `("ship", "p in Plants, m in Markets")`; None when the
    key carries no bracketed part."""
    m = _KEYED.fullmatch(key)
    return (m.group(1), m.group(2).strip()) if m else None


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split at `sep` outside brackets and parentheses."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def parse_var_shorthand(text: str) -> dict[str, Any]:
    """Parse a variable shorthand (`"integer >= 0"`, `"real in [0, cap[i]]"`) into
    `{"domain", "lb"?, "ub"?}`; raises ValueError with what is wrong."""
    m = re.fullmatch(r"\s*([A-Za-z]+)\s*(.*?)\s*", text, re.DOTALL)
    if not m:
        raise ValueError(f"{text!r} does not start with a domain")
    word, rest = m.group(1), m.group(2)
    domain = _DOMAIN_ALIASES.get(word.lower())
    if domain is None:
        raise ValueError(f"unknown domain {word!r} in {text!r}")
    out: dict[str, Any] = {"domain": domain}
    if not rest:
        return out
    if rest.startswith((">=", "<=")):
        bound = rest[2:].strip()
        if not bound:
            raise ValueError(f"missing bound after {rest[:2]!r} in {text!r}")
        if re.search(r"(<=|>=|==|\bin\s*\[)", bound):
            raise ValueError(f"more than one bound clause in {text!r}; write both as 'in [lb, ub]'")
        out["lb" if rest.startswith(">=") else "ub"] = _bound_value(bound)
        return out
    br = re.fullmatch(r"in\s*\[(.*)\]", rest, re.DOTALL)
    if br:
        parts = split_top(br.group(1))
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise ValueError(f"'in [...]' needs exactly two bounds, got {br.group(1).strip()!r}")
        out["lb"], out["ub"] = (_bound_value(p.strip()) for p in parts)
        return out
    raise ValueError(f"cannot read {rest!r} after the domain {word!r}")


def _bound_value(text: str) -> float | str:
    return float(text) if _NUMBER.fullmatch(text) else text


def _index_entries(inner: str, named_ok: bool) -> list[str]:
    """The comma-separated index entries of a key: set names (and `i in S` when `named_ok`)."""
    entries = [e.strip() for e in split_top(inner)]
    for e in entries:
        if IDENT.match(e) or (named_ok and _NAME_IN.fullmatch(e)):
            continue
        what = 'a set name or "i in Set"' if named_ok else "a set name"
        raise ValueError(f"index entry {e!r} is not {what}")
    return [re.sub(r"\s+", " ", e) for e in entries]


def expand_shorthands(doc: dict) -> dict:
    """Expand the compact notation into the canonical document (docs/model-format.md).

    Index in the key (`"x[Plants]"`, `"cap[p in Plants]"`), variable shorthand strings,
    indexed param values without the wrapper, and `"maximize"`/`"minimize"` holding the objective.
    Collects every malformed shorthand and raises one ModelError with located diagnostics."""
    diags: list[Diagnostic] = []
    out = dict(doc)

    def bad(section: str, item: str, field: str | None, msg: str, hint: str) -> None:
        diags.append(Diagnostic("bad-shorthand", msg, location=Location(section=section, item=item, field=field),
                                hint=hint))

    # objective: {"maximize": "..."} / {"minimize": "..."}
    given = [k for k in ("minimize", "maximize") if k in out]
    if given:
        k = given[0]
        if len(given) > 1:
            bad("objective", k, None, "both 'minimize' and 'maximize' are given",
                "keep one: {\"maximize\": \"<expr>\"} or {\"minimize\": \"<expr>\"}")
        elif "objective" in out or "sense" in out:
            clash = "objective" if "objective" in out else "sense"
            bad("objective", k, None, f"{k!r} already sets the sense and the objective, and {clash!r} is given too",
                f"write either {{\"{k}\": \"<expr>\"}} or \"sense\" + \"objective\", not both")
        elif not isinstance(out[k], str):
            bad("objective", k, None, f"{k!r} must hold the objective expression as a string, got {_short(out[k])}",
                f"write {{\"{k}\": \"50*small + 80*large\"}}")
        else:
            out["sense"], out["objective"] = k, out.pop(k)

    def rekey(section: str, expand) -> None:
        table = out.get(section)
        if not isinstance(table, dict):
            return
        new: dict[str, Any] = {}
        for key, val in table.items():
            name = key
            try:
                name, val = expand(str(key), val)
            except ValueError as exc:
                bad(section, str(key), *exc.args)
                continue
            if name in new:
                bad(section, name, None, f"{name!r} is declared twice (as {key!r} and before)",
                    "give each name once")
                continue
            new[name] = val
        out[section] = new

    def var(key: str, val: Any) -> tuple[str, Any]:
        kp = split_keyed(key)
        name, index = key, None
        if kp:
            name = kp[0]
            try:
                index = _index_entries(kp[1], named_ok=True)
            except ValueError as exc:
                raise ValueError("index", str(exc), 'write "x[Set1, Set2]" or "x[i in Set1, j in Set2]"') from None
        if isinstance(val, str):
            try:
                val = parse_var_shorthand(val)
            except ValueError as exc:
                raise ValueError("domain", str(exc), f"write {VAR_GRAMMAR}") from None
        elif not isinstance(val, dict):
            raise ValueError("domain", f"a variable must be a shorthand string or a mapping, got {_short(val)}",
                             f"write {VAR_GRAMMAR}, or {{\"domain\": ..., \"lb\": ..., \"ub\": ...}}")
        if index is not None:
            if isinstance(val, dict) and "index" in val:
                raise ValueError("index", f"the index is given twice: in the key {key!r} and as 'index'",
                                 "keep one of them")
            val = {"index": index, **val}
        return name, val

    def param(key: str, val: Any) -> tuple[str, Any]:
        kp = split_keyed(key)
        if not kp:
            return key, val
        try:
            index = _index_entries(kp[1], named_ok=True)
        except ValueError as exc:
            raise ValueError("index", str(exc), 'write "cost[Set1, Set2]" with set names, or '
                             '"dist[i in N, j in N]": "<expr>" for a computed param') from None
        if isinstance(val, str):
            return kp[0], {"index": index, "expr": val}
        if isinstance(val, dict) and _PARAM_SPEC_KEYS & val.keys():
            extra = sorted(str(k) for k in val.keys() - _PARAM_FIELDS)
            if extra:
                raise ValueError("values", f"{key!r} has a 'values'/'from' key, so it is read as a param spec, "
                                 f"but it also has {extra[:3]}",
                                 "when an element is named 'values', 'from' or 'expr', wrap the table: "
                                 "{\"values\": {...}}")
            if "index" in val:
                raise ValueError("index", f"the index is given twice: in the key {key!r} and as 'index'",
                                 "keep one of them")
            return kp[0], {"index": index, **val}
        if isinstance(val, (dict, list)) or (isinstance(val, (int, float)) and not isinstance(val, bool)):
            return kp[0], {"index": index, "values": val}
        raise ValueError("values", f"values of {key!r} must be a mapping, a list, a number or an expression "
                         f"string, got {_short(val)}",
                         'write e.g. "supply[Plants]": {"seattle": 350, "san_diego": 600}, or '
                         '"dist[i in N, j in N]": "sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)"')

    rekey("variables", var)
    rekey("params", param)

    cons = out.get("constraints")
    if isinstance(cons, dict):
        items: list[Any] = []
        seen: set[str] = set()
        for key, val in cons.items():
            kp = split_keyed(str(key))
            name = kp[0] if kp else key
            if name in seen:
                bad("constraints", name, None, f"constraint {name!r} is declared twice", "give each constraint its own name")
                continue
            seen.add(name)
            if kp and not kp[1]:
                bad("constraints", name, "forall", f"empty forall in {key!r}",
                    'write "name[p in Plants]" or drop the brackets')
                continue
            if isinstance(val, dict):
                if kp and "forall" in val:
                    bad("constraints", name, "forall", f"forall is given twice: in the key {key!r} and as 'forall'",
                        "keep one of them")
                    continue
                item = {"name": name, **val}
            elif isinstance(val, str):
                item = {"name": name, "expr": val}
            else:
                bad("constraints", name, "expr", f"a constraint must be an expression string or a mapping, got {_short(val)}",
                    'write "name": "x + y <= 5" or "name[i in I]": "x[i] <= cap[i]"')
                continue
            if kp:
                item["forall"] = kp[1]
            items.append(item)
        out["constraints"] = items
    if diags:
        raise ModelError(diags)
    return out


def load_model(src: str | Path | dict | Model, data_dirs: list[str | Path] | None = None,
               data_files: list[str | Path] | None = None, limits: dict[str, int] | None = None) -> Model:
    """Load and validate a model from a path, JSON/YAML text, a dict or a Model.

    The model may read data files in its folder (and below), below `data_dirs`, and the
    `data_files` themselves (solvers.data_files). `limits` overrides size limits such as
    `{"max_instances": 20_000_000}` (solvers.limits). Raises ModelError with located diagnostics
    when the document is malformed, too large or too deep."""
    from .document import check_depth, parse_text, read_model_file
    from .limits import check_limits

    lim = check_limits(limits)
    base: Path | None = None
    if isinstance(src, Model):
        model = src
    else:
        if isinstance(src, Path) or (isinstance(src, str) and _looks_like_path(src)):
            path = Path(src)
            if not path.exists():
                raise ModelError(Diagnostic("file-not-found", f"model file {str(path)!r} does not exist",
                                            location=Location(section="file"),
                                            hint="check the path"))
            text = read_model_file(path, lim)
            base = Path(os.path.realpath(path.absolute().parent))
            doc = parse_text(text, str(path), yaml_first=path.suffix.lower() in (".yaml", ".yml"), limits=lim)
        elif isinstance(src, str):
            doc = parse_text(src, "<text>", yaml_first=not src.lstrip().startswith("{"), limits=lim)
        elif isinstance(src, dict):
            check_depth(src, lim)
            doc = src
        else:
            raise ModelError(Diagnostic("bad-input", f"cannot load a model from {type(src).__name__}",
                                        hint="pass a path, JSON/YAML text, a dict or a Model"))
        if not isinstance(doc, dict):
            raise ModelError(Diagnostic("bad-document", f"a model document must be a JSON object, got {type(doc).__name__}",
                                        hint="the top level is {\"sets\": ..., \"params\": ..., ...}"))
        model = _validate(doc)
    if base is not None:
        model._base_dir = base
    if data_dirs:
        model.with_data_dirs(*data_dirs)
    if data_files:
        model.with_data_files(*data_files)
    if lim:
        model.with_limits(**lim)
    return model


def _looks_like_path(s: str) -> bool:
    s2 = s.strip()
    if "\n" in s2 or "\0" in s2 or s2.startswith("{") or len(s2) > 4096:
        return False
    try:
        return s2.lower().endswith((".json", ".yaml", ".yml")) or Path(s2).is_file()
    except (OSError, ValueError):
        return False


def _validate(doc: dict) -> Model:
    try:
        return Model.model_validate(doc)
    except ValidationError as exc:
        diags = []
        for err in exc.errors():
            loc = list(err.get("loc", ()))
            section = str(loc[0]) if loc else None
            item = None
            field = None
            if section == "constraints" and len(loc) > 1 and isinstance(loc[1], int):
                idx = loc[1]
                cons = doc.get("constraints")
                name = None
                if isinstance(cons, list) and idx < len(cons) and isinstance(cons[idx], dict):
                    name = cons[idx].get("name")
                item = str(name) if name else f"#{idx + 1}"
                field = ".".join(str(x) for x in loc[2:]) or None
            elif len(loc) > 1:
                item = str(loc[1])
                field = ".".join(str(x) for x in loc[2:]) or None
            msg = err.get("msg", "invalid")
            if err.get("type") == "extra_forbidden":
                msg = f"unknown field {str(loc[-1])!r}"
                hint = "remove it or check the spelling against docs/model-format.md"
            elif err.get("type") == "missing":
                msg = f"missing required field {str(loc[-1])!r}"
                hint = "add it"
            else:
                got = err.get("input")
                msg = f"{msg} (got {_short(got)})"
                hint = "see docs/model-format.md for the expected shape"
            diags.append(Diagnostic("schema", msg, location=Location(section=section, item=item, field=field), hint=hint))
        raise ModelError(diags) from None


def _short(x: Any) -> str:
    s = repr(x)
    return s if len(s) <= 60 else s[:57] + "..."
