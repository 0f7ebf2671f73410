"""The hand-run procedures of the trace variant: a correct trace passes every step, and
deliberately wrong traces are caught at the right step with the right reason."""

from __future__ import annotations

import itertools
import json

import pytest

from formalize.evaluation.families import generate
from formalize.evaluation.traces import PROCEDURES, TraceUnavailable, knapsack_dp, simplex, tsp_2opt


def fresh(doc):
    return json.loads(json.dumps(doc))


@pytest.mark.parametrize("family,procedure,sizes", [
    ("knapsack", "knapsack-dp", (2, 3, 6)), ("knapsack-strong", "knapsack-dp", (4, 10)),
    ("productmix", "simplex", (2, 3, 5, 7)), ("tsp", "nn-2opt", (4, 6, 9, 12)),
])
def test_reference_traces_pass_every_step(family, procedure, sizes):
    proc = PROCEDURES[procedure]
    for size in sizes:
        for seed in range(3):
            inst = generate(family, size, seed)
            proc.available(inst.model)
            chk = proc.check(inst.model, fresh(proc.reference(inst.model)))
            assert chk.correct and chk.fidelity == 1 and chk.first_wrong is None, chk.summary()
            assert chk.steps_total >= 2
            assert "JSON" in proc.instructions(inst.model)


# ---------------------------------------------------------------- knapsack DP


@pytest.fixture(scope="module")
def knap():
    inst = generate("knapsack", 5, 0)
    return inst, knapsack_dp.reference(inst.model)


def test_dp_table_matches_the_generators_optimum(knap):
    inst, ref = knap
    assert ref["optimum"] == inst.known_optimum
    w, v, cap = knapsack_dp.data(inst.model)
    assert sum(w[i - 1] for i in ref["chosen"]) <= cap
    assert sum(v[i - 1] for i in ref["chosen"]) == ref["optimum"]


def _full_table(w, v, cap):
    rows = [[0] * (cap + 1)]
    for wi, vi in zip(w, v):
        p = rows[-1]
        rows.append([p[c] if wi > c else max(p[c], p[c - wi] + vi) for c in range(cap + 1)])
    return rows


@pytest.mark.parametrize("family", ["knapsack", "knapsack-strong", "knapsack-subsetsum",
                                    "knapsack-spanner", "knapsack-inverse"])
def test_dp_steps_are_the_full_table(family):
    """The rows' steps give every cell of the full DP table (computed here cell by cell)."""
    for size, seed in itertools.product((1, 4, 7), range(2)):
        inst = generate(family, size, seed)
        w, v, cap = knapsack_dp.data(inst.model)
        full = _full_table(w, v, cap)
        ref = knapsack_dp.reference(inst.model)
        for i in range(1, size + 1):
            steps = [tuple(s) for s in ref["rows"][str(i)]]
            assert [knapsack_dp.value_at(steps, c) for c in range(cap + 1)] == full[i]
            rises = [(c, full[i][c]) for c in range(cap + 1)
                     if full[i][c] > (full[i][c - 1] if c else 0)]
            assert steps == rises
        assert ref["optimum"] == full[size][cap] == inst.known_optimum


def _step_index(ref, row, k):
    """1-based step number of the k-th step of `row` in a correct trace."""
    return sum(len(ref["rows"][str(i)]) for i in range(1, row)) + k + 1


def test_dp_arithmetic_slip_is_caught_at_its_step(knap):
    inst, ref = knap
    n = len(knapsack_dp.data(inst.model)[0])
    bad = fresh(ref)
    c, x = bad["rows"][str(n)][-2]
    bad["rows"][str(n)][-2] = [c, x + 1]  # the last row: nothing depends on it
    chk = knapsack_dp.check(inst.model, bad)
    assert chk.n_faults == 1 and chk.steps_right == chk.steps_total - 1
    first = chk.first_wrong
    assert first.step == _step_index(ref, n, len(ref["rows"][str(n)]) - 2)
    assert first.label == f"row {n}, c = {c}"
    assert first.message.startswith(f"{x + 1}, expected max(best[{n - 1}][{c}] = ")
    assert first.message.endswith(f") = {x}")
    assert not chk.correct and chk.final_ok  # the optimum itself was right


def test_dp_missed_and_invented_steps(knap):
    inst, ref = knap
    w, v, cap = knapsack_dp.data(inst.model)
    n = len(w)
    missed = fresh(ref)
    gone = missed["rows"][str(n)].pop(0)
    chk = knapsack_dp.check(inst.model, missed)
    assert chk.n_faults == 1 and chk.first_wrong.step == _step_index(ref, n, 0)
    assert "step missing" in chk.first_wrong.message and f"c = {gone[0]}" in chk.first_wrong.label
    invented = fresh(ref)
    c0, x0 = invented["rows"]["1"][0]
    invented["rows"]["1"].insert(0, [c0 - 1, x0])  # best[1][c0 - 1] is 0, not x0
    chk = knapsack_dp.check(inst.model, invented)
    assert chk.first_wrong.step == 1 and chk.first_wrong.label == f"row 1, c = {c0 - 1}"
    assert "is not a step of row 1" in chk.first_wrong.message


def test_dp_slip_carried_forward_is_one_wrong_step(knap):
    """Rows after the slip computed correctly from the wrong row: only the slip is wrong."""
    inst, ref = knap
    w, v, cap = knapsack_dp.data(inst.model)
    rows = fresh(ref)["rows"]
    c, x = rows["2"][-1]
    rows["2"][-1] = [c, x - 5]
    prev = [tuple(s) for s in rows["2"]]
    for i in range(3, len(w) + 1):
        prev = knapsack_dp.next_row(prev, w[i - 1], v[i - 1], cap)
        rows[str(i)] = [list(s) for s in prev]
    chosen = knapsack_dp.trace_back([[tuple(s) for s in rows[str(i)]]
                                     for i in range(1, len(w) + 1)], w, cap)
    doc = {"rows": rows, "optimum": knapsack_dp.value_at(prev, cap), "chosen": chosen}
    chk = knapsack_dp.check(inst.model, doc)
    assert chk.first_wrong.label == f"row 2, c = {c}"
    assert chk.first_wrong.step == _step_index(ref, 2, len(ref["rows"]["2"]) - 1)
    assert chk.n_faults == 1  # the later rows follow from the answer's own predecessors


def test_dp_missing_rows_and_bad_trace_back(knap):
    inst, ref = knap
    w, _, cap = knapsack_dp.data(inst.model)
    short = fresh(ref)
    del short["rows"]["3"]
    chk = knapsack_dp.check(inst.model, short)
    assert chk.first_wrong.label == "row 3" and "missing" in chk.first_wrong.message
    assert chk.steps_right == chk.steps_total - len(ref["rows"]["3"])
    heavy = fresh(ref)
    heavy["chosen"] = list(range(1, len(w) + 1))
    chk = knapsack_dp.check(inst.model, heavy)
    assert chk.n_faults == 1 and chk.first_wrong.label == "trace-back"
    assert "weigh" in chk.first_wrong.message
    garbled = fresh(ref)
    garbled["rows"]["1"] = "1: 0 0 0"
    chk = knapsack_dp.check(inst.model, garbled)
    assert chk.first_wrong.label == "row 1" and "[c, value] pairs" in chk.first_wrong.message
    as_list = fresh(ref)  # rows as a list 1..n (or 0..n) read the same
    as_list["rows"] = [as_list["rows"][str(i)] for i in range(1, len(w) + 1)]
    assert knapsack_dp.check(inst.model, as_list).correct
    as_list["rows"].insert(0, [])
    assert knapsack_dp.check(inst.model, as_list).correct


def test_dp_too_many_steps_is_not_offered():
    knapsack_dp.available(generate("knapsack-strong", 10, 0).model)  # about 340 steps
    with pytest.raises(TraceUnavailable, match="steps"):
        knapsack_dp.available(generate("knapsack-strong", 40, 0).model)


# ---------------------------------------------------------------- simplex


def _instance_with(predicate):
    for size, seed in itertools.product((3, 4, 5, 6), range(40)):
        inst = generate("productmix", size, seed)
        ref = simplex.reference(inst.model)
        if predicate(ref):
            return inst, ref
    raise AssertionError("no product-mix instance with the wanted shape")


def test_simplex_reference_reaches_the_optimum():
    inst = generate("productmix", 4, 0)
    ref = simplex.reference(inst.model)
    assert float(simplex.number(ref["objective"])) == pytest.approx(inst.known_optimum)
    assert all(p["leaving"] in p["ratios"] for p in ref["pivots"])


def test_simplex_wrong_leaving_variable_is_caught_at_its_pivot():
    inst, ref = _instance_with(lambda r: len(r["pivots"]) >= 2 and len(r["pivots"][0]["ratios"]) >= 2)
    bad = fresh(ref)
    p1 = bad["pivots"][0]
    other = next(k for k in p1["ratios"] if k != p1["leaving"])
    p1["leaving"] = other
    chk = simplex.check(inst.model, bad)
    assert chk.first_wrong.step == 1 and chk.first_wrong.label == "pivot 1"
    assert f"leaving '{other}', expected {ref['pivots'][0]['leaving']}" in chk.first_wrong.message
    assert not chk.correct and chk.fidelity < 1


def test_simplex_wrong_entering_and_ratio_and_objective():
    inst, ref = _instance_with(lambda r: len(r["pivots"]) >= 2)
    lp = simplex.data(inst.model)
    start = simplex.Basis(lp, list(range(lp.n, lp.n + lp.m)))
    red = start.reduced()
    positive = [lp.names[j] for j, r in red.items() if r > 0]
    if len(positive) >= 2:
        bad = fresh(ref)
        bad["pivots"][0]["entering"] = next(x for x in positive
                                            if x != ref["pivots"][0]["entering"])
        chk = simplex.check(inst.model, bad)
        assert chk.first_wrong.step == 1 and "entering" in chk.first_wrong.message
    bad = fresh(ref)
    first_key = next(iter(bad["pivots"][0]["ratios"]))
    bad["pivots"][0]["ratios"][first_key] = 999
    chk = simplex.check(inst.model, bad)
    assert chk.first_wrong.step == 1 and "ratio test" in chk.first_wrong.message
    assert chk.n_faults == 1  # its basis and objective are right: the next pivot checks out
    bad = fresh(ref)
    bad["pivots"][1]["objective"] = "1/3"
    chk = simplex.check(inst.model, bad)
    assert chk.first_wrong.step == 2 and "objective 1/3, expected" in chk.first_wrong.message
    assert chk.steps_right == chk.steps_total - 1


def test_simplex_stopping_early_is_a_missing_pivot():
    inst, ref = _instance_with(lambda r: len(r["pivots"]) >= 2)
    short = fresh(ref)
    short["pivots"] = short["pivots"][:1]
    chk = simplex.check(inst.model, short)
    assert chk.first_wrong.step == 2 and "missing" in chk.first_wrong.message
    assert "reduced profit" in chk.first_wrong.message
    assert chk.steps_total == len(ref["pivots"]) + 1 and chk.steps_right == 1


def test_simplex_fractions_as_decimals_are_accepted():
    inst, ref = _instance_with(lambda r: any("/" in str(v) for p in r["pivots"]
                                             for v in p["basis"].values()))
    dec = fresh(ref)
    for p in dec["pivots"]:
        p["basis"] = {k: round(float(simplex.number(v)), 9) for k, v in p["basis"].items()}
    assert simplex.check(inst.model, dec).correct


# ---------------------------------------------------------------- nearest neighbour + 2-opt


def _tsp_with_moves(k: int):
    for size, seed in itertools.product((7, 8, 9, 10), range(30)):
        inst = generate("tsp", size, seed)
        ref = tsp_2opt.reference(inst.model)
        if len(ref["two_opt"]) >= k:
            return inst, ref
    raise AssertionError("no tsp instance with enough 2-opt moves")


def test_tsp_non_improving_move_is_caught():
    inst, ref = _tsp_with_moves(1)
    dist = tsp_2opt.data(inst.model)
    n = len(dist)
    start = [t - 1 for t in ref["nearest_neighbour"]["tour"]]
    gain, i, j = min(tsp_2opt.moves(start, dist))  # the worst move: gain <= 0
    assert gain <= 0
    worse = start[: i + 1] + start[i + 1: j + 1][::-1] + start[j + 1:]
    bad = fresh(ref)
    bad["two_opt"][0] = {"tour": [t + 1 for t in worse],
                         "length": tsp_2opt.length(worse, dist), "gain": gain}
    chk = tsp_2opt.check(inst.model, bad)
    first = chk.first_wrong
    assert first.step == n + 1 and first.label == "2-opt move 1"
    assert "does not shorten the tour" in first.message


def test_tsp_improving_but_not_best_move_breaks_the_rule():
    for size, seed in itertools.product((8, 9, 10, 11), range(30)):
        inst = generate("tsp", size, seed)
        dist = tsp_2opt.data(inst.model)
        start = tsp_2opt.nearest_neighbour(dist)
        gains = sorted({g for g, _, _ in tsp_2opt.moves(start, dist) if g > 0})
        if len(gains) >= 2:
            break
    else:
        raise AssertionError("no instance with two different improving gains")
    g, i, j = next(m for m in tsp_2opt.moves(start, dist) if m[0] == gains[0])
    new = start[: i + 1] + start[i + 1: j + 1][::-1] + start[j + 1:]
    ref = tsp_2opt.reference(inst.model)
    bad = fresh(ref)
    bad["two_opt"] = [{"tour": [t + 1 for t in new], "length": tsp_2opt.length(new, dist)}]
    chk = tsp_2opt.check(inst.model, bad)
    assert chk.first_wrong.label == "2-opt move 1"
    assert f"gain {gains[0]} is not the largest; a move with gain {gains[-1]}" in \
        chk.first_wrong.message


def test_tsp_wrong_tour_length_and_wrong_neighbour():
    inst, ref = _tsp_with_moves(1)
    n = len(tsp_2opt.data(inst.model))
    bad = fresh(ref)
    bad["nearest_neighbour"]["length"] += 3
    chk = tsp_2opt.check(inst.model, bad)
    assert chk.n_faults == 1 and chk.first_wrong.step == n
    assert chk.first_wrong.label == "nearest-neighbour tour" and "length" in chk.first_wrong.message
    bad = fresh(ref)
    bad["two_opt"][0]["length"] += 1
    chk = tsp_2opt.check(inst.model, bad)
    assert chk.first_wrong.label == "2-opt move 1" and "length" in chk.first_wrong.message
    bad = fresh(ref)
    steps = bad["nearest_neighbour"]["steps"]
    wrong_to = next(t for t in range(2, n + 1) if t != steps[1]["to"] and t != steps[0]["to"])
    steps[1]["to"] = wrong_to
    chk = tsp_2opt.check(inst.model, bad)
    assert chk.first_wrong.step == 2 and chk.first_wrong.label == "nearest neighbour 2"
    assert f"expected town {ref['nearest_neighbour']['steps'][1]['to']}" in chk.first_wrong.message


def test_tsp_stopping_with_an_improving_move_left():
    inst, ref = _tsp_with_moves(1)
    short = fresh(ref)
    short["two_opt"] = []
    short["tour"], short["length"] = ref["nearest_neighbour"]["tour"], ref["nearest_neighbour"]["length"]
    chk = tsp_2opt.check(inst.model, short)
    assert "missing" in chk.first_wrong.message and chk.first_wrong.label == "2-opt move 1"
    assert chk.final_ok is False and "not 2-optimal" in chk.final_detail
