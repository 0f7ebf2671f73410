import pyomo.environ as pyo

sites = ["A", "B", "C", "D"]
customers = ["c1", "c2", "c3", "c4", "c5", "c6"]
fixed_cost = {"A": 400, "B": 350, "C": 300, "D": 450}
capacity = {"A": 100, "B": 90, "C": 80, "D": 120}
demand = {"c1": 30, "c2": 25, "c3": 40, "c4": 20, "c5": 35, "c6": 30}
ship_cost = {
    "A": {"c1": 2, "c2": 4, "c3": 5, "c4": 6, "c5": 8, "c6": 7},
    "B": {"c1": 5, "c2": 2, "c3": 3, "c4": 6, "c5": 5, "c6": 8},
    "C": {"c1": 7, "c2": 6, "c3": 2, "c4": 3, "c5": 4, "c6": 5},
    "D": {"c1": 6, "c2": 7, "c3": 6, "c4": 2, "c5": 3, "c6": 2},
}

model = pyo.ConcreteModel(name="facility_location")
model.S = pyo.Set(initialize=sites)
model.C = pyo.Set(initialize=customers)
model.open = pyo.Var(model.S, domain=pyo.Binary)
model.serve = pyo.Var(model.S, model.C, domain=pyo.Binary)

model.cost = pyo.Objective(
    expr=sum(fixed_cost[s] * model.open[s] for s in model.S)
    + sum(ship_cost[s][c] * demand[c] * model.serve[s, c] for s in model.S for c in model.C),
    sense=pyo.minimize,
)


def single_source_rule(m, c):
    return sum(m.serve[s, c] for s in m.S) == 1


def capacity_rule(m, s):
    return sum(demand[c] * m.serve[s, c] for c in m.C) <= capacity[s]


def closed_rule(m, s, c):
    return m.serve[s, c] <= m.open[s]


model.single_source = pyo.Constraint(model.C, rule=single_source_rule)
model.site_capacity = pyo.Constraint(model.S, rule=capacity_rule)
model.closed_serves_nobody = pyo.Constraint(model.S, model.C, rule=closed_rule)
