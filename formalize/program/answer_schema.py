"""The answer formats the program's steps ask for: one pydantic model per step, the strict JSON
schema sent with the call, the prompt's description of the format, and the conversion to a model
document.

One source: the prompt's format text (`describe`) and the schema sent (`response_format`) are
both generated from the same classes, and the prompt's examples are checked against that schema
(tests/test_prompt_schema.py). The schemas fit OpenAI's strict structured outputs (what litellm
sends for a pydantic class): every object closes with `additionalProperties: false` and lists
every property as required (a field that does not apply is written `null`), and there are no open
maps — a table of named things is a list of entries with a `name`, an indexed param's values a
list of `{"key": [...], "value": v}` entries. `to_document` turns an answer into the canonical
model document `solvers.load_model` reads; an answer written in the canonical or compact notation
instead (maps) passes through unchanged.

| step | schema |
|---|---|
| read (data) | `DataAnswer`: sets, params |
| structure | `StructureAnswer`: sense, variables, objective, constraints, assumptions, acknowledged |
| single call / repair (canonical) | `ModelAnswer`: both, and a `note` |
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from solvers.diagnostics import Diagnostic, Location, ModelError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Range(_Strict):
    """An integer range, both ends included."""

    lo: int | str = Field(description="the first integer, or the name of a scalar integer param")
    hi: int | str = Field(description="the last integer (included), or the name of a scalar integer param")


class FileColumn(_Strict):
    """A binding to a column of an attached data file."""

    file: str = Field(description="the attached file's name")
    column: str | None = Field(description="the column holding the param's values or the set's elements")
    columns: list[str] | None = Field(description="the element columns of a set of tuples; else null")
    keys: list[str] | None = Field(description="the key columns of an indexed param, in index order; "
                                               "null: the first columns")


class SetEntry(_Strict):
    """An index set: its elements, an integer range, or a data-file column (the others null)."""

    name: str = Field(description="an identifier, e.g. \"Plants\"")
    elements: list[str | int | list[str | int]] | None = Field(
        description="the elements in order: strings or integers; a tuple as a list")
    range: Range | None = Field(description="the integers lo..hi, instead of elements")
    from_: FileColumn | None = Field(alias="from", description="a data-file column, instead of elements")
    expr: str | None = Field(description="a set defined from declared sets, instead of elements: "
                                         "\"(i, j) in N * N if i != j\", \"A | B\", \"A - B\", \"A * B\", "
                                         "\"keys(cost)\"; else null")
    description: str | None = Field(description="what the set is, or null")


class Entry(_Strict):
    """One value of an indexed param."""

    key: list[str | int] = Field(description="one element of each index set, in index order (a tuple "
                                             "element takes one position per part)")
    value: float = Field(description="the number, copied from the text")


class ParamEntry(_Strict):
    """A number of the problem (scalar) or a table of numbers (indexed by sets)."""

    name: str = Field(description="an identifier, e.g. \"supply\"")
    index: list[str] = Field(description="the sets it is indexed by, in order; [] for a scalar; \"i in S\" "
                                         "names the index for expr")
    value: float | None = Field(description="a scalar's number; null when indexed")
    values: list[Entry] | None = Field(description="an indexed param's entries; null for a scalar")
    default: float | None = Field(description="the value of every entry not listed, or null")
    from_: FileColumn | None = Field(alias="from", description="a data-file column holding the values, "
                                                              "instead of value/values")
    expr: str | None = Field(description="a param computed from other params (never compute numbers "
                                         "yourself), instead of value/values: e.g. \"sqrt((x[i] - x[j])**2 + "
                                         "(y[i] - y[j])**2)\" with index [\"i in N\", \"j in N\"]; else null")
    source: str | None = Field(
        description="the exact quote of the text the number comes from; copy every number exactly "
                    "(20% may be written 0.2); a number the text does not state gives its "
                    "derivation, e.g. \"derived: 8 * 5 = 40\"; a number of the model's own (a "
                    "priority weight, a big-M) says so: \"modelling: priority weight\"")


class VariableEntry(_Strict):
    """Decision variables, one per combination of the index sets' elements."""

    name: str = Field(description="an identifier, e.g. \"ship\"")
    index: list[str] = Field(description="the sets it is indexed by ([] for one variable); \"i in S\" "
                                         "names the index for a bound expression")
    domain: Literal["real", "integer", "binary"] = Field(
        description="integer when the text counts indivisible things (people, trucks, items)")
    lb: float | str | None = Field(description="lower bound: a number, an expression over params, or "
                                               "null (none); 0 for quantities that cannot be negative")
    ub: float | str | None = Field(description="upper bound: a number, an expression over params, or null")
    description: str | None = Field(description="what it decides, or null")


class ConstraintEntry(_Strict):
    """A named constraint, written once over its index sets."""

    name: str = Field(description="an identifier, e.g. \"supply_limit\"")
    forall: str | None = Field(description="the sets it repeats over, e.g. \"p in Plants\" or \"i in I, "
                                           "j in J if i != j\"; null for one constraint")
    expr: str = Field(description="the relation, e.g. \"sum(ship[p, m] for m in Markets) <= supply[p]\"")
    description: str | None = Field(description="what the text says, or null")


class Acknowledged(_Strict):
    """A number of the text the model deliberately does not use."""

    number: str = Field(description="the number as the text writes it, e.g. \"1.33\"")
    reason: str = Field(description="why the model does not need it, e.g. \"exercise number\"")


class DataAnswer(_Strict):
    """Step 1 of 2: the data of the problem."""

    sets: list[SetEntry] = Field(description="the index sets")
    params: list[ParamEntry] = Field(description="every number the problem gives, with its quote")


class StructureAnswer(_Strict):
    """Step 2 of 2: the structure over the declared symbols."""

    sense: Literal["minimize", "maximize", "feasibility"] = Field(description="what the objective does")
    variables: list[VariableEntry] = Field(description="the decision variables")
    objective: str | None = Field(description="an expression, e.g. \"sum(cost[p, m] * ship[p, m] for p "
                                              "in Plants for m in Markets)\"; null for feasibility")
    constraints: list[ConstraintEntry] = Field(description="every condition the text states")
    assumptions: list[str] = Field(description="readings you make where the text is silent or "
                                               "ambiguous (shown to the user); [] when none")
    acknowledged: list[Acknowledged] = Field(description="numbers of the text the model deliberately "
                                                         "does not use, each with the reason; [] when none")


class ModelAnswer(_Strict):
    """The complete model (a single call, or a repair)."""

    sets: list[SetEntry] = DataAnswer.model_fields["sets"]
    params: list[ParamEntry] = DataAnswer.model_fields["params"]
    sense: Literal["minimize", "maximize", "feasibility"] = StructureAnswer.model_fields["sense"]
    variables: list[VariableEntry] = StructureAnswer.model_fields["variables"]
    objective: str | None = StructureAnswer.model_fields["objective"]
    constraints: list[ConstraintEntry] = StructureAnswer.model_fields["constraints"]
    assumptions: list[str] = StructureAnswer.model_fields["assumptions"]
    acknowledged: list[Acknowledged] = StructureAnswer.model_fields["acknowledged"]
    note: str | None = Field(description="\"infeasible as stated\" when the text itself is "
                                         "contradictory (after an INFEASIBLE report); otherwise null")


# ------------------------------------------------------------------------------- schemas

_DROP = ("title", "default")


def _strict(node: Any) -> Any:
    """The strict form of a pydantic schema node: closed objects, every property required,
    no titles or defaults, no `$ref` beside other keywords."""
    if isinstance(node, list):
        return [_strict(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: ({n: _strict(s) for n, s in v.items()} if k in ("properties", "$defs") else _strict(v))
           for k, v in node.items() if k not in _DROP}
    if "$ref" in out and len(out) > 1:  # strict mode reads a $ref alone: wrap it
        ref = {"$ref": out.pop("$ref")}
        out["anyOf"] = [ref]
    if out.get("type") == "object" or "properties" in out:
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    return out


@functools.cache
def _schema(cls: type[BaseModel]) -> dict:
    return _strict(cls.model_json_schema(by_alias=True))


def json_schema(cls: type[BaseModel]) -> dict:
    """The strict JSON schema of an answer class (a fresh copy: callers may change it)."""
    return copy.deepcopy(_schema(cls))


def response_format(cls: type[BaseModel]) -> dict:
    """The `response_format` a step sends: its answer class's strict JSON schema."""
    return {"type": "json_schema",
            "json_schema": {"name": cls.__name__, "schema": json_schema(cls), "strict": True}}


# ------------------------------------------------------------------------------- the prompt


def _type(node: dict, defs: dict) -> str:
    """A short type sketch of a schema node: `string | null`, `[Entry, ...]`, `"a" | "b"`."""
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in node:
        return " | ".join(_type(n, defs) for n in node["anyOf"])
    if "enum" in node:
        return " | ".join(json.dumps(v) for v in node["enum"])
    t = node.get("type")
    if t == "array":
        return f"[{_type(node.get('items', {}), defs)}, ...]"
    return str(t or "any")


def _object(name: str, node: dict, defs: dict) -> list[str]:
    props = node.get("properties", {})
    head = "{" + ", ".join(f"\"{k}\": {_type(v, defs)}" for k, v in props.items()) + "}"
    lines = [f"{name} = {head}" + (f" — {node['description']}" if node.get("description") else "")]
    lines += [f"  - \"{k}\": {v['description']}" for k, v in props.items() if v.get("description")]
    return lines


def describe(cls: type[BaseModel]) -> str:
    """The format of an answer class for the prompt, generated from its strict schema: the
    answer object, then each kind of entry, with every field's description."""
    schema = _schema(cls)
    defs = schema.get("$defs", {})
    lines = ["Answer with one JSON object in this format (every field is required; write null — or [] "
             "for a list — where a field does not apply):"]
    lines += _object("Answer", schema, defs)
    for name in _used_defs(schema, defs):
        lines += _object(name, defs[name], defs)
    return "\n".join(lines)


def _used_defs(schema: dict, defs: dict) -> list[str]:
    """The definitions reachable from the schema, in first-use order."""
    seen: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    seen.append(name)
                    walk(defs.get(name, {}))
            for k, v in node.items():
                if k != "$defs":
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    return seen


def example(doc: dict) -> str:
    """An example answer as the prompt shows it (a fenced JSON block)."""
    return "```json\n" + json.dumps(doc, ensure_ascii=False) + "\n```"


# ------------------------------------------------------------------------------- conversion


def to_document(answer: dict) -> dict:
    """The model document of an answer: lists of named entries become maps, nulls are dropped,
    param entries become nested mappings. Sections already written as maps (the canonical or
    compact notation) pass unchanged. Raises ModelError (located) for an entry without a name,
    a name given twice, or a param key given twice."""
    diags: list[Diagnostic] = []
    doc = {k: v for k, v in answer.items() if k not in ("sets", "params", "variables", "constraints")
           and v is not None}
    dims = _set_dims(answer.get("sets"))
    for section, convert in (("sets", _set), ("params", _param), ("variables", _plain)):
        table = answer.get(section)
        if isinstance(table, list):
            doc[section] = _table(section, table, lambda name, e, c=convert: c(name, e, dims, diags), diags)
        elif table is not None:
            doc[section] = table
    cons = answer.get("constraints")
    if isinstance(cons, list):
        doc["constraints"] = [_drop_nulls(c) if isinstance(c, dict) else c for c in cons]
    elif cons is not None:
        doc["constraints"] = cons
    if diags:
        raise ModelError(diags)
    return doc


def _drop_nulls(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if v is not None}


def _table(section: str, entries: list, convert: Any, diags: list[Diagnostic]) -> dict:
    out: dict[str, Any] = {}
    for i, e in enumerate(entries):
        name = e.get("name") if isinstance(e, dict) else None
        if not isinstance(name, str) or not name.strip():
            diags.append(Diagnostic("bad-entry", f"{section} entry #{i + 1} has no \"name\"",
                                    location=Location(section=section, item=f"#{i + 1}"),
                                    hint="each entry is an object with a \"name\" and its fields"))
            continue
        if name in out:
            diags.append(Diagnostic("duplicate-name", f"{section} entry {name!r} is given twice",
                                    location=Location(section=section, item=name),
                                    hint="give each name once"))
            continue
        out[name] = convert(name, {k: v for k, v in e.items() if k != "name"})
    return out


def _plain(name: str, e: dict, dims: dict, diags: list[Diagnostic]) -> dict:
    return _drop_nulls(e)


def _set(name: str, e: dict, dims: dict, diags: list[Diagnostic]) -> dict:
    out = _drop_nulls(e)
    r = out.get("range")
    if isinstance(r, dict) and set(r) <= {"lo", "hi"}:
        out["range"] = [r.get("lo"), r.get("hi")]
    return out


def _set_dims(sets: Any) -> dict[str, int]:
    """Each set's dimension (tuple length), as written in the answer's set entries."""
    dims: dict[str, int] = {}
    if not isinstance(sets, list):
        return dims
    for s in sets:
        if not isinstance(s, dict) or not isinstance(s.get("name"), str):
            continue
        el, src = s.get("elements"), s.get("from")
        if isinstance(el, list) and el and isinstance(el[0], list):
            dims[s["name"]] = len(el[0])
        elif isinstance(src, dict) and isinstance(src.get("columns"), list) and src["columns"]:
            dims[s["name"]] = len(src["columns"])
        else:
            dims[s["name"]] = 1
    return dims


def _param(name: str, e: dict, dims: dict, diags: list[Diagnostic]) -> dict:
    out = _drop_nulls(e)
    if not out.get("index"):
        out.pop("index", None)
    values = out.get("values")
    if isinstance(values, list) and all(isinstance(v, dict) for v in values):
        out["values"] = _nested(name, values, [dims.get(s, 1) if isinstance(s, str) else 1
                                               for s in out.get("index", [])], diags)
    return out


def _nested(name: str, entries: list[dict], dims: list[int], diags: list[Diagnostic]) -> Any:
    """Entries → the nested mapping the loader reads (a tuple element is one key "a,b"); rows
    `[key..., value]` when a key does not fit the index (the loader then says where)."""
    where = {"section": "params", "item": name, "field": "values"}
    rows: list[list] = []
    for i, en in enumerate(entries):
        key, value = en.get("key"), en.get("value")
        if not isinstance(key, list) or "value" not in en:
            diags.append(Diagnostic("bad-entry", f"param {name!r}: entry #{i + 1} is not "
                                    "{\"key\": [...], \"value\": number}", location=Location(**where),
                                    hint="write each entry as {\"key\": [\"a\", \"x\"], \"value\": 3}"))
            return None
        rows.append([*key, value])
    if not dims or any(len(r) - 1 != sum(dims) for r in rows):
        return rows
    nested: dict = {}
    for r in rows:
        parts, pos = [], 0
        for d in dims:
            group = r[pos:pos + d]
            parts.append(str(group[0]) if d == 1 else ",".join(map(str, group)))
            pos += d
        node = nested
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                break
        if parts[-1] in node:
            diags.append(Diagnostic("duplicate-key", f"param {name!r}: the key {r[:-1]} is given twice",
                                    location=Location(**where, index=tuple(r[:-1])),
                                    hint="give each key once"))
            continue
        node[parts[-1]] = r[-1]
    return nested


__all__ = ["Acknowledged", "ConstraintEntry", "DataAnswer", "Entry", "FileColumn", "ModelAnswer",
           "ParamEntry", "Range", "SetEntry", "StructureAnswer", "VariableEntry", "describe",
           "example", "json_schema", "response_format", "to_document"]
