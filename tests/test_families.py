"""Problem families for scale sweeps: determinism, text/model agreement, size scaling, and
optima checked against independent algorithms (brute force, DP, Hungarian, min-cost flow,
scipy's LP) and, when the solvers are there, against solvers.solve and solvers.check."""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from typing import Any

import pytest

from formalize.evaluation.families import FAMILIES, FamilyInstance, generate
from formalize.evaluation.families.assignment import brute_force as assignment_brute_force
from formalize.evaluation.families.assignment import hungarian
from formalize.evaluation.families.knapsack import knapsack_dp
from formalize.evaluation.families.production import dimensions as production_dims
from formalize.evaluation.families.scheduling import brute_force as scheduling_brute_force
from formalize.evaluation.families.scheduling import schedule_lateness
from formalize.evaluation.families.transportation import min_cost_transport

NAMES = ["knapsack", "transportation", "assignment", "production", "scheduling"]
SWEEP = [5, 10, 20, 40, 80]

# a number standing on its own: not glued to letters (labels like W3, t12) or other digits
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")


def _leaves(values: Any) -> list[float]:
    if isinstance(values, dict):
        return [x for v in values.values() for x in _leaves(v)]
    if isinstance(values, list):
        return [x for v in values for x in _leaves(v)]
    return [float(values)]


def _param_numbers(model: dict) -> list[float]:
    out: list[float] = []
    for spec in model["params"].values():
        if isinstance(spec, (int, float)):
            out.append(float(spec))
        elif "value" in spec:
            out.append(float(spec["value"]))
        else:
            out.extend(_leaves(spec["values"]))
    return out


def _rows(values: Any, sets: list[list]) -> dict[tuple, float]:
    """Indexed param values as {key tuple: value}, for dense lists or nested mappings."""
    out: dict[tuple, float] = {}

    def walk(v: Any, depth: int, prefix: tuple) -> None:
        if depth == len(sets):
            out[prefix] = float(v)
            return
        items = zip(sets[depth], v, strict=True) if isinstance(v, list) else v.items()
        for k, sub in items:
            key = int(k) if isinstance(k, str) and k.isdigit() else k
            walk(sub, depth + 1, (*prefix, key))

    walk(values, 0, ())
    return out


def _elements(spec: Any) -> list:
    if isinstance(spec, dict) and "range" in spec:
        lo, hi = spec["range"]
        return list(range(lo, hi + 1))
    return spec["elements"] if isinstance(spec, dict) else spec


def _data(inst: FamilyInstance) -> dict[str, Any]:
    """The model's params as plain python: scalars, or {key tuple: value}."""
    m = inst.model
    sets = {name: _elements(s) for name, s in m["sets"].items()}
    out: dict[str, Any] = {}
    for name, spec in m["params"].items():
        if "value" in spec:
            out[name] = spec["value"]
        else:
            out[name] = _rows(spec["values"], [sets[s] for s in spec["index"]])
    return out


# ---------------------------------------------------------------- registry and errors


def test_registry_has_the_original_and_the_hard_families() -> None:
    hard = ["knapsack-strong", "knapsack-inverse", "knapsack-subsetsum", "knapsack-spanner",
            "binpacking", "gap-d", "gap-e", "jobshop", "tardiness", "tsp", "setcover", "facility"]
    assert sorted(FAMILIES) == sorted([*NAMES, "productmix", *hard])
    classes = {name: FAMILIES[name].problem_class for name in NAMES}
    assert classes == {
        "knapsack": "MILP",
        "transportation": "LP",
        "assignment": "MILP",
        "production": "LP",
        "scheduling": "MILP",
    }
    assert {name: FAMILIES[name].backend for name in NAMES} == {
        "knapsack": "auto",
        "transportation": "auto",
        "assignment": "auto",
        "production": "auto",
        "scheduling": "cpsat",
    }
    assert [n for n, f in FAMILIES.items() if f.hard] == hard
    assert {n: f.trace for n, f in FAMILIES.items() if f.trace} == {
        "knapsack": "knapsack-dp", "productmix": "simplex", "knapsack-strong": "knapsack-dp",
        "knapsack-inverse": "knapsack-dp", "knapsack-subsetsum": "knapsack-dp",
        "knapsack-spanner": "knapsack-dp", "tsp": "nn-2opt"}
    for fam in FAMILIES.values():
        assert fam.size_meaning and fam.description and fam.default_sizes
        assert all(s >= fam.min_size for s in fam.default_sizes)


def test_unknown_family_and_bad_sizes_are_precise_errors() -> None:
    with pytest.raises(ValueError, match=r"unknown problem family 'knapsak'.*knapsack"):
        generate("knapsak", 5, 0)
    with pytest.raises(ValueError, match=r"family 'assignment': size 0 is too small"):
        generate("assignment", 0, 0)
    with pytest.raises(TypeError, match=r"size must be an int, got float"):
        generate("knapsack", 5.0, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"seed must be an int"):
        generate("knapsack", 5, "1")  # type: ignore[arg-type]


# ---------------------------------------------------------------- determinism


@pytest.mark.parametrize("family", NAMES)
def test_same_seed_same_instance_other_seed_other_instance(family: str) -> None:
    a, b = generate(family, 10, 7), generate(family, 10, 7)
    assert a.text == b.text
    assert json.dumps(a.model, sort_keys=True) == json.dumps(b.model, sort_keys=True)
    assert a.known_optimum == b.known_optimum
    c = generate(family, 10, 8)
    assert c.text != a.text
    assert _param_numbers(c.model) != _param_numbers(a.model)
    assert (a.family, a.size, a.seed) == (family, 10, 7)


def test_generation_does_not_touch_global_random_state() -> None:
    import random

    random.seed(123)
    expected = random.random()
    random.seed(123)
    generate("knapsack", 20, 0)
    assert random.random() == expected


# ---------------------------------------------------------------- text against model


@pytest.mark.parametrize("family", NAMES)
@pytest.mark.parametrize("size", SWEEP)
def test_text_states_every_number_of_the_model(family: str, size: int) -> None:
    inst = generate(family, size, 0)
    text_numbers = Counter(float(x) for x in NUMBER.findall(inst.text))
    needed = Counter(_param_numbers(inst.model))
    missing = {v: n - text_numbers[v] for v, n in needed.items() if text_numbers[v] < n}
    assert not missing, f"{family} size {size}: numbers missing from the text: {missing}"


def test_number_pattern_skips_labels() -> None:
    assert NUMBER.findall("W3 ships 12 units to C10 in t2; cost 7.5.") == ["12", "7.5"]


def test_table_rows_match_the_model_data() -> None:
    """Read the knapsack and scheduling tables back from the text, row by row."""
    inst = generate("knapsack", 20, 3)
    data = _data(inst)
    rows = [line.split() for line in inst.text.splitlines()]
    table = {int(r[0]): (int(r[1]), int(r[2])) for r in rows if len(r) == 3 and r[0].isdigit()}
    assert table == {i: (data["weight"][(i,)], data["value"][(i,)]) for i in range(1, 21)}
    assert f"at most {data['capacity']} kilograms" in inst.text

    inst = generate("scheduling", 12, 3)
    data = _data(inst)
    rows = [line.split() for line in inst.text.splitlines()]
    table = {int(r[0]): tuple(map(int, r[1:])) for r in rows if len(r) == 4 and r[0].isdigit()}
    assert table == {
        j: (data["release"][(j,)], data["proc_time"][(j,)], data["due"][(j,)]) for j in range(1, 13)
    }


# ---------------------------------------------------------------- size scaling


@pytest.mark.parametrize("size", SWEEP)
def test_sizes_map_to_documented_dimensions(size: int) -> None:
    sets = {f: generate(f, size, 1).model["sets"] for f in NAMES}
    assert len(_elements(sets["knapsack"]["Items"])) == size
    assert len(sets["assignment"]["Workers"]) == len(sets["assignment"]["Tasks"]) == size
    assert len(sets["transportation"]["Customers"]) == size
    assert len(sets["transportation"]["Warehouses"]) == max(2, math.ceil(size / 2))
    n_prod, n_per = (
        len(sets["production"]["Products"]),
        len(_elements(sets["production"]["Periods"])),
    )
    assert (n_prod, n_per) == production_dims(size)
    assert size <= n_prod * n_per < size + n_prod
    assert len(_elements(sets["scheduling"]["Jobs"])) == size


@pytest.mark.parametrize("family", NAMES)
def test_instances_are_json_round_trippable_and_grow_with_size(family: str) -> None:
    lengths = []
    for size in SWEEP:
        inst = generate(family, size, 2)
        assert inst.dims and all(v >= 1 for v in inst.dims.values())
        d = inst.to_dict()
        assert json.loads(json.dumps(d)) == d
        assert d["model"]["sense"] in ("minimize", "maximize")
        lengths.append(len(_param_numbers(inst.model)))
    assert lengths == sorted(lengths) and lengths[-1] > lengths[0]


def test_models_pass_the_model_loader() -> None:
    """The documents validate with solvers.load_model and their data resolves."""
    from solvers.model import load_model

    try:
        from solvers.data import instance
    except ImportError:  # pragma: no cover - depends on the execution side's progress
        instance = None
    for family in NAMES:
        for size in (5, 40):
            model = load_model(generate(family, size, 0).model)
            if instance is not None:
                instance(model)


# ---------------------------------------------------------------- independent optima


def test_knapsack_dp_equals_brute_force() -> None:
    for size in range(1, 13):
        for seed in range(3):
            inst = generate("knapsack", size, seed)
            d = _data(inst)
            w = [int(d["weight"][(i,)]) for i in range(1, size + 1)]
            v = [int(d["value"][(i,)]) for i in range(1, size + 1)]
            cap = int(d["capacity"])
            brute = max(
                sum(vi for vi, t in zip(v, take, strict=True) if t)
                for take in itertools.product((0, 1), repeat=size)
                if sum(wi for wi, t in zip(w, take, strict=True) if t) <= cap
            )
            assert knapsack_dp(w, v, cap) == brute
            assert inst.known_optimum == brute


def test_knapsack_dp_on_a_hand_instance() -> None:
    # greedy by ratio takes item 1 (6/5) then nothing fits: 6; optimum is items 2 + 3: 8
    assert knapsack_dp([5, 4, 4], [6, 4, 4], 8) == 8
    assert knapsack_dp([3], [10], 2) == 0


def test_knapsack_known_optimum_at_sweep_sizes() -> None:
    for size in SWEEP:
        assert generate("knapsack", size, 0).known_optimum is not None


def test_hungarian_equals_brute_force() -> None:
    for size in range(1, 8):
        for seed in range(3):
            inst = generate("assignment", size, seed)
            d = _data(inst)
            cost = [
                [d["hours"][(f"W{i}", f"T{j}")] for j in range(1, size + 1)]
                for i in range(1, size + 1)
            ]
            brute = assignment_brute_force(cost)
            total, task_of = hungarian(cost)
            assert total == brute == inst.known_optimum
            assert sorted(task_of) == list(range(size))


def test_assignment_known_optimum_at_sweep_sizes() -> None:
    for size in SWEEP:
        inst = generate("assignment", size, 1)
        assert inst.known_optimum is not None and inst.known_optimum >= 10 * size


def test_min_cost_transport_hand_instance() -> None:
    # two plants, two markets: ship 10 from A to X (1), 5 from B to Y (1), 5 from A to Y (3)
    assert min_cost_transport([15, 5], [10, 10], [[1, 3], [4, 1]]) == 10 + 5 + 15
    with pytest.raises(ValueError, match="supply is below"):
        min_cost_transport([1], [2], [[1]])


def _lp_optimum(c: list[float], a_ub: list, b_ub: list, a_eq: list, b_eq: list) -> float:
    opt = pytest.importorskip("scipy.optimize")
    res = opt.linprog(
        c,
        A_ub=a_ub or None,
        b_ub=b_ub or None,
        A_eq=a_eq or None,
        b_eq=b_eq or None,
        bounds=(0, None),
        method="highs",
    )
    assert res.status == 0, res.message
    return float(res.fun)


def _transport_lp(inst: FamilyInstance) -> float:
    d = _data(inst)
    whs, custs = inst.model["sets"]["Warehouses"], inst.model["sets"]["Customers"]
    idx = {(w, c): k for k, (w, c) in enumerate(itertools.product(whs, custs))}
    c = [d["unit_cost"][key] for key in idx]
    a_ub, b_ub = [], []
    for w in whs:
        a_ub.append([1.0 if key[0] == w else 0.0 for key in idx])
        b_ub.append(d["stock"][(w,)])
    for cu in custs:
        a_ub.append([-1.0 if key[1] == cu else 0.0 for key in idx])
        b_ub.append(-d["ordered"][(cu,)])
    return _lp_optimum(c, a_ub, b_ub, [], [])


def _production_lp(inst: FamilyInstance) -> float:
    d = _data(inst)
    prods = inst.model["sets"]["Products"]
    periods = _elements(inst.model["sets"]["Periods"])
    keys = list(itertools.product(prods, periods))
    nv = 2 * len(keys)  # make then stock
    mk = {k: i for i, k in enumerate(keys)}
    st = {k: len(keys) + i for i, k in enumerate(keys)}
    c = [0.0] * nv
    for k in keys:
        c[mk[k]] = d["unit_cost"][k]
        c[st[k]] = d["holding_cost"][(k[0],)]
    a_eq, b_eq = [], []
    for p, t in keys:  # stock[t] - stock[t-1] - make[t] = -demand[t]  (+ start stock at t = 1)
        row = [0.0] * nv
        row[st[(p, t)]] = 1.0
        row[mk[(p, t)]] = -1.0
        if t > 1:
            row[st[(p, t - 1)]] = -1.0
        a_eq.append(row)
        b_eq.append(-d["demand"][(p, t)] + (d["start_stock"][(p,)] if t == 1 else 0.0))
    a_ub, b_ub = [], []
    for t in periods:
        row = [0.0] * nv
        for p in prods:
            row[mk[(p, t)]] = d["hours_per_unit"][(p,)]
        a_ub.append(row)
        b_ub.append(d["machine_hours"][(t,)])
    return _lp_optimum(c, a_ub, b_ub, a_eq, b_eq)


@pytest.mark.parametrize("size", [5, 10, 20])
def test_min_cost_flow_equals_scipy_lp(size: int) -> None:
    for seed in range(2):
        inst = generate("transportation", size, seed)
        assert inst.known_optimum == pytest.approx(_transport_lp(inst), rel=1e-9)


@pytest.mark.parametrize("size", SWEEP)
def test_production_instances_are_feasible(size: int) -> None:
    inst = generate("production", size, 0)
    assert inst.known_optimum is None
    assert _production_lp(inst) > 0


def _max_lateness(d: dict, start: dict[int, float]) -> float:
    return max(start[j] + d["proc_time"][(j,)] - d["due"][(j,)] for j in start)


def test_scheduling_brute_force_against_exhaustive_start_times() -> None:
    """For 3 jobs, enumerate every integer start vector in the bounds (no order reasoning)."""
    for seed in range(4):
        inst = generate("scheduling", 3, seed)
        d = _data(inst)
        jobs = [1, 2, 3]
        p = {j: d["proc_time"][(j,)] for j in jobs}
        ranges = [range(int(d["release"][(j,)]), int(d["horizon"] - p[j]) + 1) for j in jobs]
        best = math.inf
        for s in itertools.product(*ranges):
            start = dict(zip(jobs, s, strict=True))
            if all(
                start[j] + p[j] <= start[k] or start[k] + p[k] <= start[j]
                for j, k in itertools.combinations(jobs, 2)
            ):
                best = min(best, _max_lateness(d, start))
        assert inst.known_optimum == best


def test_schedule_lateness_hand_instance() -> None:
    # job 0: r=0 p=3 d=3; job 1: r=1 p=1 d=2. Order (1, 0): idle until 1, then 1..2, 2..5 -> L=2
    assert schedule_lateness([1, 0], [3, 1], [0, 1], [3, 2]) == (2, [2, 1])
    assert schedule_lateness([0, 1], [3, 1], [0, 1], [3, 2]) == (2, [0, 3])
    assert scheduling_brute_force([3, 1], [0, 1], [3, 2]) == 2


def test_scheduling_known_optimum_up_to_eight_jobs() -> None:
    inst = generate("scheduling", 8, 0)
    assert inst.known_optimum is not None
    assert generate("scheduling", 9, 0).known_optimum is None
    d = _data(inst)
    proc = [d["proc_time"][(j,)] for j in range(1, 9)]
    rel = [d["release"][(j,)] for j in range(1, 9)]
    due = [d["due"][(j,)] for j in range(1, 9)]
    # the order by release time is feasible, so it bounds the optimum from above
    fifo = sorted(range(8), key=lambda j: rel[j])
    assert inst.known_optimum <= schedule_lateness(fifo, proc, rel, due)[0]
    assert inst.known_optimum == scheduling_brute_force(proc, rel, due)


# ---------------------------------------------------------------- through the solvers


def _solvers() -> Any:
    import solvers

    missing = [n for n in ("load_model", "solve", "check") if not hasattr(solvers, n)]
    if missing:
        pytest.skip(f"solvers does not export {', '.join(missing)} yet")
    return solvers


def _not_landed(exc: ModuleNotFoundError) -> None:
    """Skip (not fail) while a solvers submodule behind the public API is still being written."""
    if (exc.name or "").startswith("solvers."):
        pytest.skip(f"execution side not complete yet: {exc}")
    raise exc


def _own_objective(inst: FamilyInstance, values: dict[str, dict]) -> float:
    """The objective recomputed from solver values and the raw data (no solvers code)."""
    d = _data(inst)

    def key(k: Any) -> tuple:
        return k if isinstance(k, tuple) else (k,)

    if inst.family == "knapsack":
        return sum(d["value"][key(i)] * x for i, x in values["take"].items())
    if inst.family == "assignment":
        return sum(d["hours"][key(k)] * x for k, x in values["assign"].items())
    if inst.family == "transportation":
        return sum(d["unit_cost"][key(k)] * x for k, x in values["ship"].items())
    if inst.family == "production":
        return sum(d["unit_cost"][key(k)] * x for k, x in values["make"].items()) + sum(
            d["holding_cost"][(key(k)[0],)] * x for k, x in values["stock"].items()
        )
    start = {key(j)[0]: x for j, x in values["start"].items()}
    return _max_lateness(d, start)


@pytest.mark.parametrize("family", NAMES)
@pytest.mark.parametrize("size", [5, 10])
@pytest.mark.parametrize("seed", [0, 1])
def test_solver_and_checker_agree_with_independent_optima(
    family: str, size: int, seed: int
) -> None:
    solvers = _solvers()
    inst = generate(family, size, seed)
    model = solvers.load_model(inst.model)
    try:
        sol = solvers.solve(model, backend=FAMILIES[family].backend)
        problem_class = solvers.check_model(model).problem_class
        report = solvers.check(model, sol.values)
    except ModuleNotFoundError as exc:
        _not_landed(exc)
    assert getattr(problem_class, "value", problem_class) == FAMILIES[family].problem_class
    assert sol.status.value == "optimal", f"{family} {size} {seed}: {sol.status} {sol.message}"
    assert report.feasible, f"{family} {size} {seed}: checker rejects the solver's point"
    assert report.objective == pytest.approx(sol.objective, rel=1e-6, abs=1e-6)
    assert _own_objective(inst, sol.values) == pytest.approx(sol.objective, rel=1e-6, abs=1e-6)
    expected = inst.known_optimum
    if expected is None and family == "production":
        expected = _production_lp(inst)
    if expected is not None:
        assert sol.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_checker_rejects_an_overlapping_schedule() -> None:
    solvers = _solvers()
    inst = generate("scheduling", 5, 0)
    model = solvers.load_model(inst.model)
    d = _data(inst)
    latest = max(d["release"][(j,)] for j in range(1, 6))
    try:
        report = solvers.check(model, {"start": {j: latest for j in range(1, 6)}})
    except ModuleNotFoundError as exc:
        _not_landed(exc)
    assert not report.feasible
