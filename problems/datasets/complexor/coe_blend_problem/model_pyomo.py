import pyomo.environ as pyo

alloys = [0, 1]
elements = ["A", "B"]
composition = {("A", 0): 0.5, ("A", 1): 0.1, ("B", 0): 0.5, ("B", 1): 0.9}
desired = {"A": 0.5, "B": 0.5}
price = {0: 10.0, 1: 20.0}

model = pyo.ConcreteModel(name="alloy_blend")
model.ALLOYS = pyo.Set(initialize=alloys)
model.ELEMENTS = pyo.Set(initialize=elements)
model.buy = pyo.Var(model.ALLOYS, domain=pyo.NonNegativeReals)

model.cost = pyo.Objective(expr=sum(price[a] * model.buy[a] for a in model.ALLOYS),
                           sense=pyo.minimize)


def blend_rule(m, e):
    return sum(composition[e, a] * m.buy[a] for a in m.ALLOYS) == desired[e]


model.blend = pyo.Constraint(model.ELEMENTS, rule=blend_rule)
model.total = pyo.Constraint(expr=sum(model.buy[a] for a in model.ALLOYS) == 1)
