import pyomo.environ as pyo

toys = ["truck", "airplane", "boat", "train"]
profit = {"truck": 5, "airplane": 10, "boat": 8, "train": 7}
wood = {"truck": 12, "airplane": 20, "boat": 15, "train": 10}
steel = {"truck": 6, "airplane": 3, "boat": 5, "train": 4}
max_units = {t: 890 // wood[t] for t in toys}  # wood alone bounds every quantity

model = pyo.ConcreteModel(name="haus_toys")
model.TOYS = pyo.Set(initialize=toys)
model.make = pyo.Var(model.TOYS, domain=pyo.NonNegativeIntegers)
model.produce = pyo.Var(model.TOYS, domain=pyo.Binary)  # 1 if the toy type is made at all

model.profit = pyo.Objective(expr=sum(profit[t] * model.make[t] for t in model.TOYS),
                             sense=pyo.maximize)
model.wood = pyo.Constraint(expr=sum(wood[t] * model.make[t] for t in model.TOYS) <= 890)
model.steel = pyo.Constraint(expr=sum(steel[t] * model.make[t] for t in model.TOYS) <= 500)


def link_rule(m, t):
    return m.make[t] <= max_units[t] * m.produce[t]


model.link = pyo.Constraint(model.TOYS, rule=link_rule)
model.trucks_excl_trains = pyo.Constraint(
    expr=model.produce["truck"] + model.produce["train"] <= 1
)
model.boats_need_airplanes = pyo.Constraint(expr=model.make["airplane"] >= model.produce["boat"])
model.boats_le_trains = pyo.Constraint(expr=model.make["boat"] <= model.make["train"])
