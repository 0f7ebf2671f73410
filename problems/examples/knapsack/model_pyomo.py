import pyomo.environ as pyo

weight = {
    "map": 9, "compass": 13, "water": 153, "sandwich": 50, "glucose": 15, "tin": 68,
    "banana": 27, "apple": 39, "cheese": 23, "beer": 52, "suntan_cream": 11, "camera": 32,
    "t_shirt": 24, "trousers": 48, "umbrella": 73, "waterproof_trousers": 42,
    "waterproof_overclothes": 43, "note_case": 22, "sunglasses": 7, "towel": 18, "socks": 4,
    "book": 30,
}
value = {
    "map": 150, "compass": 35, "water": 200, "sandwich": 160, "glucose": 60, "tin": 45,
    "banana": 60, "apple": 40, "cheese": 30, "beer": 10, "suntan_cream": 70, "camera": 30,
    "t_shirt": 15, "trousers": 10, "umbrella": 40, "waterproof_trousers": 70,
    "waterproof_overclothes": 75, "note_case": 80, "sunglasses": 20, "towel": 12, "socks": 50,
    "book": 10,
}
max_weight = 400

model = pyo.ConcreteModel(name="knapsack")
model.I = pyo.Set(initialize=list(weight))
model.take = pyo.Var(model.I, domain=pyo.Binary)

model.value = pyo.Objective(expr=sum(value[i] * model.take[i] for i in model.I),
                            sense=pyo.maximize)
model.weight_limit = pyo.Constraint(
    expr=sum(weight[i] * model.take[i] for i in model.I) <= max_weight
)
