import pyomo.environ as pyo

months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
demand = {m: 100 * h for m, h in zip(months, [4, 6, 5, 3, 8, 7])}  # boxes
reduced = {"Mar", "May"}
cap = {m: 4 if m in reduced else 7 for m in months}
cost = {m: 180 * (1.5 if m in reduced else 1) for m in months}

model = pyo.ConcreteModel(name="seasonal_stock")
model.M = pyo.Set(initialize=months, ordered=True)
model.make = pyo.Var(model.M, domain=pyo.NonNegativeIntegers)
model.stock = pyo.Var(model.M, domain=pyo.NonNegativeReals)
model.cost = pyo.Objective(
    expr=sum(cost[m] * model.make[m] + 0.3 * model.stock[m] for m in model.M) + 50 * len(months),
    sense=pyo.minimize,
)


def balance_rule(m, t):
    return m.stock[t] == m.stock[m.M.prevw(t)] + 100 * m.make[t] - demand[t]


def capacity_rule(m, t):
    return m.make[t] <= cap[t]


def rise_rule(m, t):
    if t == m.M.first():
        return pyo.Constraint.Skip
    return m.make[t] - m.make[m.M.prev(t)] <= 3


model.balance = pyo.Constraint(model.M, rule=balance_rule)
model.capacity = pyo.Constraint(model.M, rule=capacity_rule)
model.rise = pyo.Constraint(model.M, rule=rise_rule)
model.safety = pyo.Constraint(expr=model.stock[model.M.last()] >= 200)
