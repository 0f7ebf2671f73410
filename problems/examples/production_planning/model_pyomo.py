import pyomo.environ as pyo

months = [1, 2, 3, 4]
demand = {1: 60, 2: 100, 3: 140, 4: 90}
unit_cost = {1: 10, 2: 12, 3: 11, 4: 13}
initial_stock = 20
capacity = 110
setup_cost = 200
holding_cost = 2

model = pyo.ConcreteModel(name="production_planning")
model.T = pyo.Set(initialize=months)
model.make = pyo.Var(model.T, bounds=(0, capacity))
model.run = pyo.Var(model.T, domain=pyo.Binary)
model.stock = pyo.Var(model.T, domain=pyo.NonNegativeReals)

model.cost = pyo.Objective(
    expr=sum(unit_cost[t] * model.make[t] + setup_cost * model.run[t]
             + holding_cost * model.stock[t] for t in model.T),
    sense=pyo.minimize,
)


def balance_rule(m, t):
    previous = initial_stock if t == 1 else m.stock[t - 1]
    return m.stock[t] == previous + m.make[t] - demand[t]


def setup_rule(m, t):
    return m.make[t] <= capacity * m.run[t]


model.stock_balance = pyo.Constraint(model.T, rule=balance_rule)
model.setup_needed = pyo.Constraint(model.T, rule=setup_rule)
