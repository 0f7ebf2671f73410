import pyomo.environ as pyo

ingredients = ["chicken", "beef", "mutton", "rice", "wheat_bran", "gel"]
cost = {"chicken": 0.013, "beef": 0.008, "mutton": 0.010, "rice": 0.002, "wheat_bran": 0.005,
        "gel": 0.001}
protein = {"chicken": 0.100, "beef": 0.200, "mutton": 0.150, "rice": 0.000, "wheat_bran": 0.040,
           "gel": 0.000}
fat = {"chicken": 0.080, "beef": 0.100, "mutton": 0.110, "rice": 0.010, "wheat_bran": 0.010,
       "gel": 0.000}
fibre = {"chicken": 0.001, "beef": 0.005, "mutton": 0.003, "rice": 0.100, "wheat_bran": 0.150,
         "gel": 0.000}
salt = {"chicken": 0.002, "beef": 0.005, "mutton": 0.007, "rice": 0.002, "wheat_bran": 0.008,
        "gel": 0.000}

model = pyo.ConcreteModel(name="blending")
model.I = pyo.Set(initialize=ingredients)
model.grams = pyo.Var(model.I, domain=pyo.NonNegativeReals)

model.cost = pyo.Objective(expr=sum(cost[i] * model.grams[i] for i in model.I),
                           sense=pyo.minimize)
model.fill_can = pyo.Constraint(expr=sum(model.grams[i] for i in model.I) == 100)
model.protein_min = pyo.Constraint(expr=sum(protein[i] * model.grams[i] for i in model.I) >= 8)
model.fat_min = pyo.Constraint(expr=sum(fat[i] * model.grams[i] for i in model.I) >= 6)
model.fibre_max = pyo.Constraint(expr=sum(fibre[i] * model.grams[i] for i in model.I) <= 2)
model.salt_max = pyo.Constraint(expr=sum(salt[i] * model.grams[i] for i in model.I) <= 0.4)
