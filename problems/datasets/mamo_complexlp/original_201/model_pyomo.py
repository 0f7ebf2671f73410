import pyomo.environ as pyo

demand = {1: 430, 2: 430, 3: 380, 4: 450, 5: 520, 6: 440}  # January..June
reg_cap, reg_cost = 420, 40
ot_cap, ot_cost = 80, 45
hold_cost = 3
init_inv = 10

model = pyo.ConcreteModel(name="wrench_production_plan")
model.T = pyo.RangeSet(1, 6)
model.regular = pyo.Var(model.T, bounds=(0, reg_cap))
model.overtime = pyo.Var(model.T, bounds=(0, ot_cap))
model.inv = pyo.Var(model.T, domain=pyo.NonNegativeReals)

model.cost = pyo.Objective(
    expr=sum(reg_cost * model.regular[t] + ot_cost * model.overtime[t]
             + hold_cost * model.inv[t] for t in model.T),
    sense=pyo.minimize,
)


def balance_rule(m, t):
    previous = init_inv if t == 1 else m.inv[t - 1]
    return m.inv[t] == previous + m.regular[t] + m.overtime[t] - demand[t]


model.balance = pyo.Constraint(model.T, rule=balance_rule)
