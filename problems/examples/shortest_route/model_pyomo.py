import math

import pyomo.environ as pyo

coords = {"D": (0, 0), "A": (3, 5), "B": (5, -1), "C": (8, 3), "E": (10, -3), "F": (13, 2), "G": (16, 0)}
reach = 6
start, goal = "D", "G"
km = {(i, j): math.hypot(coords[i][0] - coords[j][0], coords[i][1] - coords[j][1])
      for i in coords for j in coords if i != j}
roads = [arc for arc, d in km.items() if d <= reach]

model = pyo.ConcreteModel(name="shortest_route")
model.J = pyo.Set(initialize=list(coords))
model.Roads = pyo.Set(initialize=roads, dimen=2)
model.drive = pyo.Var(model.Roads, domain=pyo.NonNegativeReals)
model.length = pyo.Objective(expr=sum(km[a] * model.drive[a] for a in model.Roads), sense=pyo.minimize)


def flow_rule(m, n):
    out = sum(m.drive[i, j] for (i, j) in m.Roads if i == n)
    inn = sum(m.drive[i, j] for (i, j) in m.Roads if j == n)
    return out - inn == (1 if n == start else -1 if n == goal else 0)


model.flow = pyo.Constraint(model.J, rule=flow_rule)
