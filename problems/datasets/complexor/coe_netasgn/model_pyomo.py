import pyomo.environ as pyo

supply = {1: 8, 2: 7}
demand = {1: 5, 2: 10}
cost = {(1, 1): 10, (1, 2): 20, (2, 1): 15, (2, 2): 25}
limit = {(1, 1): 5, (1, 2): 6, (2, 1): 4, (2, 2): 7}

model = pyo.ConcreteModel(name="netasgn")
model.PEOPLE = pyo.Set(initialize=[1, 2])
model.PROJECTS = pyo.Set(initialize=[1, 2])
model.assign = pyo.Var(model.PEOPLE, model.PROJECTS, bounds=lambda m, i, j: (0, limit[i, j]))

model.cost = pyo.Objective(
    expr=sum(cost[i, j] * model.assign[i, j] for i in model.PEOPLE for j in model.PROJECTS),
    sense=pyo.minimize,
)


def supply_rule(m, i):
    return sum(m.assign[i, j] for j in m.PROJECTS) == supply[i]


def demand_rule(m, j):
    return sum(m.assign[i, j] for i in m.PEOPLE) == demand[j]


model.person_supply = pyo.Constraint(model.PEOPLE, rule=supply_rule)
model.project_demand = pyo.Constraint(model.PROJECTS, rule=demand_rule)
