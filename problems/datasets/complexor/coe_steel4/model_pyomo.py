import pyomo.environ as pyo

products = ["P1", "P2"]
stages = ["S1", "S2"]
rate = {("P1", "S1"): 2, ("P1", "S2"): 3, ("P2", "S1"): 3, ("P2", "S2"): 2}
profit = {"P1": 10, "P2": 20}
commit = {"P1": 1, "P2": 2}
market = {"P1": 5, "P2": 4}
avail = {"S1": 10, "S2": 8}

model = pyo.ConcreteModel(name="steel4")
model.PROD = pyo.Set(initialize=products)
model.STAGE = pyo.Set(initialize=stages)
model.make = pyo.Var(model.PROD, bounds=lambda m, p: (commit[p], market[p]))

model.total_profit = pyo.Objective(expr=sum(profit[p] * model.make[p] for p in model.PROD),
                                   sense=pyo.maximize)


def time_rule(m, s):
    return sum(m.make[p] / rate[p, s] for p in m.PROD) <= avail[s]


model.stage_hours = pyo.Constraint(model.STAGE, rule=time_rule)
