import pyomo.environ as pyo

puzzle = [
    "53..7....",
    "6..195...",
    ".98....6.",
    "8...6...3",
    "4..8.3..1",
    "7...2...6",
    ".6....28.",
    "...419..5",
    "....8..79",
]

model = pyo.ConcreteModel(name="sudoku")
model.N = pyo.RangeSet(1, 9)
model.x = pyo.Var(model.N, model.N, model.N, domain=pyo.Binary)  # x[r, c, d]: cell (r, c) = d


def cell_rule(m, r, c):
    return sum(m.x[r, c, d] for d in m.N) == 1


def row_rule(m, r, d):
    return sum(m.x[r, c, d] for c in m.N) == 1


def col_rule(m, c, d):
    return sum(m.x[r, c, d] for r in m.N) == 1


def box_rule(m, br, bc, d):
    return sum(m.x[r, c, d] for r in range(3 * br - 2, 3 * br + 1)
               for c in range(3 * bc - 2, 3 * bc + 1)) == 1


model.one_digit = pyo.Constraint(model.N, model.N, rule=cell_rule)
model.row_once = pyo.Constraint(model.N, model.N, rule=row_rule)
model.col_once = pyo.Constraint(model.N, model.N, rule=col_rule)
model.box_once = pyo.Constraint(pyo.RangeSet(1, 3), pyo.RangeSet(1, 3), model.N, rule=box_rule)

for r, line in enumerate(puzzle, start=1):
    for c, ch in enumerate(line, start=1):
        if ch != ".":
            model.x[r, c, int(ch)].fix(1)
