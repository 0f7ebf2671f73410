import pyomo.environ as pyo

model = pyo.ConcreteModel(name="promo_packages")
model.a = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(20, None))  # packages A
model.b = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(10, None))  # packages B

model.revenue = pyo.Objective(expr=30 * model.a + 50 * model.b, sense=pyo.maximize)
model.shirt_stock = pyo.Constraint(expr=model.a + 3 * model.b <= 200)
model.pants_stock = pyo.Constraint(expr=2 * model.a + model.b <= 100)
