import pyomo.environ as pyo

plants = ["seattle", "san_diego"]
markets = ["new_york", "chicago", "topeka"]
supply = {"seattle": 350, "san_diego": 600}
demand = {"new_york": 325, "chicago": 300, "topeka": 275}
dist = {
    ("seattle", "new_york"): 2.5, ("seattle", "chicago"): 1.7, ("seattle", "topeka"): 1.8,
    ("san_diego", "new_york"): 2.5, ("san_diego", "chicago"): 1.8, ("san_diego", "topeka"): 1.4,
}
freight = 90

model = pyo.ConcreteModel(name="transport")
model.P = pyo.Set(initialize=plants)
model.M = pyo.Set(initialize=markets)
model.ship = pyo.Var(model.P, model.M, domain=pyo.NonNegativeReals)

model.cost = pyo.Objective(
    expr=sum(freight * dist[p, m] / 1000 * model.ship[p, m] for p in model.P for m in model.M),
    sense=pyo.minimize,
)


def supply_rule(m, p):
    return sum(m.ship[p, j] for j in m.M) <= supply[p]


def demand_rule(m, j):
    return sum(m.ship[p, j] for p in m.P) >= demand[j]


model.supply_limit = pyo.Constraint(model.P, rule=supply_rule)
model.demand_met = pyo.Constraint(model.M, rule=demand_rule)
