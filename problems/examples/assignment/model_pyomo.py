import pyomo.environ as pyo

translators = ["Ann", "Bob", "Cid", "Dee", "Eve"]
documents = ["contract", "manual", "brochure", "website", "patent"]
table = [[9, 2, 7, 8, 6],
         [6, 4, 3, 7, 5],
         [5, 8, 1, 8, 7],
         [7, 6, 9, 4, 8],
         [8, 7, 6, 9, 3]]
hours = {(p, d): table[i][j] for i, p in enumerate(translators) for j, d in enumerate(documents)}

model = pyo.ConcreteModel(name="assignment")
model.P = pyo.Set(initialize=translators)
model.D = pyo.Set(initialize=documents)
model.assign = pyo.Var(model.P, model.D, domain=pyo.Binary)

model.total_hours = pyo.Objective(
    expr=sum(hours[p, d] * model.assign[p, d] for p in model.P for d in model.D),
    sense=pyo.minimize,
)


def one_document_rule(m, p):
    return sum(m.assign[p, d] for d in m.D) == 1


def one_translator_rule(m, d):
    return sum(m.assign[p, d] for p in m.P) == 1


model.one_document_each = pyo.Constraint(model.P, rule=one_document_rule)
model.one_translator_each = pyo.Constraint(model.D, rule=one_translator_rule)
