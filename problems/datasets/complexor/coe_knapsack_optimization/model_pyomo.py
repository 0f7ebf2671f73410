import pyomo.environ as pyo

value = {1: 60, 2: 100, 3: 120}
weight = {1: 10, 2: 20, 3: 30}
capacity = 50

model = pyo.ConcreteModel(name="knapsack")
model.ITEMS = pyo.Set(initialize=[1, 2, 3])
model.take = pyo.Var(model.ITEMS, domain=pyo.Binary)

model.value = pyo.Objective(expr=sum(value[i] * model.take[i] for i in model.ITEMS),
                            sense=pyo.maximize)
model.capacity = pyo.Constraint(
    expr=sum(weight[i] * model.take[i] for i in model.ITEMS) <= capacity
)
