import pyomo.environ as pyo

foods = ["chicken", "rice", "eggs", "broccoli", "lentils", "apples"]
nutrients = ["protein", "carbs", "calories"]
content = {
    "chicken": {"protein": 18, "carbs": 5, "calories": 202},
    "rice": {"protein": 14, "carbs": 13, "calories": 234},
    "eggs": {"protein": 18, "carbs": 4, "calories": 220},
    "broccoli": {"protein": 7, "carbs": 15, "calories": 247},
    "lentils": {"protein": 15, "carbs": 17, "calories": 88},
    "apples": {"protein": 8, "carbs": 13, "calories": 77},
}
price = {"chicken": 1, "rice": 7, "eggs": 4, "broccoli": 3, "lentils": 1, "apples": 2}
need = {"protein": 70, "carbs": 187, "calories": 2181}

model = pyo.ConcreteModel(name="meal_plan")
model.F = pyo.Set(initialize=foods)
model.N = pyo.Set(initialize=nutrients)
model.amount = pyo.Var(model.F, domain=pyo.NonNegativeReals)

model.cost = pyo.Objective(expr=sum(price[f] * model.amount[f] for f in model.F),
                           sense=pyo.minimize)


def nutrition_rule(m, n):
    return sum(content[f][n] * m.amount[f] for f in m.F) >= need[n]


model.nutrition = pyo.Constraint(model.N, rule=nutrition_rule)
