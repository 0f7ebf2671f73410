"""Loading model documents and resolving their data: shapes, files, and located errors."""

import json
import math

import numpy as np
import pytest

from solvers import ModelError, load_model
from solvers.data import instance

BASE = {
    "name": "t",
    "sense": "minimize",
    "sets": {"P": ["a", "b"], "M": {"elements": ["x", "y", "z"]}, "T": {"range": [1, "H"]},
             "Arcs": [["a", "x"], ["b", "y"]]},
    "params": {"H": 4, "rate": {"value": 0.2, "source": "20%"},
               "c": {"index": ["P", "M"], "values": {"a": {"x": 1, "y": 2, "z": 3}, "b": {"x": 4, "y": 5, "z": 6}}},
               "dense": {"index": ["P", "M"], "values": [[1, 2, 3], [4, 5, 6]]},
               "rows": {"index": ["P", "M"], "values": [["a", "x", 7], ["b", "z", 8]], "default": 0},
               "w": {"index": ["Arcs"], "values": [["a", "x", 1.5], ["b", "y", 2.5]]},
               "d": {"index": ["T"], "values": {"1": 10, "2": 20, "3": 30, "4": 40}}},
    "variables": {"x": {"index": ["P", "M"], "lb": 0}},
    "objective": "sum(c[p, m] * x[p, m] for p in P for m in M)",
    "constraints": [],
}


def diag(doc, code=None):
    with pytest.raises(ModelError) as exc:
        instance(load_model(doc))
    ds = exc.value.diagnostics
    if code:
        assert any(d.code == code for d in ds), [str(d) for d in ds]
    return ds


def test_shapes_resolve_to_the_same_table():
    inst = instance(load_model(BASE))
    assert inst.sets["T"].elements == [1, 2, 3, 4]
    assert inst.sets["Arcs"].dim == 2 and ("a", "x") in inst.sets["Arcs"]
    assert np.array_equal(inst.params["c"].table, inst.params["dense"].table)
    r = inst.params["rows"]
    assert r.get(("a", "x"), inst) == 7 and r.get(("a", "y"), inst) == 0
    assert inst.params["w"].get((("b", "y"),), inst) == 2.5
    assert inst.params["w"].get(("b", "y"), inst) == 2.5
    assert inst.params["d"].get((3,), inst) == 30
    assert float(inst.params["rate"].table) == 0.2


def test_json_yaml_and_path(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps(BASE))
    m = load_model(tmp_path / "m.json")
    assert m.base_dir == tmp_path and m.sense == "minimize"
    import yaml

    (tmp_path / "m.yaml").write_text(yaml.safe_dump(BASE))
    assert load_model(str(tmp_path / "m.yaml")).to_dict() == m.to_dict()
    assert load_model(json.dumps(BASE)).params["H"].value == 4


def test_csv_binding(tmp_path):
    (tmp_path / "costs.csv").write_text("plant,market,cost\na,x,1.5\na,y,2\nb,z,3\n")
    doc = json.loads(json.dumps(BASE))
    doc["params"]["fc"] = {"index": ["P", "M"], "from": {"file": "costs.csv", "column": "cost"}, "default": 0}
    doc["sets"]["Plants2"] = {"from": {"file": "costs.csv", "column": "plant"}}
    (tmp_path / "m.json").write_text(json.dumps(doc))
    inst = instance(load_model(tmp_path / "m.json"))
    assert inst.params["fc"].get(("a", "x"), inst) == 1.5 and inst.params["fc"].get(("b", "x"), inst) == 0
    assert inst.sets["Plants2"].elements == ["a", "b"]


def test_csv_errors(tmp_path):
    (tmp_path / "bad.csv").write_text("plant,market,cost\na,x,1\nq,x,2\n")
    doc = json.loads(json.dumps(BASE))
    doc["params"]["fc"] = {"index": ["P", "M"], "from": {"file": "bad.csv", "column": "cost"}}
    (tmp_path / "m.json").write_text(json.dumps(doc))
    (d,) = diag(tmp_path / "m.json", "unknown-key")
    assert "row 3" in d.message and d.location.item == "fc"
    doc["params"]["fc"]["from"]["file"] = "missing.csv"
    (tmp_path / "m.json").write_text(json.dumps(doc))
    diag(tmp_path / "m.json", "file-not-found")


@pytest.mark.parametrize("patch,code", [
    ({"params": {"H": float("nan")}}, "non-finite"),
    ({"params": {"c": {"index": ["P", "M"], "values": {"a": {"x": float("inf")}}}}}, "non-finite"),
    ({"params": {"c": {"index": ["P", "M"], "values": {"a": {"q": 1}}}}}, "unknown-key"),
    ({"params": {"c": {"index": ["P", "Q"], "values": {}}}}, "undeclared-set"),
    ({"params": {"c": {"index": ["P", "M"], "values": [[1, 2], [3, 4]]}}}, "param-shape"),
    ({"params": {"c": {"index": ["P", "M"], "values": {"a": {"x": "ten"}}}}}, "bad-number"),
    ({"sets": {"P": ["a", "a"]}}, "duplicate-element"),
    ({"sets": {"P": [["a", "b"], "c"]}}, "set-shape"),
    ({"sets": {"T": {"range": [1, "nope"]}}}, "undeclared-symbol"),
    ({"sets": {"T": {"range": [1, 10**9]}}}, "set-too-large"),
])
def test_data_errors_are_located(patch, code):
    doc = json.loads(json.dumps(BASE))
    for k, v in patch.items():
        doc[k].update(v)
    ds = diag(doc, code)
    assert all(d.location.section in ("params", "sets") and d.hint is not None for d in ds if d.code == code)


@pytest.mark.parametrize("doc,section,field", [
    ({"sense": "upward"}, "sense", None),
    ({"variables": {"x": {"domain": "complex"}}}, "variables", "domain"),
    ({"variables": {"x": {"lbound": 0}}}, "variables", "lbound"),
    ({"constraints": [{"name": "c"}]}, "constraints", "expr"),
    ({"constraints": [{"expr": "x <= 1"}]}, "constraints", "name"),
])
def test_schema_errors_are_located(doc, section, field):
    with pytest.raises(ModelError) as exc:
        load_model(doc)
    d = exc.value.diagnostics[0]
    assert d.code == "schema" and d.location.section == section
    if field:
        assert d.location.field == field or field in d.message


def test_bad_text_and_types():
    for bad in ["{not json", "[1, 2]", 42]:
        with pytest.raises(ModelError) as exc:
            load_model(bad)
        assert exc.value.diagnostics[0].code in ("bad-json", "bad-yaml", "bad-document", "bad-input")


def test_aliases_and_shorthands():
    m = load_model({"sense": "max", "variables": {"n": {"domain": "int"}}, "params": {"k": 3},
                    "constraints": {"cap": {"expr": "n <= k"}}})
    assert m.sense == "maximize" and m.variables["n"].domain == "integer"
    assert m.constraints[0].name == "cap" and m.params["k"].value == 3
    assert load_model({"sense": None}).is_feasibility
    assert math.isclose(instance(load_model(BASE)).params["c"].get(("b", "z"), instance(load_model(BASE))), 6)


def test_empty_and_unicode_sets():
    m = load_model({"sets": {"Städte": ["köln", "münchen"], "E": []}})
    inst = instance(m)
    assert inst.sets["Städte"].pos["münchen"] == 1 and len(inst.sets["E"]) == 0


def test_json_schema_describes_the_document():
    from solvers import Model

    s = Model.json_schema()
    props = s["properties"]
    assert {"sets", "params", "variables", "objective", "constraints", "sense"} <= set(props)
    assert "from" in json.dumps(s)  # aliases, as the documents spell them
