"""A family sweep's streamed records (formalize.evaluation.sweep.SweepRecords): each instance's
ground truth and each answer written once as they are known; a sweep stopped by a provider
failure or a SIGKILL resumes without asking a recorded answer again or solving a recorded
instance again, and ends with the verdicts of a clean run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_compare_sweep import knapsack_plan

from formalize.cli.compare import RECORDS as CLI_RECORDS
from formalize.cli.main import main
from formalize.evaluation import sweep as sweep_mod
from formalize.evaluation.results_file import read_results
from formalize.evaluation.sweep import RECORDS, sweep
from formalize.llm.config import ConfigError
from formalize.llm.testing import ScriptedLLM

ROOT = Path(__file__).resolve().parents[1]
SIZES, SEEDS = [3, 4], [0, 1]
WRONG = {(4, 1, "values"), (3, 0, "objective")}


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _verdicts(rep) -> list:
    return [(p.size, p.seed, p.truth.objective, [(a.variant, a.verdict, a.order, a.response[:30])
                                                 for a in p.answers]) for p in rep.points]


class _FailAfter:
    """The responder's answers, then a provider failure from call `n + 1` on."""

    def __init__(self, responder, n: int) -> None:
        self.responder, self.n, self.calls = responder, n, 0

    def __call__(self, messages):
        self.calls += 1
        if self.calls > self.n:
            raise RuntimeError("provider down (scripted)")
        return self.responder(messages)


def _run(responder, results: Path | None, *, resume=False, name="rec", **kw):
    llm = ScriptedLLM([responder] * 64, name=name)
    try:
        return sweep("knapsack", kw.pop("sizes", SIZES), kw.pop("seeds", SEEDS), llm.client(),
                     order_seed=3, results=results, resume=resume, **kw), llm
    finally:
        llm.close()


@pytest.fixture(scope="module")
def clean_run():
    rep, _ = _run(knapsack_plan(SIZES, SEEDS, wrong=WRONG), None, name="clean")
    return _verdicts(rep)


def test_records_hold_each_instance_and_answer_once_and_rebuild_the_report(tmp_path, clean_run):
    out = tmp_path / RECORDS
    rep, llm = _run(knapsack_plan(SIZES, SEEDS, wrong=WRONG), out)
    assert _verdicts(rep) == clean_run
    lines = _lines(out)
    assert lines[0]["type"] == "run" and lines[0]["kind"] == "sweep"
    assert lines[0]["family"] == "knapsack" and lines[0]["variants"] == ["values", "objective"]
    ids = [r["id"] for r in lines[1:]]
    assert len(ids) == len(set(ids)) == 4 + 8
    inst = [r for r in lines if r["type"] == "instance"]
    assert {(r["size"], r["seed"]) for r in inst} == {(s, e) for s in SIZES for e in SEEDS}
    # an instance's record comes before any of its answers
    pos = {r["id"]: k for k, r in enumerate(lines[1:])}
    for r in lines[1:]:
        if r["type"] == "answer":
            assert pos[f"{r['size']}:{r['seed']}"] < pos[r["id"]]
    # resumed with everything recorded: no request, no solve, the same report
    calls = len(llm.calls)
    assert calls == 8
    rep2, llm2 = _run(knapsack_plan(SIZES, SEEDS), out, resume=True)
    assert len(llm2.calls) == 0
    assert _verdicts(rep2) == clean_run
    assert rep2.table() == rep.table()
    assert "8 answer(s) of the earlier run reused" in rep2.notes[0]
    assert len(_lines(out)) == len(lines)  # nothing written twice


def test_a_provider_failure_mid_sweep_resumes_where_it_stopped(tmp_path, clean_run, monkeypatch):
    out = tmp_path / RECORDS
    failing = _FailAfter(knapsack_plan(SIZES, SEEDS, wrong=WRONG), 3)
    with pytest.raises(Exception, match="provider down"):
        _run(failing, out)
    _, recs = read_results(out, types=("instance", "answer"))
    answered = sorted(k for k, r in recs.items() if r["type"] == "answer")
    assert len(answered) == 3 and sum(r["type"] == "instance" for r in recs.values()) == 4
    solves = []
    real = sweep_mod.ground_truth
    monkeypatch.setattr(sweep_mod, "ground_truth", lambda *a, **k: solves.append(1) or real(*a, **k))
    responder = knapsack_plan(SIZES, SEEDS, wrong=WRONG)
    rep, llm = _run(responder, out, resume=True)
    assert solves == []  # every ground truth came from the records
    assert len(llm.calls) == 5  # only the 5 requests not answered before
    assert {f"{k.replace('/', ':')}:{v}" for k, v in responder.asked}.isdisjoint(answered)
    assert _verdicts(rep) == clean_run  # the same verdicts and the same request positions
    ids = [r["id"] for r in _lines(out)[1:]]
    assert len(ids) == len(set(ids)) == 12


def test_resume_adds_seeds_and_sizes_and_asks_only_the_new_ones(tmp_path):
    out = tmp_path / RECORDS
    _run(knapsack_plan([3], [0, 1]), out, sizes=[3], seeds=[0, 1])
    responder = knapsack_plan([3, 4], [0, 1, 2])
    rep, llm = _run(responder, out, resume=True, sizes=[3, 4], seeds=[0, 1, 2])
    asked = {k for k, _ in responder.asked}
    assert asked == {"3/2", "4/0", "4/1", "4/2"} and len(llm.calls) == 8
    assert [(p.size, p.seed) for p in rep.points] == [(s, e) for s in (3, 4) for e in (0, 1, 2)]
    assert all(a.correct for p in rep.points for a in p.answers)
    # each request its own number: the recorded ones kept, the new ones after them (the new
    # fair order's positions gave three numbers twice)
    orders = {(p.size, p.seed, a.variant): a.order for p in rep.points for a in p.answers}
    assert sorted(orders.values()) == list(range(1, 13))
    assert max(o for (s, e, _), o in orders.items() if (s, e) in ((3, 0), (3, 1))) == 4


def test_a_cut_off_last_line_is_dropped_and_its_answer_asked_again(tmp_path):
    out = tmp_path / RECORDS
    _run(knapsack_plan(SIZES, SEEDS), out)
    raw = out.read_bytes()
    out.write_bytes(raw[:-25])  # a kill in the middle of the last answer's write
    responder = knapsack_plan(SIZES, SEEDS)
    rep, llm = _run(responder, out, resume=True)
    assert len(llm.calls) == 1
    assert out.read_bytes().endswith(b"\n") and len(_lines(out)) == 13
    assert all(a.correct for p in rep.points for a in p.answers)


def test_the_records_file_refuses_another_sweep_and_an_accidental_rerun(tmp_path):
    out = tmp_path / RECORDS
    _run(knapsack_plan([3], [0]), out, sizes=[3], seeds=[0])
    with pytest.raises(ConfigError, match="exists: pass --resume"):
        _run(knapsack_plan([3], [0]), out, sizes=[3], seeds=[0])
    with pytest.raises(ConfigError, match=r"different sweep \(variants was \['values', "
                                          r"'objective'\], now \['objective'\]"):
        _run(knapsack_plan([3], [0]), out, sizes=[3], seeds=[0], variants=["objective"],
             resume=True)
    rep, llm = _run(knapsack_plan([3], [0]), out, sizes=[3], seeds=[0], overwrite=True)
    assert len(llm.calls) == 2 and sum(r["type"] == "answer" for r in _lines(out)) == 2
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"type": "run", "dataset": "x"}) + "\n")
    with pytest.raises(ConfigError, match="not a sweep's records"):
        _run(knapsack_plan([3], [0]), bench, sizes=[3], seeds=[0], resume=True)


def test_cli_streams_to_the_out_folder_and_resumes(tmp_path, openai_server, capsys):
    from openai_server import reply

    assert CLI_RECORDS == RECORDS
    responder = knapsack_plan(SIZES, SEEDS, wrong=WRONG)
    openai_server.default = lambda body: reply(str(responder(body["messages"])))
    args = ["compare", "--family", "knapsack", "--sizes", "3,4", "--seeds", "2", "--model",
            "openai/stand-in", "--api-base", openai_server.base_url, "--no-cache", "--json",
            "--out", str(tmp_path)]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"]["records"] == str(tmp_path / RECORDS)
    assert main(args) == 2
    assert "exists: pass --resume" in capsys.readouterr().err
    assert main([*args, "--resume"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert len(openai_server.requests) == 8  # the resumed run asked nothing
    assert [p["answers"] for p in again["points"]] == [p["answers"] for p in doc["points"]]
    for bad, msg in ((["--resume", "--overwrite"], "give one"),
                     (["--task-timeout", "5"], "--task-timeout bounds one instance")):
        assert main([*args, *bad]) == 2
        assert msg in capsys.readouterr().err
    assert main(["compare", "--family", "knapsack", "--resume", "--model", "openai/x"]) == 2
    assert "--resume needs --out DIR" in capsys.readouterr().err


def test_a_sweep_killed_by_sigkill_resumes_with_every_answer_once(tmp_path, openai_server,
                                                                  clean_run):
    from openai_server import reply

    responder = knapsack_plan(SIZES, SEEDS, wrong=WRONG)
    openai_server.default = lambda body: reply(str(responder(body["messages"])), delay=0.15)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "formalize.cli.main", "compare", "--family", "knapsack",
           "--sizes", "3,4", "--seeds", "2", "--model", "openai/stand-in", "--api-base",
           openai_server.base_url, "--no-cache", "--order-seed", "3", "--json",
           "--out", str(out)]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    records = out / RECORDS
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if records.is_file() and records.read_text().count('"type": "answer"') >= 3:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=10)
    before = records.read_text().count('"type": "answer"')
    assert 3 <= before < 8, f"the kill should land mid-run: {err[-2000:]!r}"
    asked_before = len(openai_server.requests)
    assert main(["compare", "--family", "knapsack", "--sizes", "3,4", "--seeds", "2", "--model",
                 "openai/stand-in", "--api-base", openai_server.base_url, "--no-cache",
                 "--order-seed", "3", "--json", "--out", str(out), "--resume"]) == 0
    # asked again: the answers not recorded (at most one was in flight at the kill)
    assert len(openai_server.requests) - asked_before == 8 - before
    lines = _lines(records)
    ids = [r["id"] for r in lines[1:]]
    assert len(ids) == len(set(ids)) == 12
    doc = json.loads((out / "sweep.json").read_text())
    got = [(p["size"], p["seed"], p["ground_truth"]["objective"],
            [(a["variant"], a["verdict"], a["order"], a["response"][:30]) for a in p["answers"]])
           for p in doc["points"]]
    assert got == clean_run


def test_cli_sweep_shows_a_progress_bar_fed_by_finished_instances(tmp_path, openai_server,
                                                                  capsys, monkeypatch):
    from openai_server import reply

    responder = knapsack_plan(SIZES, SEEDS, wrong=WRONG)
    openai_server.default = lambda body: reply(str(responder(body["messages"])))
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich: stderr counts as a terminal
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["compare", "--family", "knapsack", "--sizes", "3,4", "--seeds", "2", "--model",
                 "openai/stand-in", "--api-base", openai_server.base_url, "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert "knapsack (local)" in err and "4/4" in err and "6/8 right" in err
    assert "ETA" in err and err.count("… answer") == 8


class _Counting:
    """The responder's answers from several threads, counting the calls that returned an
    answer; the call numbered `fail` raises after `delay` seconds (the others are slow by
    `pause`)."""

    def __init__(self, responder, fail: int | None = None, delay: float = 0.0,
                 pause: float = 0.0) -> None:
        import threading

        self.responder, self.fail, self.delay, self.pause = responder, fail, delay, pause
        self.calls = self.answered = 0
        self.lock = threading.Lock()

    def __call__(self, messages):
        with self.lock:
            self.calls += 1
            n = self.calls
        if n == self.fail:
            time.sleep(self.delay)
            raise RuntimeError("provider down (scripted)")
        time.sleep(self.pause)
        out = self.responder(messages)
        with self.lock:
            self.answered += 1
        return out


def _answers_in(path: Path) -> int:
    _, recs = read_results(path, types=("instance", "answer"))
    return sum(r["type"] == "answer" for r in recs.values())


def test_a_provider_failure_with_concurrency_records_every_answer_that_came_in(tmp_path,
                                                                            clean_run):
    # the first call fails late: the answers the other threads got meanwhile are paid for and
    # must be recorded (they were dropped when the threads' results were taken in request order)
    out = tmp_path / RECORDS
    failing = _Counting(knapsack_plan(SIZES, SEEDS, wrong=WRONG), fail=1, delay=0.5)
    with pytest.raises(Exception, match="provider down"):
        _run(failing, out, concurrency=4)
    assert failing.answered >= 3 and _answers_in(out) == failing.answered
    rep, llm = _run(knapsack_plan(SIZES, SEEDS, wrong=WRONG), out, resume=True)
    assert len(llm.calls) == 8 - failing.answered
    assert _verdicts(rep) == clean_run
    ids = [r["id"] for r in _lines(out)[1:]]
    assert len(ids) == len(set(ids)) == 12


def test_ctrl_c_with_concurrency_starts_nothing_new_and_records_the_answers_in_flight(
        tmp_path, clean_run, capsys):
    out = tmp_path / RECORDS
    slow = _Counting(knapsack_plan(SIZES, SEEDS, wrong=WRONG), pause=0.2)

    def interrupt(point, ans, k, n):
        if k == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(slow, out, concurrency=2, on_answer=interrupt)
    assert slow.calls < 8  # the requests not started were not sent
    import re

    assert re.search(r"interrupted: waiting for the [12] answer\(s\) in flight, to record them",
                     capsys.readouterr().err)
    assert _answers_in(out) == slow.answered >= 3  # those in flight at Ctrl-C: recorded
    rep, llm = _run(knapsack_plan(SIZES, SEEDS, wrong=WRONG), out, resume=True)
    assert len(llm.calls) == 8 - slow.answered
    assert _verdicts(rep) == clean_run


def test_resume_keeps_records_without_a_header_and_refuses_them(tmp_path):
    # a damaged first line removed as the reader's message says: the records must survive
    out = tmp_path / RECORDS
    _run(knapsack_plan([3], [0]), out, sizes=[3], seeds=[0])
    body = out.read_text().splitlines(keepends=True)[1:]
    out.write_text("".join(body))
    with pytest.raises(ConfigError, match=r"3 record\(s\) but no run header .* are kept"):
        _run(knapsack_plan([3], [0]), out, sizes=[3], seeds=[0], resume=True)
    assert out.read_text() == "".join(body)
    for content in ("", json.dumps({"type": "run", "kind": "sweep", "family": "knapsack"})[:-3]):
        out.write_text(content)  # empty, or a header cut off by a kill: a fresh start
        rep, llm = _run(knapsack_plan([3], [0]), out, sizes=[3], seeds=[0], resume=True)
        assert len(llm.calls) == 2 and [r["type"] for r in _lines(out)] == [
            "run", "instance", "answer", "answer"]


def test_a_second_run_on_the_same_records_is_refused_while_the_first_writes(tmp_path):
    out = tmp_path / RECORDS
    first = sweep_mod.SweepRecords(out, {"family": "knapsack"})
    try:
        for kw in ({"resume": True}, {"overwrite": True}):
            with pytest.raises(ConfigError, match="being written by another run"):
                sweep_mod.SweepRecords(out, {"family": "knapsack"}, **kw)
        assert [r["type"] for r in _lines(out)] == ["run"]  # not truncated by --overwrite
    finally:
        first.close()
    again = sweep_mod.SweepRecords(out, {"family": "knapsack"}, resume=True)
    again.close()
    folder = tmp_path / "d" / RECORDS
    folder.mkdir(parents=True)
    with pytest.raises(ConfigError, match="is not a file"):
        sweep_mod.SweepRecords(folder, {"family": "knapsack"}, overwrite=True)


def _spent(usage: dict) -> dict:
    return {k: usage[k] for k in ("calls", "cached_calls", "prompt_tokens", "completion_tokens",
                                  "unpriced_calls")}


def test_a_resumed_sweeps_usage_counts_the_recorded_answers_once(tmp_path):
    # the earlier run's answers were paid for: the resumed report's usage is the whole sweep's
    # (as the uninterrupted run's), the part taken from the records said apart
    def plan():
        return knapsack_plan(SIZES, SEEDS, wrong=WRONG, tokens=40)

    clean, _ = _run(plan(), None, name="clean-usage")
    out = tmp_path / RECORDS
    with pytest.raises(Exception, match="provider down"):
        _run(_FailAfter(plan(), 3), out)
    rep, llm = _run(plan(), out, resume=True)
    assert len(llm.calls) == 5
    whole, reused = rep.to_dict()["usage"], rep.to_dict()["usage_resumed"]
    assert _spent(whole) == _spent(clean.usage.as_dict())
    assert whole["calls"] == 8 and whole["completion_tokens"] == 8 * 40
    assert reused["calls"] == 3 and reused["completion_tokens"] == 3 * 40
    assert "3 answer(s) of the earlier run reused" in rep.notes[0]
    assert "120 output tokens" in rep.notes[0]
    again, llm = _run(plan(), out, resume=True)  # all recorded: nothing asked, all reused
    assert len(llm.calls) == 0 and _spent(again.usage.as_dict()) == _spent(whole)


def test_cli_a_failed_sweep_says_how_to_resume_and_a_changed_setting_how_to_match(
        tmp_path, openai_server, capsys):
    from openai_server import error, reply

    responder = knapsack_plan(SIZES, SEEDS)
    served = []

    def serve(body):
        served.append(1)
        if len(served) == 3:
            return error(401, "key revoked (scripted)")
        return reply(str(responder(body["messages"])))

    openai_server.default = serve
    args = ["compare", "--family", "knapsack", "--sizes", "3,4", "--seeds", "2", "--model",
            "openai/stand-in", "--api-base", openai_server.base_url, "--no-cache", "--json",
            "--out", str(tmp_path)]
    assert main([*args, "--resume"]) == 4  # nothing recorded yet: it starts, and says so
    err = capsys.readouterr().err
    assert f"no records at {tmp_path / RECORDS} yet: --resume starts the sweep there" in err
    assert "key revoked" in err
    assert f"records so far are in {tmp_path / RECORDS}: run the same command with --resume" in err
    for bad, msg in ((["--tolerance", "0.01"], "tolerance was 1e-06, now 0.01); resume it with "
                                               "--tolerance 1e-06, or use another --out"),
                     (["--order-seed", "5"], "order_seed was 0, now 5); resume it with "
                                             "--order-seed 0"),
                     (["--variants", "objective"], "resume it with --variants values,objective")):
        assert main([*args, "--resume", *bad]) == 2
        err = capsys.readouterr().err
        assert msg in err and "records so far" not in err  # a refusal writes nothing
    assert main([*args, "--resume"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(served) == 9 and all(a["verdict"] == "correct" for p in doc["points"]
                                    for a in p["answers"])
    asked = len(served)
    afile = tmp_path / "a-file"
    afile.write_text("x")
    assert main([*args[:-1], str(afile)]) == 2
    assert f"--out {afile} is a file: give a folder" in capsys.readouterr().err
    assert len(served) == asked  # refused before any request


def test_an_llm_error_survives_pickling():
    import pickle

    from formalize.llm.client import LLMError

    e = pickle.loads(pickle.dumps(LLMError("down", kind="auth", provider="p", model="m",
                                           attempts=1, status_code=401)))
    assert (str(e), e.kind, e.provider, e.model, e.attempts, e.status_code) == (
        "down", "auth", "p", "m", 1, 401)


def test_a_resumed_ladder_counts_the_earlier_runs_time_in_its_budget(tmp_path):
    # 0.3 s an answer, 4 answers a size, a 1 s budget: the clean ladder runs size 3 only; the
    # run cut after 3 answers (0.9 s) and resumed (0.3 s more) must stop there too
    def slow():
        return _Counting(knapsack_plan([3, 4], SEEDS), pause=0.3)

    kw = {"sizes": [3, 4], "stop_after_seconds": 1.0}
    clean, _ = _run(slow(), None, **kw)
    assert clean.sizes_run == [3] and "time budget of 1 s was used" in clean.stopped
    out = tmp_path / RECORDS
    with pytest.raises(Exception, match="provider down"):
        _run(_Counting(knapsack_plan([3, 4], SEEDS), fail=4, pause=0.3), out, **kw)
    rep, llm = _run(slow(), out, resume=True, **kw)
    assert len(llm.calls) == 1 and rep.sizes_run == [3], rep.stopped
    assert "time budget of 1 s was used" in rep.stopped
    assert 0.9 <= rep.earlier_seconds < rep.earlier_seconds + rep.seconds
    assert rep.to_dict()["earlier_seconds"] == rep.earlier_seconds
    # a size begun before the budget ran out finishes on resume, as it would have
    lines = _lines(out)
    assert all(r["elapsed"] >= 0 for r in lines[1:])
    with pytest.raises(Exception, match="provider down"):  # size 4 begun, 1 answer in
        _run(_Counting(knapsack_plan([3, 4], SEEDS), fail=6), tmp_path / "b.jsonl",
             sizes=[3, 4], stop_after_failures=99)
    rep, llm = _run(knapsack_plan([3, 4], SEEDS), tmp_path / "b.jsonl", resume=True,
                    sizes=[3, 4], stop_after_seconds=1e-9)
    assert rep.sizes_run == [3, 4] and len(llm.calls) == 3 and not rep.stopped


def test_an_answer_holding_unicode_line_separators_is_read_back_whole(tmp_path):
    # JSON leaves U+2028, U+2029 and U+0085 unescaped in a string: the reader split lines at
    # them (str.splitlines) and called the file damaged, so the sweep could not be resumed
    plan = knapsack_plan([3], [0])

    def odd(messages):
        return "Working:\u2028step one\u2029step two\x85done. " + str(plan(messages))

    rep, _ = _run(odd, tmp_path / RECORDS, sizes=[3], seeds=[0])
    again, llm = _run(odd, tmp_path / RECORDS, sizes=[3], seeds=[0], resume=True)
    assert len(llm.calls) == 0
    assert [a.response for a in again.points[0].answers] == [
        a.response for a in rep.points[0].answers]
    assert "\u2028step one" in again.points[0].answers[0].response


def _plain_fair_order(requests, seed=0):
    """fair_order as first written (O(n^3)): the reference its fast version draws alike."""
    import random
    from collections import defaultdict

    rng = random.Random(f"formalize.compare.order:{seed}")
    groups = defaultdict(list)
    for k, (inst, _v) in enumerate(requests):
        groups[inst].append(k)
    for idx in groups.values():
        rng.shuffle(idx)
    keys = list(groups)
    rng.shuffle(keys)
    order, last = [], object()

    def arrangeable(g, rest):
        return all(len(groups[h]) - (h == g) <= (rest + (h != g)) // 2 for h in keys if groups[h])

    while len(order) < len(requests):
        rest = len(requests) - len(order) - 1
        cand = [g for g in keys if groups[g] and g != last]
        good = [g for g in cand if arrangeable(g, rest)] or cand or [g for g in keys if groups[g]]
        pick = rng.choices(good, weights=[len(groups[g]) for g in good])[0]
        order.append(groups[pick].pop())
        last = pick
    return order


def test_the_fair_order_of_a_large_sweep_is_the_plain_rules_and_comes_at_once():
    # the plain rule took 6.5 s for 300 instances x 2 variants and grows as n^3 (a 3,000
    # instance sweep: hours before its first request); the fast one draws the same order
    import random

    from formalize.evaluation.direct import fair_order

    rnd = random.Random(1)
    for _ in range(400):
        reqs = [(g if g or rnd.random() < 0.5 else None, str(v))
                for g in range(rnd.randint(1, 10)) for v in range(rnd.choice([1, 2, 3, 5, 8]))]
        rnd.shuffle(reqs)
        seed = rnd.randint(0, 50)
        assert fair_order(reqs, seed) == _plain_fair_order(reqs, seed), (reqs, seed)
    reqs = [(i, v) for i in range(3000) for v in ("values", "objective")]
    order = fair_order(reqs, 3)
    assert sorted(order) == list(range(6000))
    seq = [reqs[k][0] for k in order]
    assert all(a != b for a, b in zip(seq, seq[1:]))


def test_a_resumed_sweep_reports_its_recorded_instances_before_asking(tmp_path):
    # the progress bar's rate and ETA are this run's: the instances taken from the records are
    # reported first, not in one jump with the first answer or at the end
    out = tmp_path / RECORDS
    with pytest.raises(Exception, match="provider down"):
        _run(_FailAfter(knapsack_plan(SIZES, SEEDS), 5), out)
    events = []
    _run(knapsack_plan(SIZES, SEEDS), out, resume=True,
         progress=lambda done, total, p: events.append(("done", done, total)),
         on_answer=lambda p, a, k, n: events.append(("answer",)))
    first = events.index(("answer",))
    assert first >= 1 and all(e[0] == "done" for e in events[:first])
    assert [e[1] for e in events if e[0] == "done"] == [1, 2, 3, 4]


def test_a_resume_whose_generator_now_makes_another_instance_is_refused(tmp_path, monkeypatch):
    # a multi-day sweep across an upgrade: an instance regenerated to ask its missing answers
    # must be the one whose ground truth is recorded, else answers are scored against it wrongly
    from formalize.evaluation import families

    out = tmp_path / RECORDS
    with pytest.raises(Exception, match="provider down"):
        _run(_FailAfter(knapsack_plan(SIZES, SEEDS), 3), out)
    assert all(len(r["fingerprint"]) == 16 for r in _lines(out) if r["type"] == "instance")
    real = families.generate

    def changed(family, size, seed=0):
        import dataclasses

        inst = real(family, size, seed)
        return dataclasses.replace(inst, text=inst.text + " Prices revised.")

    monkeypatch.setattr(families, "generate", changed)
    with pytest.raises(ConfigError, match=r"knapsack size \d seed \d: the family's generator now "
                                          r"makes another instance"):
        _run(knapsack_plan(SIZES, SEEDS), out, resume=True)
    monkeypatch.setattr(families, "generate", real)
    rep, llm = _run(knapsack_plan(SIZES, SEEDS), out, resume=True)
    assert len(llm.calls) == 5 and all(a.correct for p in rep.points for a in p.answers)


def test_a_file_system_without_locks_still_takes_the_records(tmp_path, monkeypatch):
    import fcntl

    def no_locks(fd, op):
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    rep, llm = _run(knapsack_plan([3], [0]), tmp_path / RECORDS, sizes=[3], seeds=[0])
    assert len(llm.calls) == 2 and len(_lines(tmp_path / RECORDS)) == 4


def test_ctrl_c_of_a_concurrent_cli_sweep_records_what_was_answered_and_resumes(
        tmp_path, openai_server, clean_run):
    from openai_server import reply

    responder = knapsack_plan(SIZES, SEEDS, wrong=WRONG)
    openai_server.default = lambda body: reply(str(responder(body["messages"])), delay=0.4)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "formalize.cli.main", "compare", "--family", "knapsack",
           "--sizes", "3,4", "--seeds", "2", "--model", "openai/stand-in", "--api-base",
           openai_server.base_url, "--no-cache", "--order-seed", "3", "--concurrency", "2",
           "--json", "--out", str(out)]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    records = out / RECORDS
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if records.is_file() and records.read_text().count('"type": "answer"') >= 2:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err[-2000:]
    assert f"records so far are in {records}" in err
    served = len(openai_server.requests)
    assert 2 <= _answers_in(records) == served < 8  # every answer served was recorded
    assert main([*cmd[3:], "--resume"]) == 0
    assert len(openai_server.requests) == 8  # the rest asked, nothing twice
    doc = json.loads((out / "sweep.json").read_text())
    got = [(p["size"], p["seed"], p["ground_truth"]["objective"],
            [(a["variant"], a["verdict"], a["order"], a["response"][:30]) for a in p["answers"]])
           for p in doc["points"]]
    assert got == clean_run


def test_a_size_or_seed_given_twice_is_refused_before_anything_is_asked(tmp_path, capsys):
    # --sizes 3,3 asked every request of size 3 twice (the second answer paid for, not recorded)
    for kw, msg in (({"sizes": [3, 3]}, r"size\(s\) 3 given more than once"),
                    ({"seeds": [0, 1, 0]}, r"seed\(s\) 0 given more than once")):
        llm = ScriptedLLM([knapsack_plan([3], [0, 1])] * 8, name="twice")
        try:
            with pytest.raises(ValueError, match=msg):
                sweep("knapsack", kw.get("sizes", [3]), kw.get("seeds", [0]), llm.client(),
                      results=tmp_path / RECORDS)
            assert llm.calls == []
        finally:
            llm.close()
    assert main(["compare", "--family", "knapsack", "--sizes", "3,4,3", "--model",
                 "openai/x", "--api-base", "http://127.0.0.1:9/v1"]) == 2
    assert "size(s) 3 given more than once" in capsys.readouterr().err


def test_a_record_that_does_not_read_back_is_named_not_a_traceback(tmp_path):
    out = tmp_path / RECORDS
    _run(knapsack_plan([3], [0]), out, sizes=[3], seeds=[0])
    lines = _lines(out)
    for k, (field, bad) in ((1, ("ground_truth", {"objective": 3})), (2, ("answer", "x"))):
        broken = [dict(r) for r in lines]
        broken[k][field] = bad
        out.write_text("".join(json.dumps(r) + "\n" for r in broken))
        rid = broken[k]["id"]
        with pytest.raises(ConfigError, match=rf"the {broken[k]['type']} record '{rid}' does not "
                                              r"read back \(.*\); remove its line"):
            _run(knapsack_plan([3], [0]), out, sizes=[3], seeds=[0], resume=True)
