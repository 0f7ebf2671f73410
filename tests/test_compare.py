"""Comparison mode and scale sweeps, driven by scripted test doubles (ScriptedLLM behind litellm).

The "LLM" here answers from queues written for each test: nothing below measures any real model.
Ground truth is checked three ways: the solver's optimum, the independent checker on the solver's
point, and a brute-force enumeration written in this file (or the generator's own DP optimum).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from rich.console import Console

import solvers
from formalize.evaluation.compare import (
    GroundTruth,
    compare,
    direct_prompt,
    ground_truth,
    parse_answer,
    relative_gap,
    score_objective,
    score_values,
    sweep,
)
from formalize.evaluation.families import FAMILIES, generate
from formalize.llm.testing import ScriptedLLM

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- helpers


def knapsack_data(inst) -> tuple[list[int], list[int], int]:
    p = inst.model["params"]
    return list(p["weight"]["values"]), list(p["value"]["values"]), int(p["capacity"]["value"])


def brute_force(inst) -> tuple[float, tuple[int, ...]]:
    """Optimal value and 0/1 choice of a small knapsack instance by enumeration."""
    w, v, cap = knapsack_data(inst)
    best: tuple[float, tuple[int, ...]] = (-1.0, ())
    for pick in itertools.product((0, 1), repeat=len(w)):
        if sum(a * b for a, b in zip(pick, w)) <= cap:
            val = float(sum(a * b for a, b in zip(pick, v)))
            if val > best[0]:
                best = (val, pick)
    return best


def suboptimal_pick(inst) -> tuple[tuple[int, ...], float]:
    """A feasible choice worth strictly less than the optimum (the best single item)."""
    w, v, cap = knapsack_data(inst)
    opt, _ = brute_force(inst)
    i = max((k for k in range(len(w)) if w[k] <= cap), key=lambda k: v[k])
    assert v[i] < opt
    return tuple(int(k == i) for k in range(len(w))), float(v[i])


def values_answer(pick, objective, prose: str = "Step 1: sort by value per kg {ratio}. ") -> str:
    vals = {str(i + 1): x for i, x in enumerate(pick)}
    doc = {"values": {"take": vals}, "objective": objective}
    return f"{prose}So the plan is:\n```json\n{json.dumps(doc)}\n```"


def total(pick, numbers) -> float:
    return float(sum(a * b for a, b in zip(pick, numbers)))


@pytest.fixture(scope="module")
def knap():
    inst = generate("knapsack", 6, 1)
    model = solvers.load_model(inst.model)
    return inst, model


@pytest.fixture(scope="module")
def knap_truth(knap):
    inst, model = knap
    return ground_truth(model, source="family generator", known_optimum=inst.known_optimum)


# --------------------------------------------------------------------------- ground truth


def test_family_ground_truth_confirmed_three_ways(knap, knap_truth):
    inst, model = knap
    opt, pick = brute_force(inst)
    assert inst.known_optimum == opt  # the generator's DP agrees with enumeration
    assert knap_truth.status == "optimal" and knap_truth.checked
    assert knap_truth.objective == pytest.approx(opt, rel=1e-9)
    rep = solvers.check(model, knap_truth.solution.values)
    assert rep.feasible and rep.objective == pytest.approx(opt, rel=1e-9)
    rep = solvers.check(inst.model, {"take": {str(i + 1): x for i, x in enumerate(pick)}})
    assert rep.feasible and rep.objective == pytest.approx(opt)


@pytest.mark.parametrize("family,size", [("transportation", 3), ("assignment", 3),
                                         ("production", 4), ("scheduling", 3)])
def test_other_families_ground_truth(family, size):
    inst = generate(family, size, 0)
    m = solvers.load_model(inst.model)
    backend = getattr(FAMILIES[family], "backend", None) or "auto"
    gt = ground_truth(m, source="family generator", known_optimum=inst.known_optimum,
                      backend=backend)
    assert gt.checked and gt.status == "optimal"
    if inst.known_optimum is not None:
        assert gt.objective == pytest.approx(inst.known_optimum, rel=1e-6)
    assert solvers.check(m, gt.solution.values).feasible


def test_ground_truth_disagreeing_with_known_optimum_raises(knap):
    from formalize.evaluation.compare import GroundTruthError

    inst, model = knap
    with pytest.raises(GroundTruthError, match="independently computed"):
        ground_truth(model, known_optimum=inst.known_optimum + 1)


# --------------------------------------------------------------------------- compare()


def run_compare(knap, *responses, variants=("values", "objective"), name="compare-double"):
    inst, _ = knap
    llm = ScriptedLLM(list(responses), name=name)
    try:
        c = compare(inst, llm.client(), variants=variants)
    finally:
        llm.close()
    return c, llm


def test_exact_optimum_is_correct_and_prompt_lists_the_variables(knap):
    inst, _ = knap
    opt, pick = brute_force(inst)
    c, llm = run_compare(knap, values_answer(pick, opt), json.dumps({"objective": opt}))
    a = c.answer("values")
    assert a.verdict == "correct" and a.feasible and a.self_consistent
    assert a.recomputed_objective == pytest.approx(opt) and a.gap == pytest.approx(0.0)
    assert c.answer("objective").verdict == "correct"
    assert c.truth.objective == pytest.approx(opt) and c.truth.source == "family generator"
    assert len(llm.calls) == 2
    p0, p1 = llm.calls[0].prompt, llm.calls[1].prompt
    assert "take[i] for i in Items: binary (0 or 1)" in p0
    assert "Items = [1, 2, 3, 4, 5, 6]" in p0 and inst.text.strip() in p0
    assert "take[" not in p1 and '{"objective":' in p1  # standard prompting: objective only
    assert llm.calls[0].response_format is None  # free reasoning, no schema, no tools


def test_feasible_suboptimal_has_the_right_gap(knap):
    inst, _ = knap
    opt, _ = brute_force(inst)
    pick, val = suboptimal_pick(inst)
    c, _ = run_compare(knap, values_answer(pick, val), variants=("values",))
    a = c.answer("values")
    assert a.verdict == "suboptimal" and a.feasible and a.n_violations == 0
    assert a.gap == pytest.approx((opt - val) / opt, rel=1e-9)
    assert f"{(opt - val) / opt * 100:.3g}%" in a.detail


def test_overweight_is_infeasible_with_the_violation_amount(knap):
    inst, _ = knap
    w, v, cap = knapsack_data(inst)
    pick = (1,) * len(w)
    c, _ = run_compare(knap, values_answer(pick, total(pick, v)), variants=("values",))
    a = c.answer("values")
    assert a.verdict == "infeasible" and a.feasible is False and a.n_violations == 1
    (viol,) = a.violations
    assert viol["label"] == "weight_limit"
    assert viol["amount"] == pytest.approx(sum(w) - cap)
    assert viol["lhs"] == pytest.approx(sum(w)) and viol["rhs"] == pytest.approx(cap)
    assert "1 violation" in a.detail


def test_claimed_objective_not_matching_its_values_is_self_inconsistent(knap):
    inst, _ = knap
    opt, _ = brute_force(inst)
    pick, val = suboptimal_pick(inst)
    c, _ = run_compare(knap, values_answer(pick, opt), variants=("values",))
    a = c.answer("values")
    assert a.verdict == "self-inconsistent" and a.feasible and a.self_consistent is False
    assert a.claimed_objective == opt and a.recomputed_objective == pytest.approx(val)


def test_prose_without_json_is_unparseable(knap):
    c, _ = run_compare(knap, "I would pack the lightest items first; that seems best.",
                       "The answer is about a hundred.")
    assert c.answer("values").verdict == "unparseable"
    assert c.answer("objective").verdict == "unparseable"


def test_objective_only_right_and_wrong(knap):
    inst, _ = knap
    opt, _ = brute_force(inst)
    c, _ = run_compare(knap, f"Thinking... total {{opt}}.\n{{\"objective\": {opt:g}}}",
                       variants=("objective",))
    assert c.answer("objective").verdict == "correct"
    c, _ = run_compare(knap, f'```json\n{{"objective": "{opt - 7:g}"}}\n```', variants=("objective",))
    a = c.answer("objective")
    assert a.verdict == "wrong" and a.claimed_objective == opt - 7
    assert a.gap == pytest.approx(7 / opt)
    c, _ = run_compare(knap, json.dumps({"objective": opt + 5}), variants=("objective",))
    a = c.answer("objective")
    assert a.verdict == "wrong" and a.gap == pytest.approx(-5 / opt) and "impossible" in a.detail


def test_comparison_renders_and_saves(knap, tmp_path):
    inst, _ = knap
    w, v, _ = knapsack_data(inst)
    pick = (1,) * len(w)
    c, _ = run_compare(knap, values_answer(pick, total(pick, v)), json.dumps({"objective": 1}))
    con = Console(record=True, width=140)
    con.print(c)
    out = con.export_text()
    assert "infeasible" in out and "wrong" in out and "weight_limit violated by" in out
    assert "direct: values" in c._repr_html_()
    doc = json.loads(c.to_json())
    assert [a["verdict"] for a in doc["answers"]] == ["infeasible", "wrong"]
    assert doc["ground_truth"]["objective"] == inst.known_optimum
    files = c.save(tmp_path)
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "verdict" in files["csv"].read_text().splitlines()[0]


def test_compare_through_the_verified_pipeline():
    """No formal model given: the pipeline (scripted) formalizes; the same double answers."""
    problem = ROOT / "problems/datasets/nl4opt/cpmpy_1133974368"
    text = (problem / "problem.txt").read_text()
    good = json.loads((problem / "model.json").read_text())
    # independently: small >= 2 large, small + large <= 70, large >= 15 -> large = 23, small = 47
    llm = ScriptedLLM([good, 'So {"small": 47, "large": 23, "objective": 4190}',
                       '{"objective": 4000}'], name="compare-pipeline-double")
    try:
        c = compare(text, llm.client(), strategy="single")
    finally:
        llm.close()
    assert c.truth.source == "verified pipeline" and c.truth.objective == pytest.approx(4190)
    assert c.pipeline is not None and c.pipeline.ok
    assert c.answer("values").verdict == "correct"
    assert c.answer("objective").verdict == "wrong"
    assert "small (a single number): integer, >= 0 and <= 70" in llm.calls[1].prompt


def test_compare_example_folder_sees_its_data_file():
    """model.json of an example: the LLM gets problem.txt plus the data file the model reads."""
    folder = ROOT / "problems/examples/knapsack"
    expected = json.loads((folder / "expected.json").read_text())["objective"]  # Rosetta Code: 1030
    llm = ScriptedLLM([json.dumps({"objective": expected})], name="compare-example-double")
    try:
        c = compare(folder / "model.json", llm.client(), variants=("objective",))
    finally:
        llm.close()
    assert c.truth.objective == pytest.approx(expected) and c.text_source == "problem.txt"
    assert c.answer("objective").verdict == "correct"
    assert "Data file items.csv" in llm.calls[0].prompt


# --------------------------------------------------------------------------- scoring details


def test_two_index_values_and_min_sense():
    inst = generate("assignment", 3, 0)
    m = solvers.load_model(inst.model)
    gt = ground_truth(m, known_optimum=inst.known_optimum)
    sol = gt.solution.values["assign"]
    nested: dict = {}
    for (wk, tk), x in sol.items():
        nested.setdefault(wk, {})[tk] = round(x)
    ok = score_values(json.dumps({"values": {"assign": nested}, "objective": gt.objective}), m, gt)
    assert ok.verdict == "correct"
    # swap two workers' tasks: still feasible, cost can only rise (sign-aware gap for minimize)
    w = list(nested)
    swapped = {w[0]: nested[w[1]], w[1]: nested[w[0]], w[2]: nested[w[2]]}
    rep = solvers.check(m, {"assign": swapped})
    s = score_values(json.dumps({"values": {"assign": swapped}, "objective": rep.objective}), m, gt)
    if rep.objective > gt.objective:
        assert s.verdict == "suboptimal"
        assert s.gap == pytest.approx((rep.objective - gt.objective) / gt.objective)
    assert "assign[w, t] for w in Workers, t in Tasks" in direct_prompt("values", "x", m)[1]["content"]


def test_relative_gap_is_sign_aware():
    assert relative_gap(90, 100, "maximize") == pytest.approx(0.1)
    assert relative_gap(110, 100, "minimize") == pytest.approx(0.1)
    assert relative_gap(110, 100, "maximize") == pytest.approx(-0.1)
    assert relative_gap(-90, -100, "minimize") == pytest.approx(0.1)
    assert relative_gap(3, 0, "minimize") == 3  # absolute at a zero optimum


def test_nonzeros_only_and_unknown_entries(knap, knap_truth):
    inst, model = knap
    opt, pick = brute_force(inst)
    nonzero = {str(i + 1): 1 for i, x in enumerate(pick) if x}
    a = score_values(json.dumps({"values": {"take": nonzero}, "objective": opt}), model, knap_truth)
    assert a.verdict == "correct" and a.missing == len(pick) - sum(pick)
    strict = score_values(json.dumps({"values": {"take": nonzero}, "objective": opt}), model,
                          knap_truth, missing="error")
    assert strict.verdict == "unparseable"
    wrong_names = score_values('{"values": {"pack": {"1": 1}}, "objective": 3}', model, knap_truth)
    assert wrong_names.verdict == "unparseable" and "pack" in wrong_names.detail


def test_status_claims_and_exceeding_a_weak_reference(knap, knap_truth):
    _, model = knap
    a = score_values('{"status": "infeasible"}', model, knap_truth)
    assert a.verdict == "wrong" and a.claimed_status == "infeasible"
    none = GroundTruth(status="infeasible", objective=None, sense="maximize", source="given model")
    assert score_objective('{"status": "infeasible"}', none).verdict == "correct"
    assert score_objective('{"objective": 5}', none).verdict == "wrong"
    weak = GroundTruth(status="feasible", objective=knap_truth.objective - 10, sense="maximize",
                       source="given model")
    best = score_objective(json.dumps({"objective": knap_truth.objective}), weak)
    assert best.verdict == "wrong" and "impossible" in best.detail
    sol = knap_truth.solution.values["take"]
    v = score_values(json.dumps({"values": {"take": {str(k): round(x) for k, x in sol.items()}},
                                 "objective": knap_truth.objective}), model, weak)
    assert v.verdict == "exceeds-optimum" and v.gap < 0


def test_parse_answer_takes_the_final_outer_object():
    text = ('Try {"objective": 1} first... no. Also {x}.\n```json\n'
            '{"values": {"take": {"1": 1}}, "objective": 7}\n```\nDone.')
    assert parse_answer(text) == {"values": {"take": {"1": 1}}, "objective": 7}
    assert parse_answer('{"objective": 3,}') == {"objective": 3}  # trailing comma tolerated
    assert parse_answer("no json here") is None


def test_a_key_given_twice_is_read_as_strictly_as_the_program_reads_it(knap, knap_truth):
    """Compare mode reads answers with the program's strict reader: a repeated key is not "last
    wins" but unparseable, with the message the program sends back to the model."""
    from formalize.llm.client import DuplicateKeyError, extract_json

    twice = 'Worked out: {"objective": 1} is wrong.\nFinal: {"objective": 3, "objective": 5}'
    with pytest.raises(DuplicateKeyError) as info:
        parse_answer(twice)
    with pytest.raises(DuplicateKeyError) as program:
        extract_json('{"objective": 3, "objective": 5}', strict=True)
    assert str(info.value) == str(program.value) and "'objective' twice" in str(info.value)
    with pytest.raises(DuplicateKeyError):  # the lenient fallback is strict too
        parse_answer('{"objective": 3, "objective": 5,}')
    # a repeated key in a worked example before the answer does not matter
    assert parse_answer('{"objective": 1, "objective": 2} no: {"objective": 4}') == {"objective": 4}
    a = score_objective(twice, knap_truth)
    assert a.verdict == "unparseable" and a.detail == str(program.value)
    inst, model = knap
    _, pick = brute_force(inst)
    take = ", ".join(f'"{i + 1}": {x}' for i, x in enumerate(pick))
    dup = f'{{"values": {{"take": {{{take}, "1": {1 - pick[0]}}}}}, "objective": 1}}'
    v = score_values(dup, model, knap_truth)  # "1" twice: last wins would score another pick
    assert v.verdict == "unparseable" and "'1' twice" in v.detail


# --------------------------------------------------------------------------- sweeps


def variant_of(prompt: str) -> str:
    """Which variant a direct prompt asks for."""
    if "Procedure (" in prompt:
        return "trace"
    if "Report your solution with exactly these decision variables" in prompt:
        return "values"
    assert '{"objective": <the optimal objective value' in prompt, prompt[-400:]
    return "objective"


class ByPrompt:
    """Scripted answers chosen by what the request asks (instance text and variant), so the
    tests do not depend on the sweep's shuffled order; `asked` records (key, variant) in order."""

    def __init__(self, plan: dict[tuple[str, str], object], texts: dict[str, str]):
        self.plan, self.texts, self.asked = plan, texts, []

    def __call__(self, messages):
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        keys = [k for k, t in self.texts.items() if t.strip() in prompt]
        assert len(keys) == 1, f"the prompt matches {len(keys)} instances"
        variant = variant_of(prompt)
        self.asked.append((keys[0], variant))
        return self.plan[keys[0], variant]

    def queue(self) -> list:
        return [self] * len(self.plan)


def sweep_script(sizes, seeds, family="knapsack"):
    """Scripted answers per (size, seed, variant), by prompt, and the expected verdicts."""
    plan_kinds = {  # (size index, seed index) -> (values answer kind, objective answer kind)
        (0, 0): ("optimal", "right"), (0, 1): ("overweight", "wrong"),
        (1, 0): ("prose", "right"), (1, 1): ("suboptimal", "prose"),
    }
    plan, texts, expected = {}, {}, {}
    for si, size in enumerate(sizes):
        for ei, seed in enumerate(seeds):
            inst = generate(family, size, seed)
            key = f"{size}/{seed}"
            texts[key] = inst.text
            opt, pick = brute_force(inst)
            w, v, _ = knapsack_data(inst)
            kind_v, kind_o = plan_kinds[(si, ei)]
            if kind_v == "optimal":
                plan[key, "values"] = values_answer(pick, opt)
            elif kind_v == "overweight":
                allp = (1,) * len(w)
                plan[key, "values"] = values_answer(allp, total(allp, v))
            elif kind_v == "suboptimal":
                sub, val = suboptimal_pick(inst)
                plan[key, "values"] = values_answer(sub, val)
                expected[(size, "sub_gap")] = (opt - val) / opt
            else:
                plan[key, "values"] = "Let me think about it... I cannot decide."
            if kind_o == "right":
                plan[key, "objective"] = json.dumps({"objective": opt})
            elif kind_o == "wrong":
                plan[key, "objective"] = json.dumps({"objective": opt - 3})
                expected[(size, "wrong_gap")] = 3 / opt
            else:
                plan[key, "objective"] = "It is large."
    return ByPrompt(plan, texts), expected


def test_sweep_table_and_files(tmp_path):
    sizes, seeds = [5, 8], [0, 1]
    responder, exp = sweep_script(sizes, seeds)
    llm = ScriptedLLM(responder.queue(), name="sweep-double")
    seen = []
    try:
        rep = sweep("knapsack", sizes, seeds, llm.client(),
                    progress=lambda done, total, p: seen.append((done, total, p.size)))
    finally:
        llm.close()
    assert llm.remaining == 0 and len(llm.calls) == 8
    assert [d for d, _, _ in seen] == [1, 2, 3, 4] and {t for _, t, _ in seen} == {4}
    assert sorted(s for _, _, s in seen) == [5, 5, 8, 8]
    for p in rep.points:  # ground truth confirmed by the checker and the generator's DP
        assert p.truth.checked and p.truth.objective == p.truth.known_optimum
    rows = {(r["variant"], r["size"]): r for r in rep.table()}
    v5, v8, o5, o8 = rows["values", 5], rows["values", 8], rows["objective", 5], rows["objective", 8]
    assert (v5["n"], v5["correct_rate"], v5["infeasible_rate"], v5["unparseable_rate"]) == (2, 0.5, 0.5, 0)
    assert v5["mean_violations"] == 0.5 and v5["mean_gap"] == pytest.approx(0.0)
    assert (v8["correct_rate"], v8["unparseable_rate"], v8["mean_violations"]) == (0, 0.5, 0)
    assert v8["mean_gap"] == pytest.approx(exp[8, "sub_gap"])
    assert (o5["correct_rate"], o5["unparseable_rate"]) == (0.5, 0)
    assert o5["mean_gap"] == pytest.approx(exp[5, "wrong_gap"] / 2)
    assert (o8["correct_rate"], o8["unparseable_rate"]) == (0.5, 0.5)
    assert o8["mean_violations"] is None
    files = rep.save(tmp_path / "out")
    assert set(files) == {"json", "csv", "instances_csv", "answers_csv", "markdown", "png"}
    png = files["png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    doc = json.loads(files["json"].read_text())
    assert doc["family"] == "knapsack" and len(doc["points"]) == 4 and len(doc["table"]) == 4
    lines = files["csv"].read_text().splitlines()
    assert lines[0].startswith("variant,size,n,correct_rate") and len(lines) == 5
    assert len(files["answers_csv"].read_text().splitlines()) == 9
    con = Console(record=True, width=140)
    con.print(rep)
    assert "50%" in con.export_text() and "<table>" in rep._repr_html_()


def test_cp_family_sweep_uses_cpsat_and_scores_values():
    inst = generate("scheduling", 4, 0)
    gt = ground_truth(solvers.load_model(inst.model), backend="cpsat")
    vals = {name: {str(k): round(x) for k, x in d.items()} if () not in d else round(d[()])
            for name, d in gt.solution.values.items()}
    llm = ScriptedLLM([json.dumps({"values": vals, "objective": gt.objective}), "no idea"],
                      name="sweep-cp-double")
    try:
        rep = sweep("scheduling", [4], 1, llm.client(), variants=("values",))
        rep2 = sweep("scheduling", [4], 1, llm.client(), variants=("values",))
    finally:
        llm.close()
    (p,) = rep.points
    assert p.truth.solver == "cpsat" and p.truth.objective == pytest.approx(inst.known_optimum)
    assert p.answers[0].verdict == "correct"
    assert rep2.points[0].answers[0].verdict == "unparseable"
    with pytest.raises(ValueError, match="unknown problem family"):
        sweep("nope", [3], 1, llm.client())


# --------------------------------------------------------------------------- CLI


def test_cli_family_sweep_in_process(tmp_path, capsys):
    from formalize.cli.main import main

    responder, _ = sweep_script([5, 10], [0])  # (0,0) and (1,0): optimal/right, prose/right
    llm = ScriptedLLM(responder.queue(), name="cli-compare-double")
    try:
        code = main(["compare", "--family", "knapsack", "--sizes", "5,10", "--seeds", "1",
                     "--model", "scripted/cli-compare-double", "--no-cache", "--json",
                     "--out", str(tmp_path)])
    finally:
        llm.close()
    out = capsys.readouterr().out
    assert code == 0, out
    doc = json.loads(out)
    rows = {(r["variant"], r["size"]): r for r in doc["table"]}
    assert rows["values", 5]["correct_rate"] == 1 and rows["values", 10]["unparseable_rate"] == 1
    assert rows["objective", 5]["correct_rate"] == 1 and rows["objective", 10]["correct_rate"] == 1
    for name in ("sweep.json", "sweep.csv", "answers.csv", "sweep.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert len(llm.calls) == 4


def test_cli_problem_table_output(capsys):
    from formalize.cli.main import main

    folder = ROOT / "problems/examples/knapsack"
    llm = ScriptedLLM(['{"objective": 1000}'], name="cli-compare-one-double")
    try:
        code = main(["compare", str(folder / "model.json"), "--variants", "objective",
                     "--model", "scripted/cli-compare-one-double", "--no-cache"])
    finally:
        llm.close()
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert "wrong" in cap.out and "1030" in cap.out


def test_cli_without_a_model_is_a_config_error(tmp_path, monkeypatch, capsys):
    from formalize.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORMALIZE_MODEL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert main(["compare", "--family", "knapsack", "--sizes", "5", "--seeds", "1"]) == 2
    assert "No LLM model is configured" in capsys.readouterr().err


@pytest.mark.parametrize("argv,msg", [
    (["compare"], "either a problem"),
    (["compare", "--family", "nope"], "unknown family"),
    (["compare", "--family", "knapsack", "--sizes", "5,x"], "comma-separated integers"),
    (["compare", "--family", "knapsack", "--variants", "values,guess"], "unknown"),
    (["compare", "missing.txt"], "no such file"),
])
def test_cli_usage_errors(argv, msg, capsys):
    from formalize.cli.main import main

    assert main(argv) == 2
    assert msg in capsys.readouterr().err



def test_formalize_compare_is_the_function_before_and_after_the_module_import():
    import formalize
    import formalize.evaluation.compare as mod

    assert formalize.compare is mod.compare
    with pytest.raises(TypeError):
        formalize.compare()  # compare() needs the problem: the call reached the function
