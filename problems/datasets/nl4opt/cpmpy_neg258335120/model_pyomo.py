import pyomo.environ as pyo

catalysts = ["palladium_heavy", "platinum_heavy"]
metals = ["platinum", "palladium"]
use = {
    "palladium_heavy": {"platinum": 15, "palladium": 25},
    "platinum_heavy": {"platinum": 20, "palladium": 14},
}
rate = {"palladium_heavy": 5, "platinum_heavy": 4}
avail = {"platinum": 450, "palladium": 390}

model = pyo.ConcreteModel(name="catalysts")
model.C = pyo.Set(initialize=catalysts)
model.M = pyo.Set(initialize=metals)
model.n = pyo.Var(model.C, domain=pyo.NonNegativeIntegers)

model.conversion = pyo.Objective(expr=sum(rate[c] * model.n[c] for c in model.C),
                                 sense=pyo.maximize)


def metal_rule(m, k):
    return sum(use[c][k] * m.n[c] for c in m.C) <= avail[k]


model.metal = pyo.Constraint(model.M, rule=metal_rule)
