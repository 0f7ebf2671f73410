import pyomo.environ as pyo

a = {1: 3, 2: 1, 3: 2}
c = {1: 5, 2: 10, 3: 8}
u = {1: 4, 2: 6, 3: 3}
b = 4

model = pyo.ConcreteModel(name="prod")
model.P = pyo.Set(initialize=[1, 2, 3])
model.X = pyo.Var(model.P, bounds=lambda m, j: (0, u[j]))

model.profit = pyo.Objective(expr=sum(c[j] * model.X[j] for j in model.P), sense=pyo.maximize)
model.capacity = pyo.Constraint(expr=sum(model.X[j] / a[j] for j in model.P) <= b)
