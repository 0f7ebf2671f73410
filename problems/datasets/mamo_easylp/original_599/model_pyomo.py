import pyomo.environ as pyo

model = pyo.ConcreteModel(name="risk_portfolio")  # amounts in thousands of dollars
model.stocks = pyo.Var(domain=pyo.NonNegativeIntegers)
model.bonds = pyo.Var(domain=pyo.NonNegativeIntegers)
model.mutual_funds = pyo.Var(domain=pyo.NonNegativeIntegers)
model.derivatives = pyo.Var(domain=pyo.NonNegativeIntegers)

model.risk = pyo.Objective(
    expr=3 * model.stocks + 4 * model.bonds + 2 * model.mutual_funds + 5 * model.derivatives,
    sense=pyo.minimize,
)
model.stocks_bonds = pyo.Constraint(expr=model.stocks + model.bonds >= 1000)
model.mf_deriv_diff = pyo.Constraint(
    expr=pyo.inequality(-500, model.mutual_funds - model.derivatives, 500)
)
model.stocks_over_mf = pyo.Constraint(expr=model.stocks - model.mutual_funds >= 200)
model.bonds_deriv = pyo.Constraint(expr=model.bonds + model.derivatives == 1500)
