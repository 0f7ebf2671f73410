import pyomo.environ as pyo

demand = {3: 90, 4: 60}  # pieces needed of each length (m)
# every way to cut a 10 m bar: pieces of 3 m and 4 m per bar
# derived: 10 // 3 = 3 (at most three 3 m pieces), (10 - 4) // 3 = 2 (two 3 m beside a 4 m one), 10 // 4 = 2 (at most two 4 m pieces)
patterns = [(1, 0), (2, 0), (3, 0), (0, 1), (1, 1), (2, 1), (0, 2)]

model = pyo.ConcreteModel(name="rebar_cutting")
model.K = pyo.RangeSet(1, len(patterns))
model.bars = pyo.Var(model.K, domain=pyo.NonNegativeIntegers)

model.raw_bars = pyo.Objective(expr=sum(model.bars[k] for k in model.K), sense=pyo.minimize)
model.meet_3m = pyo.Constraint(
    expr=sum(patterns[k - 1][0] * model.bars[k] for k in model.K) >= demand[3]
)
model.meet_4m = pyo.Constraint(
    expr=sum(patterns[k - 1][1] * model.bars[k] for k in model.K) >= demand[4]
)
