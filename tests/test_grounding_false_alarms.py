"""Grounding passes correct models: every false alarm seen with a real model (issue 7) as a test.

Each case is a small problem text with the correct model a careful modeller writes for it; the
grounding must raise no error and no advice on it. Wrong models must still be caught: the tests
at the end check that the readings that silence false alarms do not silence real faults.
"""

from __future__ import annotations

import copy

import pytest

from formalize.verify.grounding import ground
from formalize.verify.text_numbers import text_numbers
from solvers import load_model


def findings(doc: dict, text: str) -> list[str]:
    """Every error and advice of the grounding (info left out), as text."""
    rep = ground(load_model(doc), text)
    return [str(d) for d in rep.diagnostics() if d.severity != "info"]


def lp(params: dict, objective: str, constraints: dict, sense: str = "maximize", **extra) -> dict:
    names = sorted({w for c in [objective, *constraints.values()] for w in __import__("re").findall(r"\b[a-z]\w*\b", c)}
                   - set(params) - {"sum", "for", "in", "if"})
    return {"sense": sense, "params": params, "variables": {n: {"lb": 0} for n in names},
            "objective": objective, "constraints": constraints, **extra}


# --------------------------------------------------------------------------- names, not data


@pytest.mark.parametrize("opening", ["1.33 ", "5.25 ", "Exercise 4.2. ", "12) "])
def test_exercise_number_opening_the_text(opening: str) -> None:
    text = opening + "A farm has 100 hectares; wheat earns 300 per hectare and corn 200."
    doc = lp({}, "300 * wheat + 200 * corn", {"land": "wheat + corn <= 100"})
    assert findings(doc, text) == []
    assert text_numbers(text)[0].role == "exercise"


def test_a_quantity_opening_the_text_is_still_data() -> None:
    text = "100 workers are available; each earns 300 per day."
    doc = lp({}, "300 * w", {"cap": "w <= 50"})
    out = findings(doc, text)
    assert any("number 100" in s for s in out)


def test_list_numbering() -> None:
    text = ("The rules: 1) a delivery takes 40 minutes once the order is completed; 2) The base "
            "delivery fee is $5 and each extra item adds $2; 3) at most 8 deliveries run at once.")
    doc = lp({}, "5 * d + 2 * extra", {"time": "40 * d <= 480", "par": "d <= 8"}, sense="minimize")
    assert findings(doc, text) == []
    assert [t.raw for t in text_numbers(text) if t.role == "list"] == ["1", "2", "3"]


def test_labels_of_jobs_operations_cities_and_tables() -> None:
    text = ("Job 0 takes 3 hours on Machine 1 and Job 1 takes 4 hours. Operation 2 takes 5 hours. "
            "City 3 demands 70 units. The costs are listed in Table 1-9.")
    doc = {"sense": "minimize", "sets": {"Jobs": [0, 1]},
           "params": {"dur": {"index": ["Jobs"], "values": [3, 4]}},
           "variables": {"t": {"index": ["Jobs"], "lb": 0}, "op": {"lb": 5}, "ship": {"lb": 70}},
           "objective": "sum(dur[j] * t[j] for j in Jobs) + op + ship", "constraints": []}
    assert findings(doc, text) == []
    labels = [t.raw for t in text_numbers(text) if t.role in ("label", "reference")]
    assert labels == ["0", "1", "1", "2", "3", "1", "9"]


def test_years_dates_and_clock_times() -> None:
    text = ("Since 2019 the shop, founded on May 3, 2015, opens 8:00-17:00 (from 8 a.m. to 5 p.m.) "
            "and serves at most 120 customers a day (Smith, Operations, 1983).")
    doc = lp({}, "c", {"cap": "c <= 120"})
    assert findings(doc, text) == []
    by_raw = {t.raw: t for t in text_numbers(text)}
    assert by_raw["8:00"].role == "clock" and by_raw["5 p.m."].value == 17.0  # pm reads +12


def test_clock_hours_may_still_ground_a_model_number() -> None:
    text = "The store opens at 8 a.m. and closes at 5 p.m.; a clerk costs 20 per hour."
    doc = lp({"hours": {"value": 9, "source": "derived: 17 - 8 = 9"}}, "20 * hours * c", {"need": "c >= 1"},
             sense="minimize")
    assert findings(doc, text) == []


# --------------------------------------------------------------------------- readings


def test_a_value_used_once_covers_its_repeated_mentions() -> None:
    text = ("Demand per store (units): A 45, B 80, C 120. Demand thus ranges from 45 to 120 units. "
            "Each unit costs 3 to ship.")
    doc = {"sense": "minimize", "sets": {"S": ["A", "B", "C"]},
           "params": {"demand": {"index": ["S"], "values": [45, 80, 120]}},
           "variables": {"x": {"index": ["S"], "lb": 0}},
           "objective": "sum(3 * x[s] for s in S)",
           "constraints": [{"name": "meet", "forall": "s in S", "expr": "x[s] >= demand[s]"}]}
    assert findings(doc, text) == []


def test_sign_convention() -> None:
    text = ("Node 1 has a net supply of 20 units; node 2 has a net demand of 15 units (indicated by a "
            "negative net supply). Shipping costs 4 per unit.")
    doc = lp({"net_supply": {"value": -15, "source": "net demand of 15 units, written as negative supply"}},
             "4 * f", {"balance": "-f == net_supply", "cap": "f <= 20"}, sense="minimize")
    assert findings(doc, text) == []
    assert [t.value for t in text_numbers("a unicode minus: −15 units")] == [-15.0]


def test_unit_words_are_readings() -> None:
    text = "Treating water costs $1,000 per thousand gallons; the plant must treat 50 thousand gallons."
    doc = lp({}, "1000 * g", {"need": "g >= 50"}, sense="minimize")
    assert findings(doc, text) == []
    text2 = "Building a station costs, in $100,000: S1 5, S2 4. Budget: 8."
    doc2 = lp({}, "5 * s1 + 4 * s2", {"budget": "5 * s1 + 4 * s2 <= 8"})
    assert findings(doc2, text2) == []


def test_a_fraction_is_one_number_and_a_rounding_of_it_grounds() -> None:
    text = "One third of the 90 hectares, i.e. 1/3 of the land, may be planted with corn."
    assert [t.value for t in text_numbers("1/3 of the land")] == [pytest.approx(1 / 3)]
    for v in (1 / 3, 0.3333, 0.33):
        doc = lp({"share": v}, "c", {"corn": "c <= share * 90"})
        assert findings(doc, text) == [], v
    # "9/150" is two numbers (weight 9, value 150), not 0.06
    assert [t.value for t in text_numbers("map 9/150, water 153/200")] == [9, 150, 153, 200]


def test_scientific_notation_is_one_number() -> None:
    text = "The failure rate is 8.99e-04 per hour and the penalty 5 × 10^4 yuan per failure."
    doc = lp({"rate": 8.99e-04, "penalty": 50000}, "penalty * rate * h", {"hours": "h >= 1"}, sense="minimize")
    assert findings(doc, text) == []
    assert [t.value for t in text_numbers(text)] == [pytest.approx(8.99e-04), 50000.0]


def test_derivation_with_a_number_word_operand() -> None:
    text = "A master's student must pass these five grades; she may fail at most one."
    doc = lp({"need": {"value": 4, "source": "derived: 5 - 1 = 4 (these five grades, at most one failed)"}},
             "p", {"pass": "p >= need"}, sense="minimize")
    assert findings(doc, text) == []


def test_a_distance_as_a_stated_derivation() -> None:
    text = "Depot A is at (0, 0) and customer B at (30, 40) km; trucks cost 2 per km."
    doc = lp({"dist": {"value": 50, "source": "derived: sqrt(30**2 + 40**2) = 50"}}, "2 * dist * trips",
             {"one": "trips >= 1"}, sense="minimize")
    assert findings(doc, text) == []


def test_derivation_is_exact_and_a_wrong_one_shows_the_computed_value() -> None:
    text = "Ovens run 8 hours a day, five days a week; a batch takes 0.1 h to load and 0.2 h to bake."
    ok = lp({"week": {"value": 40, "source": "derived: 8 * 5 = 40"},
             "batch": {"value": 0.3, "source": "derived: 0.1 + 0.2 = 0.3"}},
            "b", {"time": "batch * b <= week"})
    assert findings(ok, text) == []
    wrong = copy.deepcopy(ok)
    wrong["params"]["week"] = {"value": 45, "source": "derived: 8 * 5 = 45"}
    rep = ground(load_model(wrong), text)
    (d,) = [d for d in rep.diagnostics() if d.severity == "error"]
    assert d.code == "wrong-derivation" and "8 * 5 = 40, not 45" in d.message
    assert d.location.item == "week" and d.location.field == "source"
    # a value that does not follow from its derivation
    wrong["params"]["week"] = {"value": 45, "source": "derived: 8 * 5"}
    (d,) = [d for d in ground(load_model(wrong), text).diagnostics() if d.severity == "error"]
    assert d.code == "wrong-derivation" and "45 does not follow" in d.message and "8 * 5 = 40" in d.message


def test_a_derivation_operand_must_be_in_the_text() -> None:
    text = "Ovens run 8 hours a day."
    doc = lp({"week": {"value": 56, "source": "derived: 8 * 7 = 56"}}, "b", {"time": "b <= week"})
    rep = ground(load_model(doc), text)
    assert not rep.ok
    (d,) = [d for d in rep.diagnostics() if d.severity == "error"]
    assert d.code == "ungrounded-number" and "uses 7" in d.message and d.location.field == "source"


def test_conversion_constants_and_positions_are_not_data() -> None:
    text = ("A plant works 24 hours a day over the next 6 months; a job takes 90 minutes. From month 2 on, "
            "inventory carries over.")
    doc = {"sense": "minimize", "sets": {"M": {"range": [1, 6]}, "H": {"range": [0, 23]}},
           "variables": {"inv": {"index": ["M"], "lb": 0}, "jobs": {"index": ["H"], "lb": 0}},
           "objective": "sum(inv[m] for m in M) + sum(jobs[h] for h in H)",
           "constraints": [{"name": "carry", "forall": "m in M if m >= 2", "expr": "inv[m] >= inv[m - 1]"},
                           {"name": "time", "forall": "h in H", "expr": "90 / 60 * jobs[h] <= 1"}]}
    assert findings(doc, text) == []


def test_unstated_product_is_advice_not_an_error() -> None:
    text = "Ovens run 8 hours a day, five days a week."
    doc = lp({"week": 40}, "b", {"time": "b <= week"})
    rep = ground(load_model(doc), text)
    assert rep.ok  # nothing must be repaired ...
    (d,) = rep.diagnostics()
    assert d.code == "unstated-derivation" and d.severity == "warning" and "8 * 5" in d.message
    assert "derived: 8 * 5 = 40" in d.hint


# --------------------------------------------------------------------------- prose is no use


BASE_TEXT = ("A bakery makes bread and cake. Bread earns 3 and cake 12 per unit. Flour: 1200 kg; bread "
             "uses 0.5 kg, cake 1.2 kg. At most 300 cakes can be sold.")
BASE = lp({}, "3 * b + 12 * c", {"flour": "0.5 * b + 1.2 * c <= 1200"})  # forgets the 300 cakes


def unused(doc: dict) -> list[str]:
    return [t.raw for t in ground(load_model(doc), BASE_TEXT).unused]


def test_prose_never_counts_as_a_use() -> None:
    assert unused(BASE) == ["300"]
    prose = copy.deepcopy(BASE)
    prose["description"] = "at most 300 cakes can be sold"
    prose["constraints"] = [{"name": k, "expr": v, "description": "at most 300 cakes: covered"}
                            for k, v in BASE["constraints"].items()]
    prose["assumptions"] = ["the 300 cakes limit is not binding"]
    prose["params"] = {"max_cakes": {"value": 300, "source": "At most 300 cakes can be sold",
                                     "description": "declared, never used"}}
    prose["note"] = "300 is handled"
    assert unused({k: v for k, v in prose.items() if k != "note"}) == ["300"]


def test_resending_with_a_description_added_keeps_the_finding() -> None:
    first = unused(BASE)
    again = copy.deepcopy(BASE)
    again["description"] = "bread and cake, with the cake limit of 300 in mind"
    assert unused(again) == first == ["300"]


def test_a_derivation_in_an_unused_param_covers_nothing() -> None:
    doc = copy.deepcopy(BASE)
    doc["params"] = {"limit": {"value": 300, "source": "derived: 300 * 1 = 300"}}
    assert unused(doc) == ["300"]


# --------------------------------------------------------------------------- acknowledgements


def test_acknowledgement_moves_the_number_from_unused_to_acknowledged() -> None:
    text = "1.33 A farm has 100 hectares. (A similar farm has 80 hectares, but it is not for sale.)"
    doc = lp({}, "w", {"land": "w <= 100"})
    rep = ground(load_model(doc), text)
    assert [t.raw for t in rep.unused] == ["80"]
    doc["acknowledged"] = [{"number": "80", "reason": "another farm, not part of the problem"}]
    rep = ground(load_model(doc), text)
    assert rep.ok and rep.unused == []
    assert [(t.raw, r) for t, r in rep.acknowledged] == [("80", "another farm, not part of the problem")]
    (d,) = rep.diagnostics()
    assert d.severity == "info" and d.code == "acknowledged-number" and "another farm" in d.message
    assert rep.to_dict()["acknowledged"][0]["reason"] == "another farm, not part of the problem"


def test_acknowledgement_matches_the_written_form_and_the_value() -> None:
    text = "The old plan spent $1,000 and 20% more; the new plan has a budget of 500."
    doc = lp({}, "x", {"b": "x <= 500"}, acknowledged=[{"number": "1,000", "reason": "the old plan"},
                                                        {"number": 0.2, "reason": "the old plan"}])
    rep = ground(load_model(doc), text)
    assert rep.ok and rep.unused == [] and len(rep.acknowledged) == 2


def test_acknowledging_a_number_that_is_not_in_the_text_is_an_error() -> None:
    text = "A farm has 100 hectares."
    doc = lp({}, "w", {"land": "w <= 100"}, acknowledged=[{"number": "1.33", "reason": "exercise number"}])
    rep = ground(load_model(doc), text)
    assert not rep.ok
    (d,) = rep.diagnostics()
    assert d.code == "acknowledged-not-in-text" and d.severity == "error"
    assert d.location.section == "acknowledged" and d.location.item == "#1"


def test_acknowledging_a_label_the_text_writes_is_no_error() -> None:
    """Recorded (stand-in run, IndustryOR 27 and 29): "Table 1-4" acknowledged as "1-4" came back
    as "not in the problem text" and cost a repair round. A label is not a demanded number, but
    naming it as the text writes it is true; a number the text does not write stays an error."""
    text = "The data are in Table 1-4. A farm has 100 hectares (see Table 4-3, row 2)."
    for number in ("1-4", "4-3", "Table 1-4"):
        doc = lp({}, "w", {"land": "w <= 100"}, acknowledged=[{"number": number, "reason": "a table label"}])
        rep = ground(load_model(doc), text)
        assert rep.ok and not rep.bad_acknowledgements, number
    for number in ("1-5", "14", "4-30"):
        doc = lp({}, "w", {"land": "w <= 100"}, acknowledged=[{"number": number, "reason": "a table label"}])
        rep = ground(load_model(doc), text)
        assert not rep.ok and rep.diagnostics()[0].code == "acknowledged-not-in-text", number


def test_the_report_counts_text_numbers_and_model_numbers_apart() -> None:
    text = "A farm has 100 hectares and 80 workers."
    rep = ground(load_model(lp({}, "w", {"land": "w <= 100", "land2": "2 * w <= 2 * 100"})), text)
    d = rep.to_dict()
    assert d["text_numbers"] == 2 and d["text_numbers_used"] == 1
    assert d["model_numbers_grounded"] >= 2 and [t["number"] for t in d["unused"]] == ["80"]


# --------------------------------------------------------------------------- faults still caught


def test_misread_numbers_are_still_errors() -> None:
    text = "Job 1 takes 3 hours; Job 2 takes 4 hours. Demand ranges from 45 to 120 units in 2024."
    for bad in (54, 2024.5, 121, 1.2e-3):  # a digit swap, a year-ish value, off by one, a wrong scale
        doc = lp({"d": bad}, "x", {"c": "x <= d"})
        rep = ground(load_model(doc), text)
        assert [m.value for m in rep.ungrounded] == [bad], bad


def test_errors_come_before_advice_and_info() -> None:
    text = "A farm has 100 hectares and 7 tractors; 3 workers; (it was founded with 12 hectares)."
    doc = lp({"land": 101}, "w", {"land_c": "w <= land", "work": "w <= 3"},
             acknowledged=[{"number": "12", "reason": "history"}])
    sev = [d.severity for d in ground(load_model(doc), text).diagnostics()]
    assert sev == sorted(sev, key=["error", "warning", "info"].index) and sev[0] == "error" and "info" in sev


def test_a_distance_computed_in_the_model_and_its_literals() -> None:
    text = "Depot D is at (0, 0), customers A at (3, 4) and B at (6, 8) km. Driving costs 2 per km; a stop costs 50% extra."
    doc = {"sense": "minimize", "sets": {"N": ["D", "A", "B"]},
           "params": {"x": {"index": ["N"], "values": [0, 3, 6]}, "y": {"index": ["N"], "values": [0, 4, 8]},
                      "km": {"index": ["i in N", "j in N"], "expr": "sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)"},
                      "rate": {"index": ["i in N"], "expr": "1.5 * 2"}},
           "variables": {"go": {"index": ["N", "N"], "lb": 0}},
           "objective": "sum(rate[i] * km[i, j] * go[i, j] for i in N for j in N)",
           "constraints": [{"name": "leave", "expr": "sum(go['D', j] for j in N) >= 1"}]}
    assert findings(doc, text) == []
    doc["params"]["rate"]["expr"] = "1.6 * 2"
    rep = ground(load_model(doc), text)
    (bad,) = rep.ungrounded
    assert bad.value == 1.6 and bad.location.item == "rate" and bad.location.field == "expr"


# --------------------------------------------------------------------------- seen in the library (issue 12)


def test_a_decimal_in_words_is_one_number() -> None:
    """MAMO EasyLP 410: "four point five times commercial properties" is 4.5, not 4 and 5."""
    text = "Three times residential plus four point five times commercial should not exceed 100 units."
    assert [n.value for n in text_numbers(text)] == [3, 4.5, 100]
    doc = lp({}, "r + c", {"cap": "3 * r + 4.5 * c <= 100"})
    assert findings(doc, text) == []
    assert [n.value for n in text_numbers("zero point two five of it, twenty point five")] == [0.25, 20.5]


def test_an_interval_is_two_numbers_not_a_thousands_group() -> None:
    """MAMO EasyLP 360: "[0,3000]" is the interval 0..3000, not 0,300 followed by 0."""
    text = "x1 in [0,3000], x2 in [0,1500]; costs 1,200 and 12,000,000."
    assert [n.value for n in text_numbers(text)] == [0, 3000, 0, 1500, 1200, 12_000_000]
    doc = lp({}, "x1 + x2", {"c1": "x1 <= 3000", "c2": "x2 <= 1500", "c3": "1200 * x1 + x2 <= 12000000"})
    assert findings(doc, text) == []
def test_ordinal_words_subscripts_and_fraction_words() -> None:
    by = {t.raw: t for t in text_numbers("By the end of the third year, $p_{3}$ must hold three quarters "
                                         "of the stock; sales are reported per quarter; the second plant.")}
    assert by["third"].value == 3 and by["third"].role == "ordinal"  # year 3 (a third stays a reading)
    assert by["3"].role == "label" and by["three quarters"].value == 0.75
    assert by["quarter"].role == "label" and by["second"].value == 2 and by["second"].role == "ordinal"
    # a horizon written as a range of years: grounded by "the third year"
    text = "An investor has 100,000 yuan and plans until the end of the third year; each year's return is 7%."
    doc = {"sense": "maximize", "sets": {"Years": {"range": [1, 3]}},
           "variables": {"inv": {"index": ["Years"], "lb": 0}},
           "objective": "sum(1.07 * inv[t] for t in Years)",
           "constraints": [{"name": "budget", "expr": "sum(inv[t] for t in Years) <= 100000"}]}
    assert findings(doc, text) == []


def test_the_base_of_a_power_over_an_index_is_structure() -> None:
    text = "Choose at most 100 units of a product costing 3 each; units are whole numbers."
    doc = {"sense": "minimize", "sets": {"Bits": {"range": [0, 6]}},
           "variables": {"b": {"index": ["Bits"], "domain": "binary"}, "x": {"lb": 0, "ub": 100}},
           "objective": "3 * x",
           "constraints": [{"name": "binary", "expr": "x == sum(2**k * b[k] for k in Bits)"}]}
    assert [f for f in findings(doc, text) if "number 2 " in f] == []


def test_a_number_of_the_models_own_is_declared_not_demanded() -> None:
    """Recorded (stand-in run, IndustryOR 29): goal-programming priority weights 1000000 and 1000
    written as literals drew "1000000 equals 1000 * 1000 of the text's numbers", a derivation that
    would be false. Declared as params with a "modelling:" source they are listed, not demanded;
    the hints name that way out; a misread number with a plain quote stays an error."""
    text = "The branch needs 1000 people; 8000 recruits should work in their preferred city."
    doc = lp({"w1": {"value": 1000000, "source": "modelling: priority weight of goal 1"},
              "need": {"value": 1000, "source": "needs 1000 people"}},
             "w1 * d + c", {"need_c": "x + d >= need", "city": "x + c >= 8000"}, sense="minimize")
    rep = ground(load_model(doc), text)
    assert rep.ok and not rep.unstated and not rep.ungrounded
    assert [(m.value, r) for m, r in rep.modelling] == [(1000000.0, "priority weight of goal 1")]
    info = [d for d in rep.diagnostics() if d.code == "modelling-constant"]
    assert len(info) == 1 and info[0].severity == "info" and "priority weight" in info[0].message
    # the same weight as a literal: advice whose hint names the declaration
    doc = lp({"need": {"value": 1000, "source": "needs 1000 people"}},
             "1000000 * d + c", {"need_c": "x + d >= need", "city": "x + c >= 8000"}, sense="minimize")
    (u,) = [d for d in ground(load_model(doc), text).diagnostics() if d.code == "unstated-derivation"]
    assert "modelling:" in u.hint
    # a plain quote does not make a number the model's own
    doc = lp({"need": {"value": 1100, "source": "needs 1000 people"}},
             "d + c", {"need_c": "x + d >= need", "city": "x + c >= 8000"}, sense="minimize")
    assert any(d.code == "ungrounded-number" for d in ground(load_model(doc), text).diagnostics())


def test_arithmetic_in_a_quote_is_no_claim_about_the_value() -> None:
    """Recorded (library, IndustryOR 34): a source explaining "at most 7 (90 / 12 = 7.5) are
    used" beside the value 10 drew "the value 10 does not follow from the stated derivation".
    Only a derivation introduced as the value's ("derived: ...") must give the value."""
    text = "The company has 10 containers; each holds 12 units, and 90 units must be shipped."
    prose = {"n": {"value": 10, "source": "10 containers; at most 7 are needed (90 / 12 = 7.5)"}}
    doc = lp(prose, "x", {"ship": "12 * x >= 90", "pool": "x <= n"}, sense="minimize")
    rep = ground(load_model(doc), text)
    assert rep.ok and not rep.wrong_derivations, rep.diagnostics()
    # where the text does not give 10, a stated derivation that does not give it is an error
    text = "Each container holds 12 units, and 90 units must be shipped."
    stated = {"n": {"value": 10, "source": "derived: 90 / 12 = 7.5"}}
    doc = lp(stated, "x", {"ship": "12 * x >= 90", "pool": "x <= n"}, sense="minimize")
    assert [w.param for w in ground(load_model(doc), text).wrong_derivations] == ["n"]
    # and prose arithmetic does not make the number grounded
    doc = lp(prose, "x", {"ship": "12 * x >= 90", "pool": "x <= n"}, sense="minimize")
    assert [m.value for m in ground(load_model(doc), text).ungrounded] == [10.0]


@pytest.mark.parametrize(("words", "den"), [("at most a third of", 3), ("at most half of", 2),
                                            ("at most a quarter of", 4), ("at most two fifths of", 5)])
def test_a_fraction_word_written_as_its_denominator(words: str, den: int) -> None:
    """'guavas are at most a third of the mangos' is written 3 * g <= m as often as g <= m / 3
    (NLP4LP 26, library writer; the text also says $3, which took the 3): a param whose source
    quotes the fraction word and whose value is its denominator grounds that word. A model that
    drops the ratio is still told, and so is one whose 3 quotes something else."""
    text = (f"Mangos earn $5 and guavas ${den}. At most 90 fruits are sold. "
            f"Guavas sold are {words} the mangos sold.")
    num = "n * " if "two" in words else ""
    ratio = {"r": {"value": den, "source": f"Guavas sold are {words} the mangos sold"}}
    if num:
        ratio["n"] = {"value": 2, "source": words}
    profit = {"pg": {"value": den, "source": f"guavas ${den}"}}
    doc = lp({**ratio, **profit}, "5 * m + pg * g", {"cap": "m + g <= 90", "ratio": f"r * g <= {num}m"})
    assert findings(doc, text) == []
    dropped = lp(profit, "5 * m + pg * g", {"cap": "m + g <= 90"})
    mention = " ".join(words.split()[-3:-1]) if num else words.split()[-2]
    assert any(f"number {mention}" in s for s in findings(dropped, text))
    elsewhere = lp({"r": {"value": den, "source": f"guavas ${den}"}, **profit}, "5 * m + pg * g",
                   {"cap": "m + g <= 90", "ratio": f"r * g <= {num}m"})
    assert any(f"number {mention}" in s for s in findings(elsewhere, text))
