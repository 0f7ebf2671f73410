"""Counts of things in code mode: a number word ("two types of fabric") is used by a program
that builds a collection of that many members feeding its model, as a formal model uses it by a
set of that size; a count the program does not build stays advice, in both modes.

The programs are small enough to know their optimum by hand: two fabrics, curtain (profit 2.5
per metre, at most 70,000 m) and clothing (1.5, at most 45,000 m), made at 1000 m per hour in at
most 110 hours: curtain first (the higher profit) takes 70 hours, clothing the remaining 40
hours (40,000 m <= 45,000): 175,000 + 60,000 = 235,000.
"""

from __future__ import annotations

import numpy as np
import pytest

from formalize.codemode import solve_code
from formalize.codemode.readback import built_numbers
from formalize.verify.code_numbers import program_numbers
from formalize.verify.code_report import check_program
from formalize.verify.grounding import ground, spelled_out_sizes
from solvers.model import load_model

TWO = ("A textile factory produces two types of fabric, curtain and clothing. Curtain earns 2.5 yuan "
       "per meter and at most 70,000 meters can be sold; clothing earns 1.5 yuan per meter and at most "
       "45,000 meters can be sold. Both are made at 1000 meters per hour, in at most 110 hours a week. "
       "Maximize the profit.")
BEST = 235_000.0

PYOMO = '''from pyomo.environ import *
profit = {"curtain": 2.5, "clothing": 1.5}
market = {"curtain": 70000, "clothing": 45000}
model = ConcreteModel()
model.F = Set(initialize=list(profit))
model.h = Var(model.F, domain=NonNegativeReals)
model.time = Constraint(expr=sum(model.h[f] for f in model.F) <= 110)
model.sell = Constraint(model.F, rule=lambda m, f: 1000 * m.h[f] <= market[f])
model.obj = Objective(expr=sum(1000 * profit[f] * model.h[f] for f in model.F), sense=maximize)
'''

PULP = '''import pulp
fabrics = ["curtain", "clothing"]
profit = [2.5, 1.5]
market = [70000, 45000]
model = pulp.LpProblem("fabric", pulp.LpMaximize)
h = [pulp.LpVariable(f"h_{f}", lowBound=0) for f in fabrics]
model += pulp.lpSum(1000 * profit[i] * h[i] for i in range(len(fabrics)))
model += pulp.lpSum(h) <= 110
for i in range(len(fabrics)):
    model += 1000 * h[i] <= market[i]
'''

# CP-SAT wants integers: hours in whole hours, profit per 1000 m (2500 and 1500 yuan per hour)
CPSAT = '''from ortools.sat.python import cp_model
profit = {"curtain": 2.5, "clothing": 1.5}
market = {"curtain": 70000, "clothing": 45000}
model = cp_model.CpModel()
h = {f: model.NewIntVar(0, 110, f"h_{f}") for f in profit}
model.Add(sum(h.values()) <= 110)
for f in profit:
    model.Add(1000 * h[f] <= market[f])
model.Maximize(sum(int(1000 * profit[f]) * h[f] for f in profit))
'''

RANGE = '''import pulp
profit = [2.5, 1.5]
market = [70000, 45000]
model = pulp.LpProblem("fabric", pulp.LpMaximize)
h = [pulp.LpVariable(f"h{i}", lowBound=0) for i in range(2)]
model += pulp.lpSum(1000 * profit[i] * h[i] for i in range(2))
model += pulp.lpSum(h) <= 110
for i in range(2):
    model += 1000 * h[i] <= market[i]
'''


def _check(src: str, text: str):
    sol, run = solve_code(src)
    assert run.ok, run.diagnostics
    pn = program_numbers(src)
    return sol, check_program(src, text, built_numbers(run, pn.collections), numbers=pn)


def _unused(rep) -> list[str]:
    return [d.location.symbol for d in rep.diagnostics() if d.code == "unused-number"]


@pytest.mark.parametrize("src", [PYOMO, PULP, CPSAT, RANGE], ids=["pyomo-set", "pulp-list", "cpsat-dict", "range"])
def test_two_types_are_used_by_a_collection_of_two(src):
    sol, rep = _check(src, TWO)
    assert sol.ok and sol.objective == pytest.approx(BEST, rel=1e-9)
    assert rep.ok and _unused(rep) == [], rep.diagnostics()
    two = next(tn for tn in rep.grounding.text_numbers if tn.raw == "two")
    assert two.demanded  # a quantity the model must use: used here by the size of the collection


THREE = TWO.replace("two types of fabric, curtain and clothing", "three types of fabric, curtain, "
                    "clothing and lining (lining sells at most 30,000 meters at 4 yuan per meter)")


@pytest.mark.parametrize("src", [PYOMO, PULP, CPSAT], ids=["pyomo", "pulp", "cpsat"])
def test_three_types_built_as_two_is_still_advice(src):
    _, rep = _check(src, THREE)
    assert "three" in _unused(rep)  # the program builds two of the three: the count is not used
    assert {"30,000", "4"} <= set(_unused(rep))


def test_the_formal_model_treats_counts_the_same_way():
    def model(fabrics: list[str]) -> dict:
        return {"sets": {"F": {"elements": fabrics}},
                "params": {"profit": {"index": ["F"], "values": dict(zip(fabrics, [2.5, 1.5, 4][:len(fabrics)]))},
                           "market": {"index": ["F"], "values": dict(zip(fabrics, [70000, 45000, 30000][:len(fabrics)]))}},
                "variables": {"h": {"index": ["f in F"], "lb": 0}},
                "constraints": [{"name": "time", "expr": "sum(h[f] for f in F) <= 110"},
                                {"name": "sell", "forall": "f in F", "expr": "1000 * h[f] <= market[f]"}],
                "objective": "maximize sum(1000 * profit[f] * h[f] for f in F)"}
    two = ground(load_model(model(["curtain", "clothing"])), TWO)
    assert [tn.raw for tn in two.unused] == []
    three = ground(load_model(model(["curtain", "clothing"])), THREE)
    assert "three" in [tn.raw for tn in three.unused]


SPELLED = '''from pyomo.environ import *
model = ConcreteModel()
model.h_curtain = Var(domain=NonNegativeReals)
model.h_clothing = Var(domain=NonNegativeReals)
model.short_curtain = Var(domain=NonNegativeReals)
model.short_clothing = Var(domain=NonNegativeReals)
model.time = Constraint(expr=model.h_curtain + model.h_clothing <= 110)
model.sell_curtain = Constraint(expr=1000 * model.h_curtain + model.short_curtain == 70000)
model.sell_clothing = Constraint(expr=1000 * model.h_clothing + model.short_clothing == 45000)
model.obj = Objective(expr=2500 * model.h_curtain + 1500 * model.h_clothing, sense=maximize)
'''


def test_members_spelled_out_in_variable_names_are_a_set_of_that_size():
    """The stand-in's program (tests/replays/code_mid/industryor_v2_hf_18) names one variable per
    fabric in two families: the fabrics are a set of two it never writes as one."""
    sol, rep = _check(SPELLED, TWO)
    assert sol.objective == pytest.approx(BEST, rel=1e-9)
    assert "two" not in _unused(rep)
    # one pair of sides of one thing (a goal's deviations) is no set of the text
    sides = SPELLED.replace("short_curtain", "dev_plus").replace("short_clothing", "dev_minus")
    _, rep = _check(sides, TWO)
    assert "two" in _unused(rep)
    assert spelled_out_sizes(["h_a", "h_b", "s_a", "s_b", "d_plus", "d_minus"]) == [2.0]
    assert spelled_out_sizes(["h_a", "h_b", "s_a", "s_b", "s_c"]) == []
    assert spelled_out_sizes(["x_1_a", "x_1_b", "x_2_a", "x_2_b", "y_1_a"]) == [2.0]


def test_the_formal_model_reads_spelled_out_members_too():
    doc = {"variables": {n: {"lb": 0} for n in ("h_curtain", "h_clothing", "short_curtain", "short_clothing")},
           "constraints": [{"name": "time", "expr": "h_curtain + h_clothing <= 110"},
                           {"name": "sc", "expr": "1000 * h_curtain + short_curtain == 70000"},
                           {"name": "sl", "expr": "1000 * h_clothing + short_clothing == 45000"}],
           "objective": "maximize 2500 * h_curtain + 1500 * h_clothing"}
    assert "two" not in [tn.raw for tn in ground(load_model(doc), TWO).unused]
    doc["variables"] = {n: {"lb": 0} for n in ("h_curtain", "h_clothing", "dev_plus", "dev_minus")}
    doc["constraints"][1:] = [{"name": "sc", "expr": "1000 * h_curtain + dev_plus - dev_minus == 70000"},
                              {"name": "sl", "expr": "1000 * h_clothing <= 45000"}]
    assert "two" in [tn.raw for tn in ground(load_model(doc), TWO).unused]


def test_pulp_and_cpsat_names_split_on_the_programs_elements():
    """`h_curtain` of a PuLP or CP-SAT program is the family h at element curtain (the program
    lists the fabrics), so the built model holds one family of two, not two families of one."""
    for src in (PULP, CPSAT):
        _, run = solve_code(src)
        b = built_numbers(run, program_numbers(src).collections)
        assert b is not None and b.structural[0] == 1.0 and 2.0 in b.structural
        assert np.any(np.isclose(b.values, 110.0))
