"""The verifier's advice in the program: listed every round and in the final result, answerable by
an acknowledgement, never satisfied by prose. Scripted LLM (no network)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from rich.console import Console

from formalize.api import formalize, solve
from formalize.llm.testing import ScriptedLLM

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems/datasets/nl4opt/cpmpy_1133974368"
TEXT = (PROBLEM / "problem.txt").read_text()
GOOD = json.loads((PROBLEM / "model.json").read_text())


def forgetful() -> dict:
    """The snack model without the preference constraint (the text's "twice" goes unused)."""
    m = copy.deepcopy(GOOD)
    m["constraints"] = [c for c in m["constraints"] if c["name"] != "preference"]
    del m["params"]["ratio_small"]
    return m


def run(answers: list, **kw):
    llm = ScriptedLLM(answers, name="advice")
    try:
        return formalize(TEXT, llm.client(), strategy="single", **kw), llm
    finally:
        llm.close()


def unused_codes(diags) -> list[str]:
    return [d.message for d in diags if d.code == "unused-number"]


def test_prose_added_in_repair_keeps_the_advice_every_round_and_in_the_result() -> None:
    bad = forgetful()
    prose = copy.deepcopy(bad)
    prose["description"] = "at least twice as many small suitcases as large: considered"
    f, llm = run([bad, prose])
    assert len(llm.calls) == 2  # advice blocks the first round only
    first, second = f.history
    assert unused_codes(first.diagnostics) and unused_codes(second.diagnostics) == unused_codes(first.diagnostics)
    assert "twice" in unused_codes(f.diagnostics)[0]
    assert f.ok and f.solution is not None and f.solution.objective == pytest.approx(5000)
    doc = f.to_dict()
    assert [u["number"] for u in doc["grounding"]["unused"]] == ["twice"]
    c = Console(record=True, width=200, color_system=None)
    c.print(f)
    shown = c.export_text()
    assert "twice" in shown and "is not used by the model" in shown


def test_an_acknowledgement_answers_the_advice_and_the_report_keeps_it() -> None:
    acked = forgetful()
    acked["acknowledged"] = [{"number": "twice", "reason": "the preference is not binding (a judgement)"}]
    f, llm = run([forgetful(), acked])
    assert len(llm.calls) == 2
    assert not unused_codes(f.diagnostics)
    (d,) = [d for d in f.diagnostics if d.code == "acknowledged-number"]
    assert d.severity == "info" and "not binding" in d.message
    assert f.to_dict()["grounding"]["acknowledged"][0]["reason"] == "the preference is not binding (a judgement)"


def test_a_correct_model_is_accepted_in_the_round_it_is_written() -> None:
    f, llm = run([GOOD])
    assert len(llm.calls) == 1 and f.ok and f.repair_rounds == 0
    assert f.grounding is not None and f.grounding.ok and not f.grounding.unused


def test_an_ungrounded_number_is_an_error_that_is_repaired() -> None:
    bad = copy.deepcopy(GOOD)
    bad["params"]["cap_small"]["value"] = 55
    f, llm = run([bad, GOOD])
    (d,) = [d for d in f.history[0].diagnostics if d.code == "ungrounded-number"]
    assert d.severity == "error" and d.location.item == "cap_small"
    assert "55" in llm.calls[1].prompt and f.ok and f.repair_rounds == 1


def test_solve_result_json_carries_the_text_report() -> None:
    llm = ScriptedLLM([forgetful()], name="advice-json")
    try:
        res = solve(TEXT, llm.client(), strategy="single", max_repairs=0)
    finally:
        llm.close()
    doc = res.to_dict()
    assert [u["number"] for u in doc["formalization"]["grounding"]["unused"]] == ["twice"]
    assert any(d["code"] == "unused-number" for d in doc["formalization"]["diagnostics"])


def test_idle_members_found_after_the_solve_go_back_on_the_first_model() -> None:
    from tests.test_verify_checks import TRUCKS_RIGHT, TRUCKS_TEXT, TRUCKS_WRONG

    llm = ScriptedLLM([TRUCKS_WRONG, TRUCKS_RIGHT], name="idle")
    try:
        f = formalize(TRUCKS_TEXT, llm.client(), strategy="single")
    finally:
        llm.close()
    (d,) = [d for d in f.history[0].diagnostics if d.code == "idle-member"]
    assert "Each truck must depart" in d.message
    assert "idle-member" not in llm.calls[0].messages[-1]["content"]
    assert "Each truck must depart from its depot" in llm.calls[1].messages[-1]["content"]
    assert f.ok and f.solution.objective == pytest.approx(136) and f.repair_rounds == 1
    assert not any(d.code == "idle-member" for d in f.diagnostics)


def test_mixed_units_are_advice_at_verify_time() -> None:
    from tests.test_verify_checks import YUAN_RIGHT, YUAN_TEXT, YUAN_WRONG

    llm = ScriptedLLM([YUAN_WRONG, YUAN_RIGHT], name="units")
    try:
        f = formalize(YUAN_TEXT, llm.client(), strategy="single")
    finally:
        llm.close()
    assert any(d.code == "mixed-units" for d in f.history[0].diagnostics)
    assert f.ok and f.solution.objective == pytest.approx(122000) and f.repair_rounds == 1
