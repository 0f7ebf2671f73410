"""The model document's statements to the user and the verifier: `assumptions` and `acknowledged`."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from formalize.api import solve as fsolve
from solvers import ModelError, load_model
from solvers.compact import to_compact
from solvers.render import to_text

DOC = {
    "name": "farm",
    "params": {"area": {"value": 100, "source": "100 hectares"}},
    "variables": {"wheat": {"lb": 0}, "corn": {"lb": 0}},
    "maximize": "3 * wheat + 2 * corn",
    "constraints": {"land": "wheat + corn <= area"},
    "assumptions": ["the 100 hectares may be split in any proportion"],
    "acknowledged": [{"number": 1.33, "reason": "exercise number"}, {"number": "1,000", "reason": "a unit"}],
}


def test_fields_load_with_numbers_read_as_text() -> None:
    m = load_model(DOC)
    assert m.assumptions == ["the 100 hectares may be split in any proportion"]
    assert [(a.number, a.reason) for a in m.acknowledged] == [("1.33", "exercise number"), ("1,000", "a unit")]
    assert load_model({**DOC, "acknowledged": [{"number": 2, "reason": "x"}]}).acknowledged[0].number == "2"
    # one assumption written without the list is a one-element list
    assert load_model({**DOC, "assumptions": "yields are per hectare"}).assumptions == ["yields are per hectare"]


def test_empty_lists_stay_out_of_the_document() -> None:
    doc = {k: v for k, v in DOC.items() if k not in ("assumptions", "acknowledged")}
    d = load_model(doc).to_dict()
    assert "assumptions" not in d and "acknowledged" not in d
    full = load_model(DOC).to_dict()
    assert full["acknowledged"] == [{"number": "1.33", "reason": "exercise number"},
                                    {"number": "1,000", "reason": "a unit"}]


@pytest.mark.parametrize("ack, field", [
    ({"number": "3", "reason": "  "}, "reason"),
    ({"number": "3"}, "reason"),
    ({"reason": "why"}, "number"),
    ({"number": True, "reason": "why"}, "number"),
    ({"number": "3", "reason": "why", "note": "x"}, "note"),
])
def test_malformed_acknowledgements_are_located_errors(ack: dict, field: str) -> None:
    with pytest.raises(ModelError) as exc:
        load_model({**DOC, "acknowledged": [ack]})
    (d,) = exc.value.diagnostics
    assert d.code == "schema" and d.location.section == "acknowledged" and field in str(d)


def test_compact_round_trip_keeps_both_lists() -> None:
    m = load_model(DOC)
    for kw in ({}, {"keep_provenance": False, "inline_scalars": True}):
        c = to_compact(m, **kw)
        assert c["assumptions"] == m.assumptions
        back = load_model(json.loads(json.dumps(c)))
        assert back.assumptions == m.assumptions and back.acknowledged == m.acknowledged


def test_schema_offers_both_fields() -> None:
    from solvers import Model

    props = Model.json_schema()["properties"]
    assert props["assumptions"]["type"] == "array"
    assert "acknowledged" in props


def test_text_rendering_and_result_show_the_assumptions(tmp_path) -> None:
    text = to_text(load_model(DOC))
    assert "assumptions:\n  - the 100 hectares may be split in any proportion" in text
    assert "1.33: exercise number" in text
    p = tmp_path / "farm.json"
    p.write_text(json.dumps(DOC))
    res = fsolve(p)
    assert res.objective == pytest.approx(300)
    c = Console(record=True, width=120, color_system=None)
    c.print(res)
    out = c.export_text()
    assert "objective = 300" in out and "the 100 hectares may be split in any proportion" in out
    assert "may be split" in res._repr_html_()
