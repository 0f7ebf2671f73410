import pyomo.environ as pyo

oils = ["oil_max", "oil_max_pro"]
substances = ["A", "B", "C"]
content = {"oil_max": {"A": 46, "B": 43, "C": 56}, "oil_max_pro": {"A": 13, "B": 4, "C": 45}}
avail = {"A": 1345, "B": 346, "C": 1643}
profit = {"oil_max": 10, "oil_max_pro": 15}

model = pyo.ConcreteModel(name="car_oils")
model.OILS = pyo.Set(initialize=oils)
model.SUBSTANCES = pyo.Set(initialize=substances)
model.containers = pyo.Var(model.OILS, domain=pyo.NonNegativeIntegers)

model.profit = pyo.Objective(expr=sum(profit[o] * model.containers[o] for o in model.OILS),
                             sense=pyo.maximize)


def substance_rule(m, s):
    return sum(content[o][s] * m.containers[o] for o in m.OILS) <= avail[s]


model.substance = pyo.Constraint(model.SUBSTANCES, rule=substance_rule)
