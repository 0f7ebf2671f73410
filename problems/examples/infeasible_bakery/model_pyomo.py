import pyomo.environ as pyo

products = ["bread", "cake"]
hours_per_batch = {"bread": 0.5, "cake": 1}
profit = {"bread": 30, "cake": 45}
min_order = {"bread": 12, "cake": 4}
oven_hours = 8

model = pyo.ConcreteModel(name="infeasible_bakery")
model.P = pyo.Set(initialize=products)
model.batches = pyo.Var(model.P, domain=pyo.NonNegativeIntegers)

model.profit = pyo.Objective(expr=sum(profit[p] * model.batches[p] for p in model.P),
                             sense=pyo.maximize)
model.oven_time = pyo.Constraint(
    expr=sum(hours_per_batch[p] * model.batches[p] for p in model.P) <= oven_hours
)


def order_rule(m, p):
    return m.batches[p] >= min_order[p]


model.standing_orders = pyo.Constraint(model.P, rule=order_rule)
