import pyomo.environ as pyo

towns = ["ashford", "brigg", "carlow", "dover", "ely", "frome"]
km = {
    "ashford": {"brigg": 12, "carlow": 10, "dover": 19, "ely": 8, "frome": 14},
    "brigg": {"ashford": 12, "carlow": 3, "dover": 7, "ely": 2, "frome": 11},
    "carlow": {"ashford": 10, "brigg": 3, "dover": 6, "ely": 20, "frome": 4},
    "dover": {"ashford": 19, "brigg": 7, "carlow": 6, "ely": 4, "frome": 13},
    "ely": {"ashford": 8, "brigg": 2, "carlow": 20, "dover": 4, "frome": 9},
    "frome": {"ashford": 14, "brigg": 11, "carlow": 4, "dover": 13, "ely": 9},
}
home = "ashford"
others = [t for t in towns if t != home]
n = len(others)

model = pyo.ConcreteModel(name="tsp")
model.T = pyo.Set(initialize=towns)
model.O = pyo.Set(initialize=others)
model.Roads = pyo.Set(initialize=[(i, j) for i in towns for j in towns if i != j])
model.travel = pyo.Var(model.Roads, domain=pyo.Binary)
model.order = pyo.Var(model.O, bounds=(1, n))

model.length = pyo.Objective(expr=sum(km[i][j] * model.travel[i, j] for i, j in model.Roads),
                             sense=pyo.minimize)


def leave_rule(m, i):
    return sum(m.travel[i, j] for j in m.T if j != i) == 1


def enter_rule(m, j):
    return sum(m.travel[i, j] for i in m.T if i != j) == 1


def mtz_rule(m, i, j):
    if i == j:
        return pyo.Constraint.Skip
    return m.order[i] - m.order[j] + n * m.travel[i, j] <= n - 1


model.leave_once = pyo.Constraint(model.T, rule=leave_rule)
model.enter_once = pyo.Constraint(model.T, rule=enter_rule)
model.no_subtour = pyo.Constraint(model.O, model.O, rule=mtz_rule)
