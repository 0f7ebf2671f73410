"""Sweeps in the comparison mode: fair requests (independent, shuffled, seeded), the model's cost
beside the solver's, the size ladder, the trace variant end to end, readable plots, and the
documented command for a recorded run against an OpenAI-compatible endpoint."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from test_compare import ByPrompt, brute_force, values_answer

from formalize.evaluation.direct import fair_order
from formalize.evaluation.families import generate
from formalize.evaluation.sweep import sweep
from formalize.evaluation.traces import knapsack_dp
from formalize.evaluation.truth import ground_truth
from formalize.llm.testing import ScriptedLLM, ScriptedReply


def knapsack_plan(sizes, seeds, variants=("values", "objective"), *, wrong=(), marker=True,
                  family="knapsack", tokens=None):
    """Right answers for every request except the (size, seed, variant) in `wrong`; each
    answer carries a marker naming its request, to prove no request holds another's answer."""
    plan, texts = {}, {}
    for size in sizes:
        for seed in seeds:
            inst = generate(family, size, seed)
            key = f"{size}/{seed}"
            texts[key] = inst.text
            opt, pick = brute_force(inst) if family == "knapsack" else (inst.known_optimum, None)
            for v in variants:
                tag = f"ANSWER-MARK {key} {v}. " if marker else ""
                bad = (size, seed, v) in wrong
                if v == "values":
                    text = values_answer(pick, opt, prose=tag)
                    if bad:
                        text = values_answer((1,) * size, opt, prose=tag)
                elif v == "objective":
                    text = tag + json.dumps({"objective": opt - 1 if bad else opt})
                else:
                    ref = knapsack_dp.reference(inst.model)
                    if bad:
                        ref["rows"]["1"][-1][1] += 1
                    text = tag + "```json\n" + json.dumps(ref) + "\n```"
                plan[key, v] = ScriptedReply(text, prompt_tokens=500,
                                             completion_tokens=tokens) if tokens else text
    return ByPrompt(plan, texts)


# ---------------------------------------------------------------- fair requests


def test_fair_order_never_puts_one_instance_back_to_back():
    for seed in range(30):
        for n in range(2, 8):
            reqs = [(i, v) for i in range(n) for v in ("values", "objective", "trace")]
            order = fair_order(reqs, seed)
            assert sorted(order) == list(range(len(reqs)))
            seq = [reqs[k][0] for k in order]
            assert all(a != b for a, b in zip(seq, seq[1:])), (n, seed, seq)
    reqs = [(i, v) for i in range(5) for v in ("values", "objective")]
    assert fair_order(reqs, 1) == fair_order(reqs, 1) != fair_order(reqs, 2)
    assert sorted(fair_order([(0, "a"), (0, "b")], 0)) == [0, 1]  # one instance: no choice


def test_variants_are_independent_calls_in_a_shuffled_order():
    sizes, seeds = [3, 4], [0, 1, 2]
    variants = ("values", "objective", "trace")
    responder = knapsack_plan(sizes, seeds, variants)
    llm = ScriptedLLM(responder.queue(), name="fair-double")
    try:
        rep = sweep("knapsack", sizes, seeds, llm.client(), variants=variants, order_seed=7)
    finally:
        llm.close()
    asked = responder.asked
    assert len(asked) == len(llm.calls) == 18 and len(set(asked)) == 18
    grouped = [(f"{s}/{e}", v) for s in sizes for e in seeds for v in variants]
    assert asked != grouped and sorted(asked) == sorted(grouped)
    keys = [k for k, _ in asked]
    assert all(a != b for a, b in zip(keys, keys[1:]))  # never back to back
    answers = [str(getattr(r, "text", r)) for r in responder.plan.values()]
    for call in llm.calls:
        assert [m["role"] for m in call.messages] == ["system", "user"]  # a fresh conversation
        assert "ANSWER-MARK" not in call.prompt
        assert not any(a[:200] in call.prompt for a in answers)
    assert all(a.verdict == "correct" for p in rep.points for a in p.answers)
    orders = sorted(a.order for p in rep.points for a in p.answers)
    assert orders == list(range(1, 19))
    # the same seed gives the same order; another seed another one
    again = knapsack_plan(sizes, seeds, variants)
    llm = ScriptedLLM(again.queue(), name="fair-double-2")
    try:
        sweep("knapsack", sizes, seeds, llm.client(), variants=variants, order_seed=7,
              no_cache=True)
    finally:
        llm.close()
    assert again.asked == asked
    other = knapsack_plan(sizes, seeds, variants)
    llm = ScriptedLLM(other.queue(), name="fair-double-3")
    try:
        sweep("knapsack", sizes, seeds, llm.client(), variants=variants, order_seed=8,
              no_cache=True)
    finally:
        llm.close()
    assert other.asked != asked


# ---------------------------------------------------------------- cost beside accuracy


def test_cost_columns_tokens_seconds_and_solver_time(tmp_path):
    responder = knapsack_plan([3, 5], [0], tokens=321)
    llm = ScriptedLLM(responder.queue(), name="cost-double")
    try:
        client = llm.client(no_cache=False)
        rep = sweep("knapsack", [3, 5], [0], client)
        cached = sweep("knapsack", [3, 5], [0], client)  # replayed from the cache
    finally:
        llm.close()
    rows = rep.table()
    assert {r["output_tokens"] for r in rows} == {321}
    assert all(r["model_seconds"] > 0 and r["solver_seconds"] > 0 for r in rows)
    for p in rep.points:
        assert p.truth.seconds > 0 and p.truth.integrality_gap is not None
        for a in p.answers:
            assert a.output_tokens == 321 and a.prompt_tokens == 500 and not a.cached
    assert rep.client_startup_s >= 0
    first = {(p.size, a.variant): a.seconds for p in rep.points for a in p.answers}
    for p in cached.points:
        for a in p.answers:
            assert a.cached and a.seconds == pytest.approx(first[p.size, a.variant], abs=1e-6)
    header = rep.table_csv().splitlines()[0].split(",")
    assert {"model_seconds", "output_tokens", "solver_seconds", "integrality_gap"} <= set(header)
    inst_header = rep.instances_csv().splitlines()[0].split(",")
    assert {"values_seconds", "values_output_tokens", "solver_seconds"} <= set(inst_header)
    con = Console(record=True, width=400)
    con.print(rep)
    text = con.export_text()
    assert "model s" in text and "tokens" in text and "solver s" in text and "321" in text
    assert "within 1e-06 relative" in text


def test_first_answer_time_excludes_client_start_up(monkeypatch):
    """The client's one-time start-up runs (and is reported) before the first timed call."""
    import time as _time

    from formalize.llm.client import LLMClient

    responder = knapsack_plan([3], [0], variants=("objective",))
    llm = ScriptedLLM(responder.queue(), name="warm-double")
    calls = []

    def slow_warm(self):
        calls.append("warm")
        _time.sleep(0.3)
        return 0.3

    monkeypatch.setattr(LLMClient, "warm", slow_warm)
    try:
        rep = sweep("knapsack", [3], [0], llm.client(), variants=("objective",))
    finally:
        llm.close()
    assert calls == ["warm"] and rep.client_startup_s == pytest.approx(0.3)
    assert rep.points[0].answers[0].seconds < 0.3


# ---------------------------------------------------------------- the size ladder


def test_ladder_stops_after_the_size_where_answers_fail():
    sizes = [3, 4, 5]
    responder = knapsack_plan(sizes, [0, 1], wrong={(4, 1, "objective")})
    llm = ScriptedLLM(responder.queue()[:8], name="ladder-double")
    try:
        rep = sweep("knapsack", sizes, [0, 1], llm.client(), stop_after_failures=1)
    finally:
        llm.close()
    assert rep.sizes_run == [3, 4] and len(llm.calls) == 8
    assert "stopped after size 4" in rep.stopped and "sizes not run: 5" in rep.stopped
    asked_sizes = [int(k.split("/")[0]) for k, _ in responder.asked]
    assert asked_sizes == sorted(asked_sizes)  # the ladder asks size by size
    assert [r["size"] for r in rep.table() if r["variant"] == "objective"] == [3, 4]
    assert "stopped after size 4" in rep.to_markdown()
    with pytest.raises(ValueError, match="at least 1"):
        sweep("knapsack", [3], 1, llm.client(), stop_after_failures=0)


def test_ladder_starts_no_new_size_past_its_time_budget(monkeypatch):
    """With a time budget the ladder finishes the size under way and starts no other; every
    answer was right, so only the budget stopped it."""
    import formalize.evaluation.sweep as sweep_mod

    sizes = [3, 4, 5]
    responder = knapsack_plan(sizes, [0], variants=("objective",))
    llm = ScriptedLLM(responder.queue(), name="budget-double")
    clock = iter(range(0, 1000, 50))  # each reading of the clock is 50 s later
    monkeypatch.setattr(sweep_mod.time, "perf_counter", lambda: float(next(clock)))
    try:
        rep = sweep("knapsack", sizes, [0], llm.client(), variants=("objective",),
                    stop_after_seconds=40)
    finally:
        llm.close()
    assert rep.sizes_run == [3] and len(llm.calls) == 1
    assert "time budget of 40 s" in rep.stopped and "sizes not run: 4, 5" in rep.stopped
    with pytest.raises(ValueError, match="positive"):
        sweep("knapsack", [3], 1, llm.client(), stop_after_seconds=0)


# ---------------------------------------------------------------- the trace variant


def test_trace_variant_scored_step_by_step_in_a_sweep(tmp_path):
    responder = knapsack_plan([3], [0, 1], ("trace",), wrong={(3, 1, "trace")})
    llm = ScriptedLLM(responder.queue(), name="trace-double")
    try:
        rep = sweep("knapsack", [3], [0, 1], llm.client(), variants=("trace",))
    finally:
        llm.close()
    good, bad = (p.answers[0] for p in sorted(rep.points, key=lambda p: p.seed))
    assert good.verdict == "correct" and good.fidelity == 1 and good.gap == pytest.approx(0)
    # the slip in row 1, and row 2 (the true one) not following from the answer's row 1
    assert bad.verdict == "wrong" and bad.trace["n_faults"] == 2
    assert bad.fidelity == pytest.approx(1 - 2 / bad.trace["steps_total"])
    assert bad.trace["first_wrong"]["label"].startswith("row 1, c = ")
    (row,) = rep.table()
    assert row["fidelity"] == pytest.approx((1 + bad.fidelity) / 2)
    inst_rows = rep.instances()
    assert any(r["trace_first_wrong"] and "row 1" in r["trace_first_wrong"] for r in inst_rows)
    files = rep.save(tmp_path)
    assert "trace_first_wrong" in files["answers_csv"].read_text().splitlines()[0]
    with pytest.raises(ValueError, match="no hand-run procedure"):
        sweep("assignment", [3], 1, llm.client(), variants=("trace",))


def test_trace_too_large_is_skipped_with_a_note():
    inst = generate("knapsack-strong", 40, 0)
    with pytest.raises(Exception, match="steps"):
        knapsack_dp.available(inst.model)
    llm = ScriptedLLM([], name="trace-skip-double")
    try:
        rep = sweep("knapsack-strong", [40], [0], llm.client(), variants=("trace",))
    finally:
        llm.close()
    assert not llm.calls and rep.points[0].answers == []
    assert any("trace not asked at size 40" in n for n in rep.notes)


# ---------------------------------------------------------------- ground truth


def test_known_optimum_is_the_reference_when_the_solver_stops_early():
    import solvers

    inst = generate("binpacking", 8, 0)
    m = solvers.load_model(inst.model)
    gt = ground_truth(m, source="family generator", known_optimum=inst.known_optimum,
                      backend="cpsat", time_limit=0.05, optimum_method=inst.optimum_method)
    assert gt.objective == inst.known_optimum == 8 and gt.status == "optimal"
    if gt.solver_status != "optimal":
        assert gt.proven_by.startswith("by construction")
    if gt.solver_objective is not None:
        assert gt.checked and gt.solver_objective >= 8


# ---------------------------------------------------------------- plots


def _report(all_correct: bool, sizes=(3, 4)):
    wrong = set() if all_correct else {(s, e, v) for s in sizes for e in (0,)
                                       for v in ("values", "objective")}
    responder = knapsack_plan(list(sizes), [0], wrong=wrong, tokens=250)
    llm = ScriptedLLM(responder.queue(), name=f"plot-double-{all_correct}")
    try:
        return sweep("knapsack", list(sizes), [0], llm.client())
    finally:
        llm.close()


@pytest.mark.parametrize("all_correct", [True, False])
def test_plots_read_well_when_every_answer_is_right_or_wrong(all_correct, tmp_path):
    from formalize.evaluation.plots import build_sweep_figure

    rep = _report(all_correct)
    fig = build_sweep_figure(rep)
    axes = fig.get_axes()
    assert len(axes) == 6 and fig.legends and not any(ax.get_legend() for ax in axes)
    correct, gap, viol, seconds, tokens, bound = axes
    assert correct.get_ylim()[0] < 0 and correct.get_ylim()[1] > 100
    lo, hi = gap.get_ylim()
    assert hi - lo >= 5  # never a +-0.04 frame around a constant
    texts = " ".join(t.get_text() for ax in axes for t in ax.texts)
    assert "coincide: values = objective" in texts  # both variants right (or wrong) alike
    if all_correct:
        assert "every answer at the optimum" in texts
    assert viol.get_ylim()[1] - viol.get_ylim()[0] >= 2
    assert seconds.get_yscale() == "log"
    fig.canvas.draw()
    legend_top = fig.legends[0].get_window_extent().y1
    assert all(legend_top <= ax.get_window_extent().y0 for ax in axes[3:])
    png = rep.plot(tmp_path / "sweep.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- the documented recorded run


def test_recorded_run_command_against_an_openai_compatible_endpoint(tmp_path, openai_server,
                                                                     capsys):
    """The command the README documents, end to end over HTTP: --api-base, --timeout, the
    ladder, per-instance verdicts and the files."""
    from openai_server import reply

    from formalize.cli.main import main

    responder = knapsack_plan([3, 4, 5], [0], wrong={(4, 0, "values")})

    def answer(body):
        content = responder(body["messages"])
        return reply(str(content), delay=0.05, completion_tokens=77)

    openai_server.default = answer
    out = tmp_path / "run"
    code = main(["compare", "--family", "knapsack", "--sizes", "3,4,5", "--seeds", "1",
                 "--model", "openai/stand-in", "--api-base", openai_server.base_url,
                 "--timeout", "30", "--no-cache", "--stop-after-failures", "1", "--verbose",
                 "--out", str(out)])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert len(openai_server.requests) == 4  # sizes 3 and 4; the ladder stops after 4
    assert "stopped after size 4" in cap.out and "per instance" in cap.out
    assert "infeasible" in cap.out and "77" in cap.out
    for name in ("sweep.json", "sweep.csv", "instances.csv", "answers.csv", "sweep.md",
                 "sweep.png"):
        assert (out / name).stat().st_size > 0
    doc = json.loads((out / "sweep.json").read_text())
    secs = [a["seconds"] for p in doc["points"] for a in p["answers"]]
    assert all(s >= 0.05 for s in secs) and doc["sizes_run"] == [3, 4]
    md = (out / "sweep.md").read_text()
    assert md.count("\n| 3 | 0 |") == 1 and "shuffled order" in md


def test_help_explains_sizes_per_family_and_the_tolerance(capsys):
    from formalize.cli.main import main

    assert main(["compare", "--help"]) == 0
    text = capsys.readouterr().out
    assert "default 1e-06, relative" in text
    for line in ("knapsack-strong [hard, trace: knapsack-dp]", "n = bins in the optimum",
                 "n = number of cities", "--api-base http://127.0.0.1:8801/v1 --timeout 7200"):
        assert line in text


@pytest.mark.parametrize("argv,msg", [
    (["compare", "--family", "assignment", "--variants", "trace"], "no hand-run procedure"),
    (["compare", "--family", "knapsack", "--timeout", "0"], "--timeout"),
    (["compare", "--family", "knapsack", "--stop-after-failures", "0"], "at least 1"),
    (["compare", "--family", "knapsack", "--stop-after-seconds", "-5"], "positive number"),
    (["compare", "problem.txt", "--variants", "trace"], "needs --family"),
])
def test_cli_usage_errors_of_the_new_options(argv, msg, capsys):
    from formalize.cli.main import main

    assert main(argv) == 2
    assert msg in capsys.readouterr().err
