import pyomo.environ as pyo

# assumption: shipping is the only cost the objective counts
centers = ["DC1", "DC2", "DC3"]
stores = ["S1", "S2", "S3", "S4"]
capacity = {"DC1": 500, "DC2": 600, "DC3": 400}
demand = {"S1": 200, "S2": 300, "S3": 250, "S4": 150}
fixed_cost = {"DC1": 2500, "DC2": 2000, "DC3": 1800}
cost = {
    ("DC1", "S1"): 4, ("DC1", "S2"): 6, ("DC1", "S3"): 9, ("DC1", "S4"): 5,
    ("DC2", "S1"): 5, ("DC2", "S2"): 4, ("DC2", "S3"): 7, ("DC2", "S4"): 8,
    ("DC3", "S1"): 6, ("DC3", "S2"): 7, ("DC3", "S3"): 3, ("DC3", "S4"): 6,
}

model = pyo.ConcreteModel()
model.x = pyo.Var(centers, stores, domain=pyo.NonNegativeReals)
model.obj = pyo.Objective(expr=sum(cost[c, s] * model.x[c, s] for c in centers for s in stores),
                          sense=pyo.minimize)


def supply_rule(m, c):
    return sum(m.x[c, s] for s in stores) <= capacity[c]


model.supply = pyo.Constraint(centers, rule=supply_rule)
model.demand = pyo.Constraint(stores, rule=lambda m, s: sum(m.x[c, s] for c in centers) >= demand[s])
