import pyomo.environ as pyo

capacity = {
    (0, 1): 16, (0, 2): 6, (0, 3): 16, (0, 4): 2, (0, 5): 17, (0, 6): 15,
    (1, 0): 7, (1, 2): 13, (1, 3): 3, (1, 5): 8, (1, 6): 17,
    (2, 0): 3, (2, 1): 17, (2, 3): 18, (2, 4): 11, (2, 5): 18, (2, 6): 11,
    (3, 0): 9, (3, 2): 15, (3, 4): 3, (3, 5): 8, (3, 6): 10,
    (4, 0): 3, (4, 1): 6, (4, 2): 1, (4, 3): 16, (4, 5): 13, (4, 6): 10,
    (5, 0): 15, (5, 1): 20, (5, 2): 2, (5, 3): 6, (5, 4): 18, (5, 6): 9,
    (6, 0): 4, (6, 1): 6, (6, 2): 8, (6, 3): 13, (6, 4): 16, (6, 5): 10,
}
source, sink = 0, 6

model = pyo.ConcreteModel(name="power_grid_max_flow")
model.NODES = pyo.RangeSet(0, 6)
model.LINES = pyo.Set(initialize=list(capacity), dimen=2)
model.flow = pyo.Var(model.LINES, bounds=lambda m, i, j: (0, capacity[i, j]))

model.max_flow = pyo.Objective(
    expr=sum(model.flow[i, j] for i, j in model.LINES if j == sink)
    - sum(model.flow[i, j] for i, j in model.LINES if i == sink),
    sense=pyo.maximize,
)


def conservation_rule(m, k):
    if k in (source, sink):
        return pyo.Constraint.Skip
    inflow = sum(m.flow[i, j] for i, j in m.LINES if j == k)
    outflow = sum(m.flow[i, j] for i, j in m.LINES if i == k)
    return inflow == outflow


model.conservation = pyo.Constraint(model.NODES, rule=conservation_rule)
