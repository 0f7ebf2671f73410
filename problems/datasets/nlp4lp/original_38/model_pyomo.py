import pyomo.environ as pyo

water = {"turnips": 50, "pumpkins": 90}  # minutes per acre
pesticide = {"turnips": 80, "pumpkins": 50}  # $ per acre
revenue = {"turnips": 300, "pumpkins": 450}  # $ per acre

model = pyo.ConcreteModel(name="turnips_pumpkins")
model.CROPS = pyo.Set(initialize=["turnips", "pumpkins"])
model.acres = pyo.Var(model.CROPS, domain=pyo.NonNegativeReals)

model.revenue = pyo.Objective(expr=sum(revenue[c] * model.acres[c] for c in model.CROPS),
                              sense=pyo.maximize)
model.land = pyo.Constraint(expr=sum(model.acres[c] for c in model.CROPS) <= 500)
model.watering = pyo.Constraint(expr=sum(water[c] * model.acres[c] for c in model.CROPS) <= 40000)
model.pesticide_cost = pyo.Constraint(
    expr=sum(pesticide[c] * model.acres[c] for c in model.CROPS) <= 34000
)
