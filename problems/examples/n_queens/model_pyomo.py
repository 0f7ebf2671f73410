import pyomo.environ as pyo

n = 8

model = pyo.ConcreteModel(name="n_queens")
model.N = pyo.RangeSet(1, n)
model.q = pyo.Var(model.N, model.N, domain=pyo.Binary)  # q[r, c]: a queen on row r, column c


def col_rule(m, c):
    return sum(m.q[r, c] for r in m.N) == 1


def row_rule(m, r):
    return sum(m.q[r, c] for c in m.N) == 1


def rising_rule(m, k):  # squares with r + c == k
    return sum(m.q[r, k - r] for r in m.N if 1 <= k - r <= n) <= 1


def falling_rule(m, k):  # squares with r - c == k
    return sum(m.q[r, r - k] for r in m.N if 1 <= r - k <= n) <= 1


model.one_per_column = pyo.Constraint(model.N, rule=col_rule)
model.one_per_row = pyo.Constraint(model.N, rule=row_rule)
model.rising_diagonal = pyo.Constraint(pyo.RangeSet(2, 2 * n), rule=rising_rule)
model.falling_diagonal = pyo.Constraint(pyo.RangeSet(1 - n, n - 1), rule=falling_rule)
