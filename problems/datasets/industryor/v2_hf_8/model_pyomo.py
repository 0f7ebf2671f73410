import pyomo.environ as pyo

workers = ["I", "II", "III", "IV", "V"]
tasks = ["A", "B", "C", "D"]
table = [[9, 4, 3, 7], [4, 6, 5, 6], [5, 4, 7, 5], [7, 5, 2, 3], [10, 6, 7, 4]]
hours = {(w, t): table[i][j] for i, w in enumerate(workers) for j, t in enumerate(tasks)}

model = pyo.ConcreteModel(name="worker_assignment")
model.W = pyo.Set(initialize=workers)
model.T = pyo.Set(initialize=tasks)
model.assign = pyo.Var(model.W, model.T, domain=pyo.Binary)

model.total_hours = pyo.Objective(
    expr=sum(hours[w, t] * model.assign[w, t] for w in model.W for t in model.T),
    sense=pyo.minimize,
)


def task_rule(m, t):
    return sum(m.assign[w, t] for w in m.W) == 1


def worker_rule(m, w):
    return sum(m.assign[w, t] for t in m.T) <= 1


model.task_done = pyo.Constraint(model.T, rule=task_rule)
model.one_task_each = pyo.Constraint(model.W, rule=worker_rule)
