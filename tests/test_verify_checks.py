"""Checks for models that are valid but wrong, each against a reconstruction of a recorded wrong
model (issue 7: the stand-in runs), with the right model beside it: the check must flag the wrong
one and stay silent on the right one. Optima are computed by hand in the comments and confirmed
by the solver and the independent checker."""

from __future__ import annotations

import copy

import pytest

import solvers
from formalize.verify.fixed import fixed_by_equalities
from formalize.verify.grounding import ground
from formalize.verify.idle import idle_members, quantified_statements
from formalize.verify.report import check_text
from formalize.verify.text_numbers import text_numbers
from formalize.verify.units import mixed_units, text_money
from solvers import load_model


def solved(doc: dict, optimum: float):
    m = load_model(doc)
    sol = solvers.solve(m)
    assert sol.status.value == "optimal" and sol.objective == pytest.approx(optimum, rel=1e-9)
    rep = solvers.check(m, sol.values)
    assert rep.feasible and rep.objective == pytest.approx(optimum, rel=1e-9)
    return m, sol


# --------------------------------------------------------------------------- idle members

TRUCKS_TEXT = """Six trucks T1-T6 deliver to four stores S1-S4, which need 10, 12, 8 and 14 tons.
Each truck must depart from its depot. Dispatching a truck costs a fixed fee: T1 8, T2 9, T3 7,
T4 10, T5 6 and T6 8. A truck carries at most 20 tons, and delivering costs 2 per ton. Plan the
deliveries at the least total cost."""

TRUCKS_WRONG = {
    "sense": "minimize",
    "sets": {"Trucks": ["T1", "T2", "T3", "T4", "T5", "T6"], "Stores": ["S1", "S2", "S3", "S4"]},
    "params": {"need": {"index": ["Stores"], "values": [10, 12, 8, 14]},
               "fee": {"index": ["Trucks"], "values": [8, 9, 7, 10, 6, 8]}},
    "variables": {"go": {"index": ["Trucks"], "domain": "binary"},
                  "load": {"index": ["Trucks", "Stores"], "lb": 0}},
    "objective": "sum(fee[k] * go[k] for k in Trucks) + sum(2 * load[k, s] for k in Trucks for s in Stores)",
    "constraints": [
        {"name": "depart", "forall": "k in Trucks", "expr": "go[k] <= 1"},  # the recorded slip
        {"name": "capacity", "forall": "k in Trucks", "expr": "sum(load[k, s] for s in Stores) <= 20 * go[k]"},
        {"name": "demand", "forall": "s in Stores", "expr": "sum(load[k, s] for k in Trucks) >= need[s]"}],
}
TRUCKS_RIGHT = copy.deepcopy(TRUCKS_WRONG)
TRUCKS_RIGHT["constraints"][0]["expr"] = "go[k] == 1"


def test_idle_trucks_against_each_truck_must_depart() -> None:
    # wrong: 44 tons need three 20-ton trucks; the cheapest three fees 6 + 7 + 8 = 21, plus 2 * 44 = 88
    wrong, sol = solved(TRUCKS_WRONG, 109)
    (d,) = idle_members(wrong, TRUCKS_TEXT, sol.values)
    assert d.code == "idle-member" and d.severity == "warning" and d.location.item == "Trucks"
    assert "Each truck must depart from its depot" in d.message and "3 of 6 Trucks" in d.message
    assert "T2" in d.message and "T4" in d.message  # (T1 or T6: their fees tie at 8)
    # right: every truck departs, all fees 48, plus 88
    right, sol = solved(TRUCKS_RIGHT, 136)
    assert idle_members(right, TRUCKS_TEXT, sol.values) == []
    # the whole report: grounding is clean on both; only the wrong model gets the finding
    assert [x.code for x in check_text(wrong, TRUCKS_TEXT, solution=solvers.solve(wrong)).diagnostics()] == ["idle-member"]
    assert check_text(right, TRUCKS_TEXT, solution=solvers.solve(right)).diagnostics() == []


@pytest.mark.parametrize("sentence, nouns", [
    ("Each truck must depart from its depot.", ("truck",)),
    ("Every customer has to be served exactly once.", ("customer",)),
    ("Each of the 5 nurses must work at least three shifts.", ("nurses",)),
    ("Each machine must not exceed 40 hours.", None),          # a limit, not an activity
    ("Each truck that is used must return to the depot.", None),  # a conditional subject
    ("Each warehouse can store at most 500 units.", None),      # no obligation
    ("Each product must be produced in whole units, at most 40.", None),
])
def test_which_statements_are_read(sentence: str, nouns) -> None:
    got = quantified_statements(sentence)
    assert (got[0].nouns[:len(nouns)] if got else None) == (tuple(n for n in nouns) if nouns else None)


# --------------------------------------------------------------------------- money units

YUAN_TEXT = """A company may open warehouses at sites A, B and C. Opening costs (in 10^4 yuan): A 5, B 6,
C 4. Each site can ship at most 80 tons. Shipping one ton to the market costs 300 yuan from A,
200 yuan from B and 400 yuan from C. The market needs 100 tons. Minimize the total cost in yuan."""

YUAN_WRONG = {
    "sense": "minimize",
    "sets": {"Sites": ["A", "B", "C"]},
    "params": {"open_cost": {"index": ["Sites"], "values": [5, 6, 4]},
               "ship_cost": {"index": ["Sites"], "values": [300, 200, 400]}},
    "variables": {"open": {"index": ["Sites"], "domain": "binary"}, "ship": {"index": ["Sites"], "lb": 0}},
    "objective": "sum(open_cost[s] * open[s] + ship_cost[s] * ship[s] for s in Sites)",  # the recorded slip
    "constraints": [{"name": "cap", "forall": "s in Sites", "expr": "ship[s] <= 80 * open[s]"},
                    {"name": "market", "expr": "sum(ship[s] for s in Sites) >= 100"}],
}
YUAN_RIGHT = copy.deepcopy(YUAN_WRONG)
YUAN_RIGHT["objective"] = "sum(10000 * open_cost[s] * open[s] + ship_cost[s] * ship[s] for s in Sites)"


def test_yuan_and_ten_thousand_yuan_added_as_they_stand() -> None:
    # wrong: opening is almost free (5 + 6 = 11): B 80 t * 200 + A 20 t * 300 = 22000, total 22011
    wrong, _ = solved(YUAN_WRONG, 22011)
    (d,) = mixed_units(wrong, YUAN_TEXT, ground(wrong, YUAN_TEXT))
    assert d.code == "mixed-units" and d.location.section == "objective"
    assert "10^4 yuan" in d.message and "open_cost" in d.message and "ship_cost" in d.message
    assert "10000" in d.hint
    # right: A + C open (50000 + 40000), A 80 t * 300 + C 20 t * 400 = 32000: 122000 beats B+C 124000
    right, _ = solved(YUAN_RIGHT, 122000)
    assert mixed_units(right, YUAN_TEXT, ground(right, YUAN_TEXT)) == []
    assert ground(right, YUAN_TEXT).diagnostics() == []


def test_money_units_are_read_from_the_words_around_a_number() -> None:
    text = ("Fixed cost 5, 6 and 4 (10^4 yuan); freight 200 yuan; fee $300; in $100,000: S1 5, S2 4; "
            "a budget of $1000K; 24 cents.")
    tns = text_numbers(text)
    units = {tns[i].raw: str(u) for i, u in text_money(text, tns).items()}
    assert units["6"] == "10^4 yuan" and units["200"] == "yuan" and units["300"] == "$"
    assert units["1000K"] == "$" and units["24"] == "10^-2 $"
    assert [str(text_money(text, tns)[i]) for i, t in enumerate(tns) if t.raw == "5"] == ["10^4 yuan", "10^5 $"]


def test_one_unit_throughout_is_no_finding() -> None:
    text = "Building a station costs, in $100,000: S1 5, S2 4, S3 6. Choose stations covering both districts."
    m = load_model({"sets": {"S": ["S1", "S2", "S3"]}, "params": {"c": {"index": ["S"], "values": [5, 4, 6]}},
                    "variables": {"b": {"index": ["S"], "domain": "binary"}},
                    "objective": "sum(c[s] * b[s] for s in S)",
                    "constraints": [{"name": "cover", "expr": "b['S1'] + b['S2'] >= 1"}]})
    assert mixed_units(m, text, ground(m, text)) == []


# --------------------------------------------------------------------------- fixed by equalities

INVEST_TEXT = """An investor puts all of 100 (thousand dollars) into bonds, stocks and real estate. At least
20 goes to bonds. Stocks must receive at least twice as much as real estate, and real estate at
most 25. Bonds return 4%, stocks 9% and real estate 7%. How should the money be split to maximize
the return?"""

INVEST_WRONG = {
    "sense": "maximize",
    "variables": {"b": {"lb": 0}, "s": {"lb": 0}, "r": {"lb": 0}},
    "objective": "0.04 * b + 0.09 * s + 0.07 * r",
    "constraints": [{"name": "all_in", "expr": "b + s + r == 100"},
                    {"name": "bonds_min", "expr": "b == 20"},            # "at least" written as ==
                    {"name": "stocks_vs_estate", "expr": "s == 2 * r"},  # "at least twice" written as ==
                    {"name": "estate_cap", "expr": "r <= 25"}],
}
INVEST_RIGHT = copy.deepcopy(INVEST_WRONG)
INVEST_RIGHT["constraints"][1]["expr"] = "b >= 20"
INVEST_RIGHT["constraints"][2]["expr"] = "s >= 2 * r"


def test_equalities_that_fix_the_point_and_make_a_stated_limit_infeasible() -> None:
    wrong = load_model(INVEST_WRONG)
    assert solvers.solve(wrong).status.value == "infeasible"
    (d,) = fixed_by_equalities(wrong, INVEST_TEXT)
    assert d.code == "fixed-by-equalities" and "all 3 variables" in d.message
    assert "r = 26.6667" in d.message and "estate_cap is violated (26.6667 against 25)" in d.message
    # right: 20 in bonds, the other 80 in stocks: 0.8 + 7.2 = 8
    right, _ = solved(INVEST_RIGHT, 8.0)
    assert fixed_by_equalities(right, INVEST_TEXT) == []


def test_a_feasible_fixed_point_is_flagged_only_when_the_text_asks_for_ranges() -> None:
    wrong = copy.deepcopy(INVEST_WRONG)
    wrong["constraints"] = wrong["constraints"][:3]  # no cap: the point is feasible
    m = load_model(wrong)
    assert solvers.solve(m).status.value == "optimal"
    (d,) = fixed_by_equalities(m, INVEST_TEXT)
    assert "cannot change it" in d.message and "at that point" not in d.message
    # the same equalities with a text that states exact amounts: a determined model, no finding
    exact = "Put exactly 100 in total, exactly 20 in bonds, and twice as much in stocks as in real estate."
    assert fixed_by_equalities(m, exact) == []
