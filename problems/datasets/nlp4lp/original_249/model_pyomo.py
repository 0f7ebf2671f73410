import pyomo.environ as pyo

fabric = {"A": 25, "B": 45}  # units per hour
plastic = {"A": 14, "B": 25}
element = {"A": 60, "B": 65}

model = pyo.ConcreteModel(name="fabric_plastic_methods")
model.METHODS = pyo.Set(initialize=["A", "B"])
model.hours = pyo.Var(model.METHODS, domain=pyo.NonNegativeReals)

model.total_time = pyo.Objective(expr=sum(model.hours[m] for m in model.METHODS),
                                 sense=pyo.minimize)
model.element_limit = pyo.Constraint(
    expr=sum(element[m] * model.hours[m] for m in model.METHODS) <= 3500
)
model.fabric_need = pyo.Constraint(
    expr=sum(fabric[m] * model.hours[m] for m in model.METHODS) >= 1400
)
model.plastic_need = pyo.Constraint(
    expr=sum(plastic[m] * model.hours[m] for m in model.METHODS) >= 1000
)
