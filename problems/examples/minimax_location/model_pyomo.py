import pyomo.environ as pyo

villages = {"v1": (10, 20), "v2": (40, 80), "v3": (70, 30), "v4": (25, 60), "v5": (90, 90),
            "v6": (60, 10)}
side = 100

model = pyo.ConcreteModel(name="minimax_location")
model.V = pyo.Set(initialize=list(villages))
model.depot_x = pyo.Var(bounds=(0, side))
model.depot_y = pyo.Var(bounds=(0, side))
model.dx = pyo.Var(model.V, domain=pyo.NonNegativeReals)  # |depot_x - vx|
model.dy = pyo.Var(model.V, domain=pyo.NonNegativeReals)  # |depot_y - vy|
model.longest = pyo.Var()

model.obj = pyo.Objective(expr=model.longest, sense=pyo.minimize)


def dx_pos(m, v):
    return m.dx[v] >= m.depot_x - villages[v][0]


def dx_neg(m, v):
    return m.dx[v] >= villages[v][0] - m.depot_x


def dy_pos(m, v):
    return m.dy[v] >= m.depot_y - villages[v][1]


def dy_neg(m, v):
    return m.dy[v] >= villages[v][1] - m.depot_y


def longest_rule(m, v):
    return m.longest >= m.dx[v] + m.dy[v]


model.dx_pos = pyo.Constraint(model.V, rule=dx_pos)
model.dx_neg = pyo.Constraint(model.V, rule=dx_neg)
model.dy_pos = pyo.Constraint(model.V, rule=dy_pos)
model.dy_neg = pyo.Constraint(model.V, rule=dy_neg)
model.longest_distance = pyo.Constraint(model.V, rule=longest_rule)
