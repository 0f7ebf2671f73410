"""Number grounding against the problem text."""

from __future__ import annotations

from formalize.verify.grounding import ground, text_numbers
from solvers import load_model
from solvers.model import ConstraintSpec

TEXT = ("A bakery sells bread at $3.50 and cake at $12. Each loaf needs 0.5 kg of flour, each cake "
        "1.2 kg; 1,200 kg of flour are available per week. At least 20% of the items must be cakes. "
        "Ovens run 8 hours a day, five days a week. Demand for bread is at most 2.5 thousand loaves.")


def model(**params):
    base = {"sense": "maximize",
            "params": {"p_bread": 3.5, "p_cake": 12, "flour_bread": 0.5, "flour_cake": 1.2, "flour": 1200,
                       "share": {"value": 0.2, "source": "At least 20%"}},
            "variables": {"b": {"lb": 0, "ub": 2500}, "c": {"lb": 0}},
            "objective": "p_bread * b + p_cake * c",
            "constraints": [{"name": "flour_limit", "expr": "flour_bread * b + flour_cake * c <= flour"},
                            {"name": "mix", "expr": "c >= share * (b + c)"}]}
    base["params"].update(params)
    return load_model(base)


def test_text_numbers_read_commas_percent_multipliers_and_words():
    vals = [(t.value, t.percent) for t in text_numbers(TEXT)]
    assert (3.5, False) in vals and (1200.0, False) in vals and (20.0, True) in vals
    assert (2500.0, False) in vals  # "2.5 thousand"
    assert (5.0, False) in vals  # "five"


def test_faithful_model_is_grounded_and_reports_unused_numbers():
    rep = ground(model(), TEXT)
    assert rep.ok, [str(d) for d in rep.diagnostics()]
    unused = {t.value for t in rep.unused}
    assert unused == {8.0, 5.0}  # the oven hours are not used: a forgotten constraint?
    codes = {d.code for d in rep.diagnostics()}
    assert codes == {"unused-number"}


def test_invented_number_is_located():
    rep = ground(model(p_cake=13), TEXT)
    (bad,) = rep.ungrounded
    assert bad.value == 13 and bad.location.item == "p_cake"
    d = [x for x in rep.diagnostics() if x.code == "ungrounded-number"][0]
    assert d.location.section == "params" and "derivation" in d.hint


def test_unit_scalings_and_stated_derivations():
    # 8 hours a day * 5 days = 40 hours per week; 2.5 thousand = 2500; 1,200 kg = 1.2 t
    m = model(week_hours={"value": 40, "source": "derived: 8 * 5 = 40"}, flour_t=1.2, oven_minutes=480)
    m.constraints.append(ConstraintSpec(name="ovens", expr="b / oven_minutes + c <= week_hours * flour_t"))
    rep = ground(m, TEXT)
    assert rep.ok, [str(d) for d in rep.diagnostics()]
    assert not rep.unused  # 8 and 5 are used through the derivation
    assert {x.how for x in rep.matches if x.number.param == "week_hours"} == {"derived"}


def test_wrong_derivation_is_an_error_showing_the_computed_value():
    m = model(week_hours={"value": 45, "source": "derived: 8 * 5 = 45"})
    m.constraints.append(ConstraintSpec(name="ovens", expr="b <= week_hours"))
    rep = ground(m, TEXT)
    assert not rep.ok
    msgs = [d.message for d in rep.diagnostics() if d.code == "wrong-derivation"]
    assert msgs and "8 * 5 = 40, not 45" in msgs[0]


def test_literals_in_expressions_are_grounded_with_columns():
    m = model()
    m.constraints[0].expr = "0.5 * b + 1.3 * c <= 1200"
    rep = ground(m, TEXT)
    (bad,) = rep.ungrounded
    assert bad.value == 1.3 and bad.location.item == "flour_limit" and bad.location.column == 11


def test_clock_times_and_table_references_are_labels_not_data():
    nums = text_numbers("See Table 5-2. Shifts 2:00-6:00 need 10 people, 6:00-10:00 need 15.")
    assert [t.value for t in nums if t.demanded] == [10.0, 15.0]
    assert {t.role for t in nums if not t.demanded} == {"reference", "clock"}
