"""The formalization program driven by a scripted LLM (a test double behind real litellm).

Each scenario feeds a realistic mistake and checks that the loop takes the right repair and ends
at the right optimum, computed by the solver (and confirmed by the independent checker).
Problem: NL4Opt snack suitcases (problems/datasets/nl4opt/cpmpy_1133974368), optimum 4190,
independently: l ≤ 70/3 → l = 23, s = 47 → 50·47 + 80·23 = 4190.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import solvers
from formalize.api import formalize, solve
from formalize.llm.testing import ScriptedLLM
from formalize.program.context import data_summaries
from formalize.program.pipeline import Program
from formalize.program.vote import cluster_objectives

HERE = Path(__file__).resolve().parent.parent
PROBLEM = HERE / "problems/datasets/nl4opt/cpmpy_1133974368"
TEXT = (PROBLEM / "problem.txt").read_text()
GOOD = json.loads((PROBLEM / "model.json").read_text())
OPT = 4190.0
# s >= 2 * avail_large = 100 > 70 = avail_small: infeasible, with every number of the text still used
INFEASIBLE = {"constraints__0__expr": "small >= ratio_small * avail_large"}


def variant(**changes) -> dict:
    m = copy.deepcopy(GOOD)
    for path, value in changes.items():
        node = m
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        last = keys[-1]
        if value is None and not isinstance(node, list):
            node.pop(last, None)
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return m


def run(responses, **kw):
    llm = ScriptedLLM(responses, name="program")
    try:
        f = formalize(TEXT, llm.client(), strategy=kw.pop("strategy", "single"), **kw)
    finally:
        llm.close()
    return f, llm


def assert_verified_optimum(f):
    assert f.ok, [str(d) for d in f.diagnostics]
    assert f.solution is not None and f.solution.status.value == "optimal"
    assert f.solution.objective == pytest.approx(OPT, rel=1e-9)
    rep = solvers.check(f.model, f.solution.values)
    assert rep.feasible and rep.objective == pytest.approx(OPT, rel=1e-9)


def test_correct_model_first_time():
    f, llm = run([GOOD])
    assert_verified_optimum(f)
    assert [r.step for r in f.history] == ["single"] and f.repair_rounds == 0
    assert llm.remaining == 0


def test_two_step_program_reads_data_then_structure():
    data = {"sets": {}, "params": GOOD["params"]}
    struct = {k: GOOD[k] for k in ("sense", "variables", "objective", "constraints")}
    llm = ScriptedLLM([data, struct], name="steps")
    try:
        f = formalize(TEXT, llm.client(), strategy="steps")
    finally:
        llm.close()
    assert_verified_optimum(f)
    assert [r.step for r in f.history] == ["read", "structure"]
    # the structure step sees symbols, not the data values' table
    prompt = llm.calls[1].prompt
    assert "param cap_small (scalar)" in prompt


def test_invalid_json_is_repaired():
    f, llm = run(["Sure! Here is the model: {\"sense\": \"maximize\", \"variables\": {", GOOD])
    assert_verified_optimum(f)
    assert [r.step for r in f.history] == ["single", "repair"]
    assert f.history[0].diagnostics[0].code == "bad-json"
    assert "bad-json" in llm.calls[1].prompt or "JSON" in llm.calls[1].prompt


def test_misspelled_symbol_is_repaired():
    bad = variant(objective="cap_smal * small + cap_large * large")
    f, llm = run([bad, GOOD])
    assert_verified_optimum(f)
    d = f.history[0].diagnostics
    assert any(x.code == "undeclared-symbol" and "cap_small" in (x.hint or "") for x in d)
    assert "cap_smal" in llm.calls[1].prompt  # the located message went back


def test_number_not_in_text_is_repaired():
    bad = variant(params__cap_small__value=55)
    f, llm = run([bad, GOOD])
    assert_verified_optimum(f)
    assert any(x.code == "ungrounded-number" and x.location.item == "cap_small" for x in f.history[0].diagnostics)
    assert "55" in llm.calls[1].prompt


def test_unused_number_forgotten_constraint_is_repaired():
    bad = variant()
    bad["constraints"] = [c for c in bad["constraints"] if c["name"] != "preference"]
    del bad["params"]["ratio_small"]
    # without the forgotten constraint the solver would answer 5000 (s=20, l=50)
    alone = solvers.solve(bad)
    assert alone.objective == pytest.approx(5000)
    f, llm = run([bad, GOOD])
    assert_verified_optimum(f)
    unused = [x for x in f.history[0].diagnostics if x.code == "unused-number"]
    assert unused and any("twice" in x.message for x in unused)


def test_infeasible_model_goes_back_with_its_iis():
    bad = variant(**INFEASIBLE)
    f, llm = run([bad, GOOD])
    assert_verified_optimum(f)
    assert [r.step for r in f.history] == ["single", "repair-infeasible"]
    prompt = llm.calls[1].prompt
    assert "INFEASIBLE" in prompt and "preference" in prompt


def test_unbounded_model_goes_back_with_its_variables():
    bad = variant(variables__small__ub=None)
    bad["constraints"] = [c for c in bad["constraints"] if c["name"] != "total"]
    bad["constraints"].append({"name": "total", "expr": "small + large >= max_total"})
    bad["params"]["avail_small"]["source"] = "derived: 70 = 70"
    f, llm = run([bad, bad, GOOD])
    assert_verified_optimum(f)
    steps = [r.step for r in f.history]
    assert steps[-1] == "repair-unbounded"
    assert "UNBOUNDED" in llm.calls[-1].prompt and "small" in llm.calls[-1].prompt


def test_repairs_are_bounded_and_failure_is_reported():
    bad = variant(objective="cap_smal * small")
    f, llm = run([bad, bad, bad, bad], max_repairs=3)
    assert not f.ok and f.solution is None
    assert f.repair_rounds == 3 and len(f.history) == 4
    assert any(d.code == "undeclared-symbol" for d in f.diagnostics)


def test_vote_over_samples_reports_agreement():
    relaxed = copy.deepcopy(GOOD)
    for v in relaxed["variables"].values():
        v["domain"] = "real"  # LP relaxation: 4200, a different answer
    llm = ScriptedLLM([GOOD, GOOD, relaxed], name="vote")
    try:
        res = solve(TEXT, llm.client(), samples=3, strategy="single")
    finally:
        llm.close()
    assert res.objective == pytest.approx(OPT)
    assert res.vote is not None and res.confidence == pytest.approx(2 / 3)
    assert sorted(len(ix) for _, ix in res.vote.clusters) == [1, 2]
    assert not res.vote.agreed


def test_cluster_objectives():
    cl = cluster_objectives([1.0, 1.0000000001, 2.0, None, 2.0, 2.0])
    assert cl[0][1] == [2, 4, 5] and cl[1][1] == [0, 1]


def test_data_files_cost_the_same_prompt_whatever_their_length(tmp_path):
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    rows = "".join(f"p{i},{i % 97}.5\n" for i in range(1_000_000))
    small.write_text("product,cost\n" + rows[: rows.index("\n", 200) + 1])
    big.write_text("product,cost\n" + rows)
    s1, s2 = data_summaries([small]), data_summaries([big])
    assert s1.replace(small.name, "X").split("rows")[1] == s2.replace(big.name, "X").split("rows")[1]
    from formalize.llm.client import _litellm

    lt = _litellm()
    msgs = lambda s: [{"role": "user", "content": s}]  # noqa: E731
    t1 = lt.token_counter(model="gpt-4o", messages=msgs(s1))
    t2 = lt.token_counter(model="gpt-4o", messages=msgs(s2))
    assert abs(t1 - t2) <= 2  # only the row count's digits differ


def test_solve_a_formal_model_skips_the_llm():
    res = solve(PROBLEM / "model.json")
    assert res.mode == "model" and res.objective == pytest.approx(OPT)


def test_program_rejects_unknown_strategy():
    llm = ScriptedLLM([], name="strat")
    try:
        with pytest.raises(ValueError):
            Program(llm.client(), strategy="magic")
    finally:
        llm.close()


def test_single_call_uses_the_compact_notation():
    compact = {"variables": {"small": "integer in [0, 70]", "large": "integer in [15, 50]"},
               "maximize": "50*small + 80*large",
               "constraints": {"preference": "small >= 2*large", "total": "small + large <= 70"}}
    f, llm = run([compact])
    assert_verified_optimum(f)
    call = llm.calls[0]
    assert "compact notation" in call.messages[0]["content"]
    assert call.response_format in ({"type": "json_object"}, None) or "json_object" in str(call.response_format)
    assert f.grounding is not None and f.grounding.ok  # inline literals are grounded too


def test_two_step_program_sends_each_step_its_own_schema():
    """The data step sends a data-only schema; the structure step the structure's."""
    data = {"sets": {}, "params": GOOD["params"]}
    struct = {k: GOOD[k] for k in ("sense", "variables", "objective", "constraints")}
    llm = ScriptedLLM([data, struct], name="schema")
    try:
        formalize(TEXT, llm.client(), strategy="steps")
    finally:
        llm.close()
    read, structure = (c.response_format["json_schema"] for c in llm.calls)
    assert read["strict"] and structure["strict"]
    assert set(read["schema"]["properties"]) == {"sets", "params"}
    assert set(structure["schema"]["properties"]) == {"sense", "variables", "objective", "constraints",
                                                      "assumptions", "acknowledged"}


# ------------------------------------------------------------------ review fixes (issue 3 flows)

BAKERY = HERE / "problems/examples/infeasible_bakery"


def test_final_unusable_answer_leaves_no_stale_solution():
    """Infeasible, then garbage as the last repair: the result must not show the old solve."""
    infeasible = variant(**INFEASIBLE)
    f, _ = run([infeasible, "I give up"], max_repairs=1)
    assert not f.ok and f.solution is None and f.model is None
    assert f.diagnostics[0].code == "bad-json"
    assert [r.step for r in f.history] == ["single", "repair-infeasible"]
    # a broken model as the last answer: no solution either (the solve was of another model)
    f, _ = run([infeasible, variant(objective="cap_smal * small")], max_repairs=1)
    assert not f.ok and f.solution is None
    assert any(d.code == "undeclared-symbol" for d in f.diagnostics)


def test_repair_answer_that_is_a_json_array_is_repaired():
    bad = variant(objective="cap_smal * small + cap_large * large")
    f, llm = run([bad, [GOOD], GOOD])
    assert_verified_optimum(f)
    (d,) = f.history[1].diagnostics
    assert d.code == "bad-json" and "expected a JSON object, got list" in d.message
    prompt = llm.calls[2].prompt
    assert "expected a JSON object, got list" in prompt
    assert '"cap_smal * small + cap_large * large"' in prompt  # the last model, not the array


def test_identical_broken_model_is_named_and_bounded():
    bad = variant(objective="cap_smal * small")
    f, llm = run([bad] * 3, max_repairs=2)
    assert len(llm.calls) == 3 and f.repair_rounds == 2 and not f.ok and f.solution is None
    assert "repeats an earlier one unchanged" not in llm.calls[1].prompt
    assert "repeats an earlier one unchanged" in llm.calls[2].prompt
    assert any(d.code == "repeated-answer" for d in f.diagnostics)


def test_infeasible_bounds_go_back_with_the_iis_bounds():
    # lb 50 > ub 15: no constraint conflicts, only the variable's own bounds (the IIS is empty)
    swapped = variant(variables__large__lb="avail_large", variables__large__ub="min_large")
    assert solvers.solve(swapped).iis == []
    f, llm = run([swapped, GOOD])
    assert_verified_optimum(f)
    prompt = llm.calls[1].prompt
    assert "variable bound 50 <= large <= 15" in prompt
    assert "could not isolate" not in prompt


def test_empty_iis_lists_every_constraint_and_bound_as_suspects():
    from formalize.program.context import iis_text as _iis_text
    from solvers import Solution, Status

    model = solvers.load_model(GOOD)
    text = _iis_text(model, Solution(status=Status.INFEASIBLE, iis=[], iis_bounds=[]))
    assert "could not isolate" in text
    assert "constraint preference: small >= ratio_small * large" in text
    assert "constraint total: small + large <= max_total" in text
    assert "variable large: integer, lb min_large, ub avail_large" in text


def test_still_infeasible_after_all_repairs_says_the_text_may_be_infeasible():
    infeasible = variant(**INFEASIBLE)
    f, llm = run([infeasible, infeasible], max_repairs=1)
    assert f.ok and f.solution is not None and f.solution.status.value == "infeasible"
    (d,) = [d for d in f.diagnostics if d.code == "infeasible"]
    assert d.severity == "warning" and "may be infeasible" in d.message
    assert "after 1 repair round" in d.message and "preference" in (d.hint or "")


def test_note_infeasible_as_stated_is_accepted():
    """The INFEASIBLE prompt lets the LLM keep the model with a note; that must load and stop."""
    text = (BAKERY / "problem.txt").read_text()
    model = json.loads((BAKERY / "model.json").read_text())
    llm = ScriptedLLM([model, {**model, "note": "infeasible as stated"}], name="note")
    try:
        f = formalize(text, llm.client(), strategy="single", max_repairs=3)
    finally:
        llm.close()
    assert len(llm.calls) == 2  # no further repairs once the LLM says the text is contradictory
    assert "INFEASIBLE" in llm.calls[1].prompt and "oven_time" in llm.calls[1].prompt
    assert f.ok and f.solution.status.value == "infeasible"
    assert not any(d.code == "schema" for d in f.diagnostics)  # 'note' is not an unknown field
    (d,) = [d for d in f.diagnostics if d.code == "infeasible"]
    assert "infeasible as stated" in d.message


def vote(responses, samples, **kw):
    llm = ScriptedLLM(responses, name="vote2")
    try:
        res = solve(TEXT, llm.client(**kw.pop("client", {})), samples=samples, strategy="single",
                    max_repairs=0, **kw)
    finally:
        llm.close()
    return res


def test_vote_with_a_failed_sample_is_not_agreement():
    res = vote([GOOD, "not json at all"], 2)
    assert res.objective == pytest.approx(OPT)
    assert res.confidence == pytest.approx(0.5) and not res.vote.agreed
    assert len(res.vote.failed) == 1 and len(res.vote.clusters) == 1
    res = vote([GOOD, GOOD], 2)
    assert res.vote.agreed and res.confidence == 1.0 and res.vote.failed == []


def test_vote_without_objectives_shows_a_verified_sample():
    infeasible = variant(**INFEASIBLE)
    res = vote(["not json", infeasible], 2)
    assert res.vote.winner is None and res.confidence == 0.0 and not res.vote.agreed
    assert res.status == "infeasible" and res.formalization.ok  # not the failed sample
    res = vote(["not json", "nor this"], 2)
    assert res.solution is None and res.status == "error" and res.confidence == 0.0


def test_vote_survives_one_sample_whose_provider_fails():
    from formalize.llm.client import LLMError
    from formalize.llm.testing import scripted_error

    res = vote([GOOD, scripted_error(500)], 2, client={"max_retries": 0})
    assert res.objective == pytest.approx(OPT) and res.confidence == pytest.approx(0.5)
    (failed,) = [f for f in res.samples if f.solution is None]
    assert failed.diagnostics[0].code == "llm-error" and "500" in failed.diagnostics[0].message
    with pytest.raises(LLMError):
        vote([scripted_error(500), scripted_error(500)], 2, client={"max_retries": 0})


def test_progress_callbacks_follow_the_steps():
    seen: list[tuple[str, str]] = []
    infeasible = variant(**INFEASIBLE)
    llm = ScriptedLLM([infeasible, GOOD], name="progress")
    try:
        res = solve(TEXT, llm.client(), strategy="single", progress=lambda s, d: seen.append((s, d)))
    finally:
        llm.close()
    assert res.objective == pytest.approx(OPT)
    assert [s for s, _ in seen] == ["drafting", "checking", "solving", "repairing", "checking",
                                    "solving"]
    assert ("repairing", "repair-infeasible") in seen
    seen.clear()
    llm = ScriptedLLM([GOOD, GOOD], name="progress2")
    try:
        solve(TEXT, llm.client(), strategy="single", samples=2,
              progress=lambda s, d: seen.append((s, d)))
    finally:
        llm.close()
    assert seen[-1] == ("voting", "2/2 samples agree")
    assert [s for s, _ in seen].count("drafting") == 1  # one progress line: the first sample's


def test_attached_data_file_is_summarized_and_bound_by_column(tmp_path):
    """The LLM sees the file's columns and a few rows; the solver loads the data itself."""
    ex = HERE / "problems/examples/transport"
    data = tmp_path / "distances.csv"
    data.write_text((ex / "distances.csv").read_text())
    good = json.loads((ex / "model.json").read_text())
    llm = ScriptedLLM([good], name="datafile")
    try:
        f = formalize((ex / "problem.txt").read_text(), llm.client(), data=[data], strategy="single")
    finally:
        llm.close()
    assert f.ok and f.solution is not None
    assert f.solution.objective == pytest.approx(153.675, rel=1e-9)
    prompt = llm.calls[0].prompt
    assert "distances.csv: 6 rows; columns: plant (text), market (text), distance (number)" in prompt
    assert solvers.check(f.model, f.solution.values).feasible


# ------------------------------------------------------------------ the program as named steps


def test_trace_names_every_step_and_what_each_call_saw():
    data = {"sets": {}, "params": GOOD["params"]}
    struct = variant(variables__large__lb="avail_large")  # infeasible: goes back with its IIS
    struct = {k: struct[k] for k in ("sense", "variables", "objective", "constraints")}
    llm = ScriptedLLM([data, struct, GOOD], name="trace")
    try:
        f = formalize(TEXT, llm.client(), strategy="steps")
    finally:
        llm.close()
    assert_verified_optimum(f)
    assert [s.name for s in f.trace] == ["read", "structure", "verify", "solve", "repair", "verify",
                                         "solve"]
    assert [s.round for s in f.trace] == [0, 0, 0, 0, 1, 1, 1]
    assert f.trace[3].detail == "infeasible" and f.trace[-1].detail == "optimal 4190"
    read, structure, repair = f.history
    assert read.context == ("problem text",)
    assert structure.context == ("problem text", "declared symbols")
    assert repair.step == "repair-infeasible" and "solver: infeasible" in repair.context
    assert "current model" in repair.context
    # what each call saw, in its prompt: read sees no structure request, structure no data table
    assert "Do not write\nvariables" in llm.calls[0].prompt
    user = llm.calls[1].messages[-1]["content"]
    assert "Declared symbols" in user and '"value"' not in user and "param cap_small (scalar)" in user
    doc = f.to_dict()
    assert [s["step"] for s in doc["trace"]][:2] == ["read", "structure"]
    assert doc["history"][1]["context"] == ["problem text", "declared symbols"]


def test_a_verified_model_is_lowered_once(monkeypatch):
    """The verify step builds the constraint instances; the solve reuses that lowering."""
    import solvers.lower

    calls = []
    real = solvers.lower.lower

    def counting(model, *a, **kw):
        calls.append(kw.get("target"))
        return real(model, *a, **kw)

    monkeypatch.setattr(solvers.lower, "lower", counting)
    f, _ = run([GOOD])
    assert_verified_optimum(f)
    assert calls == ["highs"]


# ------------------------------------------------------------------ every fault in one round

JOBS_TEXT = ("A workshop runs two jobs, A and B, on one machine, one job at a time. Job A takes 3 "
             "hours and job B takes 5 hours. Both jobs must be finished within 12 hours. Minimize "
             "the time at which the last job finishes.")
JOBS = {  # optimum 8 (one machine: 3 + 5), independently of the order
    "sense": "minimize",
    "sets": {"J": ["A", "B"]},
    "params": {"dur": {"index": ["J"], "values": {"A": 3, "B": 5},
                       "source": "Job A takes 3 hours and job B takes 5 hours"},
               "deadline": {"value": 12, "source": "within 12 hours"}},
    "variables": {"start": {"index": ["J"], "domain": "real", "lb": 0, "ub": "deadline"},
                  "a_first": {"domain": "binary"}, "makespan": {"domain": "real", "lb": 0}},
    "objective": "makespan",
    "constraints": [
        {"name": "a_before_b", "expr": "implies(a_first == 1, start['A'] + dur['A'] <= start['B'])"},
        {"name": "b_before_a", "expr": "implies(a_first == 0, start['B'] + dur['B'] <= start['A'])"},
        {"name": "finish", "forall": "j in J", "expr": "makespan >= start[j] + dur[j]"},
        {"name": "within", "forall": "j in J", "expr": "start[j] + dur[j] <= deadline"}]}


def jobs_without_deadline() -> dict:
    """The deadline forgotten: 12 is unused (advice) and `start` has no bound for the big-M
    of the disjunction (an error only the constraint instances reveal)."""
    bad = copy.deepcopy(JOBS)
    del bad["params"]["deadline"]
    del bad["variables"]["start"]["ub"]
    bad["constraints"] = bad["constraints"][:3]
    return bad


def run_jobs(responses, **kw):
    llm = ScriptedLLM(responses, name="jobs")
    try:
        f = formalize(JOBS_TEXT, llm.client(), strategy="single", **kw)
    finally:
        llm.close()
    return f, llm


def assert_jobs_optimum(f):
    assert f.ok, [str(d) for d in f.diagnostics]
    assert f.solution.status.value == "optimal" and f.solution.objective == pytest.approx(8.0)
    assert solvers.check(f.model, f.solution.values).feasible


def test_instance_error_and_advice_of_the_first_model_go_back_in_one_round():
    """The issue's instalment: the big-M error was true of the first model but came only after
    a round spent on the unused number. Both are in the first repair prompt, errors first."""
    f, llm = run_jobs([jobs_without_deadline(), JOBS])
    assert_jobs_optimum(f)
    assert len(llm.calls) == 2 and f.repair_rounds == 1
    first = {d.code for d in f.history[0].diagnostics}
    assert {"big-m-unbounded", "unused-number"} <= first
    prompt = llm.calls[1].messages[-1]["content"]
    assert "needs a big-M, but start has no finite bound" in prompt
    assert "12" in prompt.split("Advice")[1]
    assert prompt.index("Errors (each must be fixed)") < prompt.index("Advice")


def test_static_and_instance_errors_go_back_together():
    """A misspelled symbol in one constraint does not hide the instance errors of the others."""
    bad = jobs_without_deadline()
    bad["constraints"][2]["expr"] = "makespn >= start[j] + dur[j]"
    f, llm = run_jobs([bad, JOBS])
    assert_jobs_optimum(f)
    codes = [d.code for d in f.history[0].diagnostics]
    assert "undeclared-symbol" in codes and "big-m-unbounded" in codes
    prompt = llm.calls[1].messages[-1]["content"]
    assert "makespn" in prompt and "needs a big-M" in prompt


def test_infeasible_outcome_and_advice_go_back_together():
    bad = variant(**INFEASIBLE)
    bad["variables"]["large"]["lb"] = 0
    del bad["params"]["min_large"]  # and 15 ("at least 15 large suitcases") unused
    f, llm = run([bad, GOOD])
    assert_verified_optimum(f)
    assert [r.step for r in f.history] == ["single", "repair-infeasible"]
    prompt = llm.calls[1].messages[-1]["content"]
    assert "INFEASIBLE" in prompt and "preference" in prompt
    # must-fix first (the solver's conflict), then the advice
    assert "15" in prompt.split("Advice")[1] and prompt.index("INFEASIBLE") < prompt.index("Advice")


def test_advice_costs_no_round_after_the_first_and_stays_in_every_round():
    """Round 1: an error and advice go back together; round 2 fixes the error only. The advice
    alone does not cost a third call; it is listed in round 2's findings and in the result."""
    forgot = variant()
    forgot["constraints"] = [c for c in forgot["constraints"] if c["name"] != "preference"]
    del forgot["params"]["ratio_small"]
    misspelled = copy.deepcopy(forgot)
    misspelled["objective"] = "cap_smal * small + cap_large * large"
    f, llm = run([misspelled, forgot, GOOD])
    assert len(llm.calls) == 2 and llm.remaining == 1
    assert f.ok and f.solution.objective == pytest.approx(5000)  # what the model says, advised
    for diags in (f.history[0].diagnostics, f.history[1].diagnostics, f.diagnostics):
        assert any(d.code == "unused-number" and "twice" in d.message for d in diags)
    prompt = llm.calls[1].messages[-1]["content"]
    assert "cap_smal" in prompt.split("Advice")[0] and "twice" in prompt.split("Advice")[1]


def test_a_correct_model_with_only_warnings_is_accepted_in_its_round():
    extra = variant()
    extra["params"]["spare"] = {"value": 50, "source": "holds 50 snacks"}  # unused param: a warning
    f, llm = run([extra])
    assert_verified_optimum(f)
    assert any(d.code == "unused-param" for d in f.diagnostics)
    assert len(llm.calls) == 1 and f.repair_rounds == 0
