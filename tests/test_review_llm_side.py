"""Regression tests for bugs found in a review of the LLM side (llm, config, compare, bench,
grounding). Each test failed before its fix. No real LLM: ScriptedLLM and fake clients only."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from formalize.evaluation import bench
from formalize.evaluation.bench import ResultsFile, read_results, run_bench
from formalize.evaluation.compare import GroundTruth, ground_truth, score_objective, score_values
from formalize.llm.client import LLMClient, LLMError
from formalize.llm.config import ConfigError, resolve_model
from formalize.verify.grounding import ground, text_numbers
from solvers import load_model

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------ llm / cache
def test_truncated_or_empty_answers_are_not_cached(tmp_path: Path) -> None:
    from formalize.llm.testing import ScriptedLLM, ScriptedReply

    with ScriptedLLM([ScriptedReply('{"a": 1', finish_reason="length"), '{"a": 1}',
                      "", "ok", ScriptedReply("cut", finish_reason="length"), "async ok"],
                     name="review-trunc") as llm:
        client = llm.client(no_cache=False, cache=tmp_path)
        cut = client.complete("q")
        assert cut.finish_reason == "length" and not cut.cached
        again = client.complete("q")  # the cut-off answer was not replayed from the cache
        assert not again.cached and again.text == '{"a": 1}'
        assert client.complete("q").cached  # a complete answer is
        assert client.complete("e").text == ""
        assert client.complete("e").text == "ok"  # an empty answer was not cached either
        assert asyncio.run(client.acomplete("z")).text == "cut"
        assert asyncio.run(client.acomplete("z")).text == "async ok"
        assert llm.remaining == 0


# ------------------------------------------------------------------------------ config
@pytest.mark.parametrize("var,value", [("FORMALIZE_TIMEOUT", "nan"), ("FORMALIZE_TIMEOUT", "inf"),
                                       ("FORMALIZE_TEMPERATURE", "nan")])
def test_non_finite_numbers_from_the_environment_are_rejected(tmp_path: Path, var: str,
                                                              value: str) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), var: value}
    with pytest.raises(ConfigError, match="finite"):
        resolve_model("openai/gpt-4.1", start_dir=tmp_path, env=env)


def test_integer_env_var_written_as_float_is_read(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
           "FORMALIZE_MAX_RETRIES": "5.0"}
    assert resolve_model("openai/gpt-4.1", start_dir=tmp_path, env=env).max_retries == 5
    env["FORMALIZE_MAX_RETRIES"] = "2.5"
    with pytest.raises(ConfigError, match="integer"):
        resolve_model("openai/gpt-4.1", start_dir=tmp_path, env=env)


# ------------------------------------------------------------------------------ compare
def _truth(objective: float, sense: str = "minimize") -> GroundTruth:
    return GroundTruth(status="optimal", objective=objective, sense=sense, source="given model")


@pytest.mark.parametrize("claim,optimum", [("$3.5k", 3500.0), ("1.2 million", 1.2e6),
                                           ("\u22121,200", -1200.0), ("\u20ac1,200", 1200.0),
                                           ("1,200 USD", 1200.0), ("2.5M", 2.5e6)])
def test_objective_strings_with_units_and_multipliers(claim: str, optimum: float) -> None:
    ans = score_objective(json.dumps({"objective": claim}), _truth(optimum))
    assert ans.verdict == "correct", ans.detail
    assert ans.claimed_objective == pytest.approx(optimum)


def test_objective_string_that_is_not_a_number_stays_unparseable() -> None:
    for claim in ("about 12 or 13", "k", "12 apples", "--5"):
        assert score_objective(json.dumps({"objective": claim}), _truth(12.0)).verdict == "unparseable"


def test_values_given_as_flat_indexed_keys_at_the_top_level() -> None:
    m = load_model({"name": "t", "sets": {"I": {"elements": [1, 2]}, "J": {"elements": [1, 2]}},
                    "variables": {"x": {"index": ["I", "J"], "lb": 0, "ub": 10}},
                    "objective": "sum(x[i,j] for i in I for j in J)", "sense": "maximize"})
    gt = ground_truth(m)
    doc = {"x[1,1]": 10, "x[1,2]": 10, "x[2,1]": 10, "x[2,2]": 10, "objective": 40}
    ans = score_values(json.dumps(doc), m, gt)
    assert ans.verdict == "correct", ans.detail
    doc["x[2,2]"] = 5
    doc["objective"] = 35
    ans = score_values(json.dumps(doc), m, gt)
    assert ans.verdict == "suboptimal" and ans.gap == pytest.approx(5 / 40)


# ------------------------------------------------------------------------------ bench
def test_parse_direct_leading_dot_multipliers_and_unicode_minus() -> None:
    assert bench.parse_direct('{"objective": ".5"}') == ("optimal", 0.5)
    assert bench.parse_direct('{"objective": "$3.5k"}') == ("optimal", 3500.0)
    assert bench.parse_direct('{"objective": "1.2 million"}') == ("optimal", 1.2e6)
    assert bench.parse_direct('{"objective": "\u221242"}') == ("optimal", -42.0)
    assert bench.parse_direct('{"objective": "total 1,250.5 dollars"}') == ("optimal", 1250.5)


def _dataset(tmp_path: Path) -> Path:
    rows = [{"id": f"mine:{k}", "text": f"problem {k}", "answer": 10.0, "answer_status": "ok",
             "benchmark": "mine", "version": "v1"} for k in ("a", "b")]
    p = tmp_path / "normalized.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return p


class _FlakyDirect(LLMClient):
    """A client whose async answers fail with a rate limit on the first run, then succeed."""

    fail = True

    async def acomplete(self, messages, **kwargs):  # type: ignore[override]
        from formalize.llm.client import LLMResponse

        if _FlakyDirect.fail:
            raise LLMError("rate limited", kind="rate_limit", provider="x", model="x/y", attempts=4)
        return LLMResponse(text='{"objective": 10}', model="x/y")


def test_direct_mode_transient_errors_are_rerun_on_resume(tmp_path: Path) -> None:
    from formalize.llm.config import LLMSettings

    path = _dataset(tmp_path)
    out = tmp_path / "r.jsonl"
    client = _FlakyDirect(LLMSettings(model="x/y"), no_cache=True)
    _FlakyDirect.fail = True
    rep = run_bench("mine", model=client, mode="direct", path=path, out=out, progress=False)
    assert all(r["status"] == "error" and r.get("retry") for r in rep.records)
    _FlakyDirect.fail = False
    rep = run_bench("mine", model=client, mode="direct", path=path, out=out, progress=False,
                    resume=True)
    assert rep.ran == 2 and rep.summary.overall.correct == 2


def test_compare_direct_transient_error_is_rerun_on_resume(tmp_path: Path) -> None:
    from formalize.llm.config import LLMSettings

    path = _dataset(tmp_path)
    out = tmp_path / "c.jsonl"
    ref = {"name": "r", "variables": {"x": {"lb": 0, "ub": 10}}, "objective": "x",
           "sense": "maximize"}
    ds = bench.load_dataset("mine", path=path)
    for p in ds.problems:
        p.reference = ref
    cm = _FlakyDirect(LLMSettings(model="x/y"), no_cache=True)
    _FlakyDirect.fail = True
    rep = run_bench(ds, model="reference", compare=True, compare_model=cm, out=out,
                    progress=False)
    assert all(r["direct"]["status"] == "error" for r in rep.records)
    _FlakyDirect.fail = False
    rep = run_bench(ds, model="reference", compare=True, compare_model=cm, out=out,
                    progress=False, resume=True)
    assert rep.ran == 2 and rep.summary.overall.direct_correct == 2


def test_results_file_survives_short_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.write

    def short(fd: int, data: bytes) -> int:  # a write that stores at most 7 bytes at a time
        return real(fd, bytes(data[:7]))

    rf = ResultsFile(tmp_path / "w.jsonl").open()
    monkeypatch.setattr(bench.os, "write", short)
    try:
        rf.write({"type": "run", "dataset": "d"})
        rf.write({"type": "problem", "id": "p1", "status": "optimal", "objective": 1.5})
    finally:
        monkeypatch.undo()
        rf.close()
    header, records = read_results(tmp_path / "w.jsonl")
    assert header is not None and records["p1"]["objective"] == 1.5


# ------------------------------------------------------------------------------ grounding
def test_ordinals_are_not_reported_as_unused_numbers() -> None:
    text = ("On the 1st and 2nd day, and from the 3rd to the 5th, the plant makes 40 units a day "
            "at most. The third machine is idle.")
    m = load_model({"name": "o", "params": {"cap": 40}, "variables": {"u": {"lb": 0}},
                    "objective": "u", "sense": "maximize",
                    "constraints": [{"name": "c", "expr": "u <= cap"}]})
    rep = ground(m, text)
    assert rep.ok and [t.value for t in rep.unused] == []


def test_ordinal_number_can_still_ground_a_model_number() -> None:
    m = load_model({"name": "o", "params": {"period": 3}, "variables": {"u": {"lb": 0}},
                    "objective": "u", "sense": "maximize",
                    "constraints": [{"name": "c", "expr": "u <= period"}]})
    assert ground(m, "Maintenance every 3rd day.").ok


def test_ratios_are_numbers_not_clock_times() -> None:
    assert [t.value for t in text_numbers("Mix flour and water in the ratio 3:2.")] == [3.0, 2.0]
    assert [t.value for t in text_numbers("Open 9:30 to 17:00, 12 staff.") if t.demanded] == [12.0]


def test_compound_number_words() -> None:
    vals = {t.value for t in text_numbers("twenty-five workers, five hundred units, "
                                          "three thousand dollars, ninety nine boxes")}
    assert {25.0, 500.0, 3000.0, 99.0} <= vals
    assert not {20.0, 5.0, 3.0, 90.0, 9.0} & vals


def test_hyphen_ranges_are_not_negative_numbers() -> None:
    vals = [t.value for t in text_numbers("Delivery takes 2-3 days; orders of 10-20 units; "
                                          "temperature -5 degrees.")]
    assert vals == [2.0, 3.0, 10.0, 20.0, -5.0]


def test_calendar_years_are_not_reported_as_unused_numbers() -> None:
    m = load_model({"name": "y", "params": {"cap": 40}, "variables": {"u": {"lb": 0}},
                    "objective": "u", "sense": "maximize",
                    "constraints": [{"name": "c", "expr": "u <= cap"}]})
    rep = ground(m, "In 2024 the plant, opened on May 3, 2019, makes at most 40 units; 2000 "
                    "units are in stock.")
    assert [t.value for t in rep.unused] == [2000.0]  # a quantity, not a year



def test_for_example_is_not_a_reference_label() -> None:
    vals = [t.value for t in text_numbers("Each truck, for example 20 tons, see Example 3.") if t.demanded]
    assert vals == [20.0]


def test_parse_direct_null_status_is_not_infeasible() -> None:
    assert bench.parse_direct('{"objective": 42, "status": null}') == ("optimal", 42.0)
    assert bench.parse_direct('{"objective": null, "status": "infeasible"}') == ("infeasible", None)


def test_a_bug_inside_the_provider_is_not_a_retried_connection_error() -> None:
    from formalize.llm.testing import ScriptedLLM

    with ScriptedLLM([ValueError("boom: a bug in the handler")] * 3, name="review-bug") as llm:
        client = llm.client(max_retries=2, backoff_initial=0.01, backoff_max=0.01)
        with pytest.raises(LLMError) as info:
            client.complete("hi")
    assert info.value.kind == "error" and info.value.attempts == 1
    assert "could not connect" not in str(info.value) and "boom" in str(info.value)


def test_connection_errors_in_the_chain_are_still_retried() -> None:
    from formalize.llm.testing import ScriptedLLM

    with ScriptedLLM([ConnectionRefusedError("refused")] * 2, name="review-conn") as llm:
        client = llm.client(max_retries=1, backoff_initial=0.01, backoff_max=0.01)
        with pytest.raises(LLMError) as info:
            client.complete("hi")
    assert info.value.kind == "connection" and info.value.attempts == 2
