"""Compact notation: every shorthand expands to the canonical document, malformed shorthands are
located errors, and `to_compact` round-trips every model under problems/ to the same lowering."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import solvers
from solvers import ModelError, load_model
from solvers.compact import to_compact
from solvers.lower import lower

ROOT = Path(__file__).resolve().parent.parent
MODELS = sorted([*ROOT.glob("problems/examples/*/model.json"),
                 *ROOT.glob("problems/datasets/*/*/model.json")])


def canon(doc: dict) -> dict:
    """The canonical dict of a document (after shorthand expansion and validation)."""
    return load_model(doc).to_dict()


def diags_of(doc: dict) -> list:
    with pytest.raises(ModelError) as exc:
        load_model(doc)
    return exc.value.diagnostics


# --------------------------------------------------------------------------- shorthands


@pytest.mark.parametrize(("text", "expected"), [
    ("integer >= 0", {"domain": "integer", "lb": 0.0}),
    ("real in [0, 70]", {"domain": "real", "lb": 0.0, "ub": 70.0}),
    ("real <= 12.5", {"domain": "real", "ub": 12.5}),
    ("binary", {"domain": "binary"}),
    ("continuous >= -3", {"domain": "real", "lb": -3.0}),
    ("int in [min_large, avail_large]", {"domain": "integer", "lb": "min_large", "ub": "avail_large"}),
    ("real in [0, min(cap[i, j], 5)]", {"domain": "real", "lb": 0.0, "ub": "min(cap[i, j], 5)"}),
])
def test_variable_shorthand(text, expected):
    sets = {"I": [1, 2], "J": [1]}
    params = {"cap[I, J]": [[3], [9]], "min_large": 15, "avail_large": 50}
    key = "x[i in I, j in J]" if "cap[i, j]" in text else "x"
    got = canon({"sets": sets, "params": params, "variables": {key: text}})["variables"]["x"]
    index = ["i in I", "j in J"] if "cap[i, j]" in text else []
    assert got == {"index": index, **expected}


def test_index_in_key_for_variables_params_constraints():
    short = {
        "sets": {"Plants": ["sea", "sd"], "Markets": ["ny", "chi"]},
        "params": {"supply[Plants]": {"sea": 350, "sd": 600}, "demand[Markets]": [325, 300],
                   "cost[Plants, Markets]": {"values": [[1, 2], [3, 4]], "source": "the table"}},
        "variables": {"ship[p in Plants, m in Markets]": "real >= 0", "open[Plants]": "binary",
                      "z": {"domain": "integer", "description": "kept as a mapping"}},
        "minimize": "sum(cost[p, m] * ship[p, m] for p in Plants for m in Markets)",
        "constraints": {"supply_limit[p in Plants]": "sum(ship[p, m] for m in Markets) <= supply[p] * open[p]",
                        "demand_met[m in Markets]": {"expr": "sum(ship[p, m] for p in Plants) >= demand[m]",
                                                     "description": "meet demand"},
                        "few": "sum(open[p] for p in Plants) <= 1"},
    }
    full = {
        "sense": "minimize",
        "sets": {"Plants": ["sea", "sd"], "Markets": ["ny", "chi"]},
        "params": {"supply": {"index": ["Plants"], "values": {"sea": 350, "sd": 600}},
                   "demand": {"index": ["Markets"], "values": [325, 300]},
                   "cost": {"index": ["Plants", "Markets"], "values": [[1, 2], [3, 4]], "source": "the table"}},
        "variables": {"ship": {"index": ["p in Plants", "m in Markets"], "domain": "real", "lb": 0},
                      "open": {"index": ["Plants"], "domain": "binary"},
                      "z": {"domain": "integer", "description": "kept as a mapping"}},
        "objective": "sum(cost[p, m] * ship[p, m] for p in Plants for m in Markets)",
        "constraints": [
            {"name": "supply_limit", "forall": "p in Plants",
             "expr": "sum(ship[p, m] for m in Markets) <= supply[p] * open[p]"},
            {"name": "demand_met", "forall": "m in Markets",
             "expr": "sum(ship[p, m] for p in Plants) >= demand[m]", "description": "meet demand"},
            {"name": "few", "expr": "sum(open[p] for p in Plants) <= 1"},
        ],
    }
    assert canon(short) == canon(full)
    # demand 625 needs both plants (350 + 600): with "few" ≤ 1 infeasible, relaxed to 2 it solves
    assert solvers.solve(short).status == solvers.Status.INFEASIBLE
    sol = solvers.solve({**short, "constraints": {**short["constraints"], "few": "sum(open[p] for p in Plants) <= 2"}})
    assert sol.status == solvers.Status.OPTIMAL
    # sea→ny 325 at 1, sea→chi 25 at 2, sd→chi 275 at 4: 325 + 50 + 1100 = 1475
    assert sol.objective == pytest.approx(1475)


def test_maximize_key_and_inline_numbers_solve_to_known_optimum():
    # nl4opt snack suitcases: max 50 s + 80 l, s ≥ 2 l, s + l ≤ 70, s ≤ 70, 15 ≤ l ≤ 50 → s=47, l=23
    doc = {"variables": {"small": "integer in [0, 70]", "large": "integer in [15, 50]"},
           "maximize": "50*small + 80*large",
           "constraints": {"preference": "small >= 2*large", "total": "small + large <= 70"}}
    m = load_model(doc)
    assert (m.sense, m.objective) == ("maximize", "50*small + 80*large")
    sol = solvers.solve(m)
    assert sol.objective == pytest.approx(50 * 47 + 80 * 23)


def test_param_spec_forms_with_index_in_key():
    base = {"sets": {"S": ["a", "b"]}}
    c = canon({**base, "params": {"p[S]": 4, "q[S]": {"values": {"a": 1}, "default": 0},
                                  "r[S]": {"from": {"file": "r.csv", "column": "v"}}}})["params"]
    assert c["p"] == {"index": ["S"], "values": 4}
    assert c["q"] == {"index": ["S"], "values": {"a": 1}, "default": 0}
    assert c["r"] == {"index": ["S"], "from": {"file": "r.csv", "column": "v"}}


# --------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(("doc", "section", "item", "field", "words"), [
    ({"variables": {"x": "integr >= 0"}}, "variables", "x", "domain", "unknown domain 'integr'"),
    ({"variables": {"x": "real >= "}}, "variables", "x", "domain", "missing bound"),
    ({"variables": {"x": "real >= 0 <= 5"}}, "variables", "x", "domain", "more than one bound"),
    ({"variables": {"x": "real in [1]"}}, "variables", "x", "domain", "exactly two bounds"),
    ({"variables": {"x": "real between 0 and 1"}}, "variables", "x", "domain", "cannot read"),
    ({"variables": {"x": 5}}, "variables", "x", "domain", "shorthand string or a mapping"),
    ({"variables": {"y[p in]": "binary"}}, "variables", "y[p in]", "index", "'p in'"),
    ({"variables": {"y[P]": {"index": ["P"], "domain": "binary"}}}, "variables", "y[P]", "index", "given twice"),
    ({"variables": {"y": "binary", "y[P]": "binary"}}, "variables", "y", None, "declared twice"),
    ({"params": {"a[P + 1]": [1]}}, "params", "a[P + 1]", "index", "not a set name"),
    ({"params": {"a[P]": True}}, "params", "a[P]", "values", "a mapping, a list, a number or an expression"),
    ({"params": {"a[P]": {"index": ["P"], "values": [1]}}}, "params", "a[P]", "index", "given twice"),
    ({"params": {"a[P]": {"values": 1, "b": 2}}}, "params", "a[P]", "values", "read as a param spec"),
    ({"constraints": {"c[]": "x <= 1"}}, "constraints", "c", "forall", "empty forall"),
    ({"constraints": {"c[i in I]": {"forall": "i in I", "expr": "x <= 1"}}}, "constraints", "c", "forall", "given twice"),
    ({"constraints": {"c": 3}}, "constraints", "c", "expr", "expression string or a mapping"),
    ({"constraints": {"c": "x <= 1", "c[i in I]": "x <= 2"}}, "constraints", "c", None, "declared twice"),
    ({"maximize": "x", "minimize": "x"}, "objective", "minimize", None, "both"),
    ({"maximize": "x", "objective": "x"}, "objective", "maximize", None, "'objective' is given too"),
    ({"minimize": "x", "sense": "minimize"}, "objective", "minimize", None, "'sense' is given too"),
    ({"maximize": ["x"]}, "objective", "maximize", None, "as a string"),
])
def test_malformed_shorthand_is_located(doc, section, item, field, words):
    ds = diags_of(doc)
    assert len(ds) == 1, [str(d) for d in ds]
    d = ds[0]
    assert d.code == "bad-shorthand"
    assert (d.location.section, d.location.item, d.location.field) == (section, item, field)
    assert words in d.message
    assert d.hint


def test_all_malformed_shorthands_are_reported_together():
    ds = diags_of({"variables": {"x": "rael", "y": "real >="}, "constraints": {"c[]": "x <= 1"}})
    assert sorted(d.location.item for d in ds) == ["c", "x", "y"]


# --------------------------------------------------------------------------- serializer


def test_to_compact_shape_of_transport():
    m = load_model(ROOT / "problems/examples/transport/model.json")
    c = to_compact(m, keep_provenance=False)
    assert c["sets"] == {"Plants": ["seattle", "san_diego"], "Markets": ["new_york", "chicago", "topeka"]}
    assert c["params"]["supply[Plants]"] == [350, 600]
    assert c["params"]["freight"] == 90
    assert c["variables"] == {"ship[Plants, Markets]": "real >= 0"}
    assert "minimize" in c and "objective" not in c and "sense" not in c
    assert c["constraints"]["supply_limit[p in Plants]"] == "sum(ship[p, m] for m in Markets) <= supply[p]"
    text = json.dumps(c)
    assert "description" not in text and "source" not in text
    kept = to_compact(m)
    assert kept["params"]["freight"] == {"value": 90, "source": "Freight costs $90 per case per thousand miles"}
    assert kept["constraints"]["demand_met[m in Markets]"]["description"].startswith("every market")
    assert kept["variables"]["ship[Plants, Markets]"]["description"]
    # inlining: freight is used once → its value goes into the objective
    inl = to_compact(m, keep_provenance=False, inline_scalars=True)
    assert "freight" not in inl["params"] and inl["minimize"].startswith("sum(90 * dist[p, m]")


def test_inlining_skips_reused_shadowed_and_negative_values_are_parenthesized():
    doc = {"params": {"a": 2, "b": -3, "i": 4, "unused": 7},
           "sets": {"S": [1, 2]},
           "variables": {"x[S]": "real in [0, 10]"},
           "maximize": "sum(a * x[i] for i in S) + a",
           "constraints": {"c": "x[1] ** 2 <= 50 + b"}}
    c = to_compact(doc, keep_provenance=False, inline_scalars=True)
    assert c["params"] == {"a": 2, "i": 4, "unused": 7}  # a used twice, i rebound, unused kept
    assert c["constraints"]["c"] == "x[1] ** 2 <= 50 + (-3)"


def test_tables_dense_when_complete_sparse_and_colliding_keys_stay_explicit():
    elems = ["values", *"bcdefghij"]
    doc = {"sets": {"S": elems, "T": list(range(30))},
           "params": {"p[S]": {"values": {"values": 1}},  # sparse: bare, it would read as a spec
                      "q[S]": {"values": {e: i for i, e in enumerate(elems)}},  # complete: a list
                      "r[T]": {"values": {"3": 2}, "default": 0}}}  # sparse + default is shorter
    c = to_compact(doc, keep_provenance=False)
    assert c["params"]["p[S]"] == {"values": {"values": 1}}
    assert c["params"]["q[S]"] == list(range(10))
    assert c["params"]["r[T]"] == {"values": {"3": 2}, "default": 0}
    assert canon(c) == canon({"sets": {"S": elems, "T": list(range(30))}, "params": {
        "p": {"index": ["S"], "values": {"values": 1}},
        "q": {"index": ["S"], "values": list(range(10))},
        "r": {"index": ["T"], "values": {"3": 2}, "default": 0}}})


def _lowered(m: solvers.Model):
    try:
        return lower(m, "highs")
    except ModelError as exc:
        return lower(m, "scip" if any(d.code == "needs-scip" for d in exc.diagnostics) else "cpsat")


def _same_lowering(a, b) -> None:
    assert a.sense == b.sense and a.problem_class == b.problem_class
    for f in ("col_lb", "col_ub", "integrality", "obj", "q_rows", "q_cols", "q_vals",
              "a_start", "a_index", "a_value", "row_lo", "row_hi"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    assert a.obj_offset == b.obj_offset
    assert a.col_names() == b.col_names() and a.row_names() == b.row_names()
    assert [(c.kind, c.name, repr(c.key), repr(c.data)) for c in a.cp_constraints] == \
        [(c.kind, c.name, repr(c.key), repr(c.data)) for c in b.cp_constraints]
    assert [(c.name, repr(c.key), repr(c.tree), c.lo, c.hi) for c in a.nl_constraints] == \
        [(c.name, repr(c.key), repr(c.tree), c.lo, c.hi) for c in b.nl_constraints]
    assert repr(a.nl_objective) == repr(b.nl_objective)


def test_there_are_models_to_round_trip():
    assert len(MODELS) >= 40


@pytest.mark.parametrize("path", MODELS, ids=lambda p: str(p.parent.relative_to(ROOT / "problems")))
def test_round_trip_same_lowering(path: Path):
    m = load_model(path)
    ref = _lowered(m)
    for kw in ({}, {"keep_provenance": False}, {"keep_provenance": False, "inline_scalars": True}):
        doc = to_compact(m, **kw)
        doc = json.loads(json.dumps(doc))  # what is emitted is JSON
        back = load_model(doc, data_dirs=[path.parent])
        _same_lowering(ref, _lowered(back))
        if not kw:  # with provenance kept, nothing but the notation changes
            assert _provenance(back) == _provenance(m)


def _provenance(m: solvers.Model) -> dict:
    return {
        "model": m.description,
        **{f"set {k}": s.description for k, s in m.sets.items()},
        **{f"param {k}": (p.source, p.description) for k, p in m.params.items()},
        **{f"var {k}": v.description for k, v in m.variables.items()},
        **{f"con {c.name}": c.description for c in m.constraints},
    }


def test_prompt_example_is_a_valid_compact_model():
    from formalize.program.prompt_format import COMPACT_FORMAT

    example = json.loads(COMPACT_FORMAT.split("```json\n")[1].split("```")[0])
    assert example == to_compact(example)  # already in its shortest form
    sol = solvers.solve(example)
    assert sol.status == solvers.Status.OPTIMAL
    assert sol.objective == pytest.approx(4190)  # the nl4opt label: small 47, large 23
