import pyomo.environ as pyo

# acknowledged: 28 - serving size of oatmeal (28 g): the model counts servings
# acknowledged: 100 - serving size of chicken (100 g): the model counts servings
# acknowledged: 237 - serving size of whole milk (237 cc): the model counts servings
# acknowledged: 170 - serving size of cherry pie (170 g): the model counts servings
# acknowledged: 260 - serving size of pork with beans (260 g): the model counts servings

foods = ["oatmeal", "chicken", "eggs", "milk", "cherry_pie", "pork_beans"]
nutrients = ["energy", "protein", "calcium"]
need = {"energy": 2000, "protein": 55, "calcium": 800}
content = {
    "oatmeal": {"energy": 110, "protein": 4, "calcium": 2},
    "chicken": {"energy": 205, "protein": 32, "calcium": 12},
    "eggs": {"energy": 160, "protein": 13, "calcium": 54},
    "milk": {"energy": 160, "protein": 8, "calcium": 285},
    "cherry_pie": {"energy": 420, "protein": 4, "calcium": 22},
    "pork_beans": {"energy": 260, "protein": 14, "calcium": 80},
}
price = {"oatmeal": 3, "chicken": 24, "eggs": 13, "milk": 9, "cherry_pie": 20, "pork_beans": 19}
max_servings = {"oatmeal": 4, "chicken": 3, "eggs": 2, "milk": 8, "cherry_pie": 2, "pork_beans": 2}

model = pyo.ConcreteModel(name="diet")
model.F = pyo.Set(initialize=foods)
model.N = pyo.Set(initialize=nutrients)
model.servings = pyo.Var(model.F, bounds=lambda m, f: (0, max_servings[f]))

model.cost = pyo.Objective(expr=sum(price[f] * model.servings[f] for f in model.F),
                           sense=pyo.minimize)


def nutrient_rule(m, n):
    return sum(content[f][n] * m.servings[f] for f in m.F) >= need[n]


model.nutrient_need = pyo.Constraint(model.N, rule=nutrient_rule)
