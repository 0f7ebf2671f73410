import pyomo.environ as pyo

assets = ["bonds", "us_stocks", "intl_stocks", "real_estate"]
expected_return = {"bonds": 0.03, "us_stocks": 0.08, "intl_stocks": 0.10, "real_estate": 0.06}
cov_rows = [[0.0025, 0.001, 0.0005, 0.0008],
            [0.001, 0.04, 0.018, 0.012],
            [0.0005, 0.018, 0.0625, 0.015],
            [0.0008, 0.012, 0.015, 0.0225]]
cov = {(a, b): cov_rows[i][j] for i, a in enumerate(assets) for j, b in enumerate(assets)}
min_return = 0.07

model = pyo.ConcreteModel(name="portfolio")
model.A = pyo.Set(initialize=assets)
model.weight = pyo.Var(model.A, bounds=(0, 1))

model.variance = pyo.Objective(
    expr=sum(cov[i, j] * model.weight[i] * model.weight[j] for i in model.A for j in model.A),
    sense=pyo.minimize,
)
model.budget = pyo.Constraint(expr=sum(model.weight[i] for i in model.A) == 1)
model.target_return = pyo.Constraint(
    expr=sum(expected_return[i] * model.weight[i] for i in model.A) >= min_return
)
