"""One source for the answer format: what every prompt says agrees with the schema its call sends.

For every step and strategy (two steps, a single call in either notation, repairs, code mode) a
scripted run records each call; then
- a JSON schema sent is strict (OpenAI strict structured outputs, what litellm sends for a
  pydantic class: closed objects, every property required, no open maps, no unsupported
  keywords), and the prompt's format description lists exactly its fields;
- every example in the call's messages (a fenced ```json block) validates against that schema
  (jsonschema) and loads as (part of) a model;
- calls without a schema (compact notation: a JSON object) show examples that load as models;
- code mode's prompts ask for Python and never for JSON.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest

import solvers
from formalize.codemode.codegen import solve_with_code
from formalize.llm.testing import ScriptedLLM
from formalize.program import answer_schema, prompts
from formalize.program.answer_schema import DataAnswer, ModelAnswer, StructureAnswer, to_document
from formalize.program.pipeline import Program
from solvers import ModelError, load_model

HERE = Path(__file__).resolve().parent.parent
PROBLEM = HERE / "problems/datasets/nl4opt/cpmpy_1133974368"
TEXT = (PROBLEM / "problem.txt").read_text()
GOOD = json.loads((PROBLEM / "model.json").read_text())
OPT = 4190.0

# ---------------------------------------------------------------- an independent strict-mode check

_ALLOWED = {"type", "properties", "required", "additionalProperties", "items", "anyOf", "enum",
            "const", "description", "$ref", "$defs"}


def strict_violations(schema: dict) -> list[str]:
    """Where a schema breaks OpenAI's strict structured-output rules (empty when it fits)."""
    out: list[str] = []
    if schema.get("type") != "object" or "anyOf" in schema:
        out.append("root: must be an object, not a union")
    defs = schema.get("$defs", {})

    def walk(node: object, path: str, depth: int) -> None:
        if not isinstance(node, dict):
            out.append(f"{path}: not a schema")
            return
        for k in node:
            if k not in _ALLOWED:
                out.append(f"{path}: keyword {k!r} is not supported in strict mode")
        if "$ref" in node:
            if len(node) > 1:
                out.append(f"{path}: $ref beside other keywords")
            ref = node["$ref"]
            if not ref.startswith("#/$defs/") or ref.split("/")[-1] not in defs:
                out.append(f"{path}: $ref {ref!r} does not resolve in $defs")
            return
        is_object = node.get("type") == "object" or "properties" in node
        if is_object:
            if depth > 10:
                out.append(f"{path}: objects nested deeper than 10 levels")
            if node.get("additionalProperties") is not False:
                out.append(f"{path}: an object must close with additionalProperties: false "
                           "(an open map cannot be expressed)")
            props = node.get("properties", {})
            if sorted(node.get("required", [])) != sorted(props):
                out.append(f"{path}: every property must be required (nullable instead of optional)")
            for k, v in props.items():
                walk(v, f"{path}.{k}", depth + 1)
        elif "additionalProperties" in node:
            out.append(f"{path}: additionalProperties on a non-object")
        if "items" in node:
            walk(node["items"], f"{path}[]", depth)
        for i, alt in enumerate(node.get("anyOf", [])):
            walk(alt, f"{path}|{i}", depth)
        if len(node.get("enum", [])) > 1000:
            out.append(f"{path}: enum larger than 1000 values")

    for name, d in defs.items():
        walk(d, f"$defs.{name}", 1)
    walk({k: v for k, v in schema.items() if k != "$defs"}, "root", 0)
    return out


def test_the_strict_check_rejects_what_strict_mode_cannot_express():
    """The model document's own schema has open maps (name -> spec): strict mode cannot send it."""
    problems = strict_violations(solvers.Model.json_schema())
    assert any("open map" in p for p in problems)
    assert any("must be required" in p for p in problems)
    assert strict_violations(answer_schema.json_schema(ModelAnswer)) == []


@pytest.mark.parametrize("cls", [DataAnswer, StructureAnswer, ModelAnswer])
def test_every_answer_schema_is_strict(cls):
    schema = answer_schema.json_schema(cls)
    assert strict_violations(schema) == []
    fmt = answer_schema.response_format(cls)
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"] == schema


# ---------------------------------------------------------------- scripted runs of every kind of call


def wire(doc: dict, keys: tuple[str, ...] | None = None) -> dict:
    """The suitcase model (scalars only) in the answer format: lists of entries, nulls written."""
    out: dict = {
        "sets": [],
        "params": [{"name": n, "index": [], "value": p["value"], "values": None, "default": None,
                    "from": None, "source": p.get("source")} for n, p in doc["params"].items()],
        "sense": doc["sense"],
        "variables": [{"name": n, "index": [], "domain": v["domain"], "lb": v.get("lb"),
                       "ub": v.get("ub"), "description": v.get("description")}
                      for n, v in doc["variables"].items()],
        "objective": doc["objective"],
        "constraints": [{"name": c["name"], "forall": None, "expr": c["expr"],
                         "description": c.get("description")} for c in doc["constraints"]],
        "assumptions": [], "acknowledged": [], "note": None}
    return {k: out[k] for k in keys} if keys else out


DATA_KEYS = ("sets", "params")
STRUCT_KEYS = ("sense", "variables", "objective", "constraints", "assumptions", "acknowledged")


def misspelled(doc: dict) -> dict:
    bad = copy.deepcopy(doc)
    bad["objective"] = "cap_smal * small + cap_large * large"
    return bad


def recorded_calls() -> dict[str, list]:
    """Every kind of call the program makes, recorded from scripted runs that end verified."""
    runs: dict[str, list] = {}
    good = wire(GOOD)
    # two steps, then a repair (canonical)
    llm = ScriptedLLM([wire(GOOD, DATA_KEYS), wire(misspelled(GOOD), STRUCT_KEYS), good], name="ps-steps")
    with llm:
        f = Program(llm.client(), strategy="steps").run(TEXT)
    assert f.ok and f.solution.objective == pytest.approx(OPT)
    assert [r.step for r in f.history] == ["read", "structure", "repair"]
    runs["steps"] = llm.calls
    # a single call in the canonical notation, then a repair
    llm = ScriptedLLM([misspelled(good), good], name="ps-canonical")
    with llm:
        f = Program(llm.client(), strategy="single", notation="canonical").run(TEXT)
    assert f.ok and f.solution.objective == pytest.approx(OPT)
    runs["single-canonical"] = llm.calls
    # a single call in the compact notation, then a repair
    compact = {"variables": {"small": "integer in [0, 70]", "large": "integer in [15, 50]"},
               "maximize": "50*small + 80*large",
               "constraints": {"preference": "small >= 2*large", "total": "small + large <= 70"}}
    llm = ScriptedLLM([{**compact, "maximize": "50*smal + 80*large"}, compact], name="ps-compact")
    with llm:
        f = Program(llm.client(), strategy="single").run(TEXT)
    assert f.ok and f.solution.objective == pytest.approx(OPT)
    runs["single-compact"] = llm.calls
    # code mode, then a code repair
    code = ("```python\nimport pyomo.environ as pyo\nmodel = pyo.ConcreteModel()\n"
            "model.s = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 70))\n"
            "model.l = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(15, 50))\n"
            "model.pref = pyo.Constraint(expr=model.s >= 2 * model.l)\n"
            "model.tot = pyo.Constraint(expr=model.s + model.l <= 70)\n"
            "model.obj = pyo.Objective(expr=50 * model.s + 80 * model.l, sense=pyo.maximize)\n```")
    llm = ScriptedLLM([code.replace("model.l)", "model.ll)"), code], name="ps-code")
    with llm:
        res = solve_with_code(TEXT, llm.client())
    assert res.objective == pytest.approx(OPT)
    runs["code"] = llm.calls
    return runs


@pytest.fixture(scope="module")
def calls() -> dict[str, list]:
    return recorded_calls()


_FENCED_JSON = re.compile(r"```json\s*\n(.*?)```", re.DOTALL)


def examples(call) -> list[dict]:
    found = [json.loads(b) for m in call.messages for b in _FENCED_JSON.findall(str(m.get("content", "")))]
    assert all(isinstance(x, dict) for x in found)
    return found


def described_fields(system: str, name: str) -> set[str]:
    """The fields the prompt's format description gives for `name` (its "Name = {...}" line)."""
    line = next(ln for ln in system.splitlines() if ln.startswith(f"{name} = {{"))
    return set(re.findall(r'"(\w+)": ', line.split(" — ")[0]))


def test_every_call_of_every_strategy_agrees_with_its_schema(calls):
    kinds = {}
    for strategy, recorded in calls.items():
        for call in recorded:
            fmt = call.response_format
            system = call.messages[0]["content"]
            assert call.messages[0]["role"] == "system"
            if strategy == "code":
                kinds.setdefault("code", 0)
                kinds["code"] += 1
                assert fmt is None and "JSON" not in system and "Python code" in system
                assert "```python" in call.messages[-1]["content"] and not examples(call)
                continue
            if fmt.get("type") == "json_object":
                kinds["compact"] = kinds.get("compact", 0) + 1
                assert "compact notation" in system
                exs = examples(call)
                assert exs
                for ex in exs:
                    assert load_model(ex).variables  # the compact example is a model
                continue
            spec = fmt["json_schema"]
            schema = spec["schema"]
            kinds[spec["name"]] = kinds.get(spec["name"], 0) + 1
            assert spec["strict"] is True and strict_violations(schema) == []
            # the format text in the prompt is the schema's: every object's fields, no others
            assert described_fields(system, "Answer") == set(schema["properties"])
            for name, d in schema.get("$defs", {}).items():
                assert described_fields(system, name) == set(d["properties"]), name
            assert '"sets": name ->' not in system  # the old hand-written map format is gone
            exs = examples(call)
            assert exs, f"{strategy}: no example in the prompt"
            for ex in exs:
                jsonschema.validate(ex, schema)
                doc = to_document(ex)
                load_model(doc)  # converts and loads: a valid (partial) model
    assert kinds == {"DataAnswer": 1, "StructureAnswer": 1, "ModelAnswer": 3, "compact": 2, "code": 2}


def test_the_prompt_examples_are_one_solvable_model():
    """The examples of the data and structure steps make the full example, which solves to its
    known optimum: Chicago's 300 from Seattle at 1.7 and New York's 325 at 2.5 = 1322.5."""
    merged = {**prompts.EXAMPLE_DATA, **prompts.EXAMPLE_STRUCTURE}
    assert {**merged, "note": None} == prompts.EXAMPLE_MODEL
    model = load_model(to_document(merged))
    sol = solvers.solve(model)
    assert sol.objective == pytest.approx(1322.5)
    assert solvers.check(model, sol.values).feasible


def test_the_data_step_is_shown_only_the_data_format(calls):
    read = calls["steps"][0]
    system = read.messages[0]["content"]
    assert set(read.response_format["json_schema"]["schema"]["properties"]) == {"sets", "params"}
    assert "VariableEntry" not in system and "ConstraintEntry" not in system
    assert "Expressions are Python-like" not in system


def test_answers_are_accepted_as_the_schema_forces_them():
    """Strict mode makes every field present, null where it does not apply: such an answer
    (the canonical test model) verifies and solves to the same optimum as the map form."""
    llm = ScriptedLLM([wire(GOOD)], name="ps-nulls")
    with llm:
        f = Program(llm.client(), strategy="single", notation="canonical").run(TEXT)
    assert f.ok and f.solution.objective == pytest.approx(OPT)
    assert f.model.params["cap_small"].value == 50 and f.model.sense == "maximize"


# ---------------------------------------------------------------- the conversion


def test_to_document_turns_entries_into_the_model_document():
    ans = {"sets": [{"name": "Arcs", "elements": [["a", "b"], ["b", "c"]], "range": None,
                     "from": None, "description": None},
                    {"name": "T", "elements": None, "range": {"lo": 1, "hi": "n"}, "from": None,
                     "description": "periods"}],
           "params": [{"name": "n", "index": [], "value": 3, "values": None, "default": None,
                       "from": None, "source": "3 periods"},
                      {"name": "cap", "index": ["Arcs", "T"], "value": None, "default": 0, "from": None,
                       "values": [{"key": ["a", "b", 1], "value": 5}, {"key": ["b", "c", 2], "value": 7}],
                       "source": None}],
           "sense": "maximize", "objective": None, "note": None,
           "variables": [{"name": "x", "index": ["Arcs", "T"], "domain": "real", "lb": 0, "ub": "cap[a, b, t]",
                          "description": None}],
           "constraints": [{"name": "c", "forall": None, "expr": "x['a', 'b', 1] <= 4", "description": None}],
           "assumptions": [], "acknowledged": []}
    doc = to_document(ans)
    assert doc["sets"] == {"Arcs": {"elements": [["a", "b"], ["b", "c"]]},
                           "T": {"range": [1, "n"], "description": "periods"}}
    assert doc["params"]["n"] == {"value": 3, "source": "3 periods"}
    assert doc["params"]["cap"] == {"index": ["Arcs", "T"], "default": 0,
                                    "values": {"a,b": {"1": 5}, "b,c": {"2": 7}}}
    assert doc["constraints"] == [{"name": "c", "expr": "x['a', 'b', 1] <= 4"}]
    assert "objective" not in doc and "note" not in doc
    m = load_model({**doc, "variables": {"x": {"index": ["Arcs", "T"], "lb": 0, "ub": 10}}})
    from solvers.data import instance

    inst = instance(m)
    assert inst.params["cap"].table.sum() == 12


def test_to_document_passes_maps_through_and_reports_bad_entries():
    assert to_document(GOOD) == {k: v for k, v in GOOD.items()}
    with pytest.raises(ModelError) as exc:
        to_document({"sets": [{"elements": [1]}], "variables": [
            {"name": "x", "domain": "real"}, {"name": "x", "domain": "integer"}],
            "params": [{"name": "p", "index": ["I"], "values": [{"key": [1], "value": 2},
                                                                {"key": [1], "value": 3}]}]})
    codes = {(d.code, d.location.section, d.location.item) for d in exc.value.diagnostics}
    assert codes == {("bad-entry", "sets", "#1"), ("duplicate-name", "variables", "x"),
                     ("duplicate-key", "params", "p")}


def test_a_key_that_does_not_fit_the_index_reaches_the_loader_located():
    ans = {"sets": [{"name": "I", "elements": [1, 2]}],
           "params": [{"name": "p", "index": ["I"], "values": [{"key": [1, 9], "value": 2}]}]}
    doc = to_document(ans)
    assert doc["params"]["p"]["values"] == [[1, 9, 2]]  # rows: the loader says what is wrong
    with pytest.raises(ModelError) as exc:
        from solvers.data import instance

        instance(load_model(doc))
    assert any(d.location.item == "p" for d in exc.value.diagnostics)
