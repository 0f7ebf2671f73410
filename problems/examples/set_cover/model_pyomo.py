import pyomo.environ as pyo

build_cost = {"S1": 5, "S2": 4, "S3": 6, "S4": 3, "S5": 7, "S6": 4, "S7": 5, "S8": 6}
covers = {
    "S1": ["D1", "D2", "D3"],
    "S2": ["D2", "D4", "D5"],
    "S3": ["D3", "D5", "D6", "D7"],
    "S4": ["D1", "D4", "D8"],
    "S5": ["D5", "D6", "D7", "D9", "D10"],
    "S6": ["D8", "D9"],
    "S7": ["D2", "D7", "D10"],
    "S8": ["D4", "D6", "D9", "D10"],
}
districts = [f"D{k}" for k in range(1, 11)]

model = pyo.ConcreteModel(name="set_cover")
model.S = pyo.Set(initialize=list(build_cost))
model.D = pyo.Set(initialize=districts)
model.build = pyo.Var(model.S, domain=pyo.Binary)

model.cost = pyo.Objective(expr=sum(build_cost[s] * model.build[s] for s in model.S),
                           sense=pyo.minimize)


def covered_rule(m, d):
    return sum(m.build[s] for s in m.S if d in covers[s]) >= 1


model.district_covered = pyo.Constraint(model.D, rule=covered_rule)
