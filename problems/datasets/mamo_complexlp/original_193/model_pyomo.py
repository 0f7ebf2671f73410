import pyomo.environ as pyo

assembly = {1: 1 / 4, 2: 1 / 3}  # hours per unit
testing = {1: 1 / 8, 2: 1 / 3}
material = {1: 1.2, 2: 0.9}
price = {1: 9, 2: 8}

model = pyo.ConcreteModel(name="assembly_overtime")
model.P = pyo.Set(initialize=[1, 2])
model.make = pyo.Var(model.P, domain=pyo.NonNegativeReals)
model.overtime = pyo.Var(bounds=(0, 50))

model.profit = pyo.Objective(
    expr=sum((price[p] - material[p]) * model.make[p] for p in model.P) - 7 * model.overtime,
    sense=pyo.maximize,
)
model.assembly_cap = pyo.Constraint(
    expr=sum(assembly[p] * model.make[p] for p in model.P) <= 90 + model.overtime
)
model.testing_cap = pyo.Constraint(expr=sum(testing[p] * model.make[p] for p in model.P) <= 80)
