"""`formalize compare model.json --answer FILE` / `score_answers`: answers someone already has,
scored against the solver's ground truth by the same checker as the LLM's, with no LLM at all.
Expected verdicts are worked out here by hand from the transport example's data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formalize.cli.main import main
from formalize.evaluation.compare import CompareError, score_answers

ROOT = Path(__file__).resolve().parent.parent
TRANSPORT = ROOT / "problems/examples/transport"
OPTIMUM = json.loads((TRANSPORT / "expected.json").read_text())["objective"]  # 153.675
DIST = {("seattle", "new_york"): 2.5, ("seattle", "chicago"): 1.7, ("seattle", "topeka"): 1.8,
        ("san_diego", "new_york"): 2.5, ("san_diego", "chicago"): 1.8,
        ("san_diego", "topeka"): 1.4}


def cost(plan: dict) -> float:
    """Freight cost in thousands of dollars: $90 per case per thousand miles."""
    return sum(90 * DIST[p, m] * q / 1000 for p, row in plan.items() for m, q in row.items())


def test_shipped_answers_scored_by_the_checker():
    nearest = json.loads((TRANSPORT / "answer_nearest.json").read_text())
    guess = json.loads((TRANSPORT / "answer_guess.json").read_text())
    comp = score_answers(TRANSPORT / "model.json",
                         [TRANSPORT / "answer_nearest.json", TRANSPORT / "answer_guess.json"])
    assert comp.truth.objective == pytest.approx(OPTIMUM)
    a, b = comp.answers
    # nearest cannery: Seattle ships 325 + 300 = 625 > its 350 cases, at the optimum's cost
    assert sum(nearest["values"]["ship"]["seattle"].values()) == 625
    assert cost(nearest["values"]["ship"]) == pytest.approx(OPTIMUM)
    assert a.verdict == "infeasible" and a.n_violations == 1
    assert a.violations[0]["label"] == "supply_limit[seattle]"
    assert a.violations[0]["amount"] == pytest.approx(625 - 350)
    # the guess meets every demand within supply, 7.76 % above the optimum
    assert cost(guess["values"]["ship"]) == pytest.approx(guess["objective"])
    assert b.verdict == "suboptimal"
    assert b.gap == pytest.approx((cost(guess["values"]["ship"]) - OPTIMUM) / OPTIMUM)
    assert comp.headings() == ["answer_nearest.json (values)", "answer_guess.json (values)"]
    assert comp.title == "transport: solver vs given answers"
    assert all(x.seconds is None and x.output_tokens is None for x in comp.answers)


def test_objective_and_status_answers():
    comp = score_answers(TRANSPORT / "model.json",
                         [{"objective": OPTIMUM}, {"objective": 150}, '{"status": "infeasible"}'])
    assert [a.variant for a in comp.answers] == ["objective"] * 3
    assert [a.verdict for a in comp.answers] == ["correct", "wrong", "wrong"]
    assert comp.headings() == ["answer 1 (objective)", "answer 2 (objective)",
                               "answer 3 (objective)"]


@pytest.mark.parametrize("answers,msg", [
    ([], "no answer to score"),
    (["{\"plan\": 3}"], "no JSON object with \"values\", \"objective\" or \"status\""),
    (["/nonexistent/answer.json"], "no such answer file"),
    (['{"objective": 3, "objective": 5}'], "answer 1: the answer gives the key 'objective' twice"),
])
def test_bad_answers_say_what_to_fix(answers, msg):
    with pytest.raises(CompareError, match=msg.replace("(", r"\(")):
        score_answers(TRANSPORT / "model.json", answers)


def test_an_answer_file_that_is_not_utf8(tmp_path):
    bad = tmp_path / "answer.json"
    bad.write_bytes(b'{"objective": 1\xff}')
    with pytest.raises(CompareError, match="not UTF-8 \\(byte 15\\)"):
        score_answers(TRANSPORT / "model.json", [bad])


def test_a_problem_text_alone_has_no_ground_truth_without_an_llm():
    with pytest.raises(CompareError, match="needs the formal model"):
        score_answers(TRANSPORT / "problem.txt", [{"objective": 1}])


def test_cli_scores_answers_with_no_model_configured(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORMALIZE_MODEL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    code = main(["compare", str(TRANSPORT / "model.json"), "--answer",
                 str(TRANSPORT / "answer_nearest.json"), "--answer",
                 str(TRANSPORT / "answer_guess.json"), "--json", "--out", str(tmp_path / "o")])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    doc = json.loads(cap.out)
    assert [a["verdict"] for a in doc["answers"]] == ["infeasible", "suboptimal"]
    assert doc["llm"] == "answers answer_nearest.json, answer_guess.json"
    assert (tmp_path / "o" / "comparison.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("extra,msg", [
    (["--model", "openai/gpt-4.1"], "asks no LLM"),
    (["--variants", "objective"], "asks no LLM"),
    (["--family", "knapsack"], "does not go with --family"),
])
def test_cli_answer_usage_errors(extra, msg, capsys):
    argv = ["compare", "--answer", str(TRANSPORT / "answer_guess.json"), *extra]
    if "--family" not in extra:
        argv.insert(1, str(TRANSPORT / "model.json"))
    assert main(argv) == 2
    assert msg in capsys.readouterr().err


def test_cli_answer_needs_a_model_file(capsys):
    assert main(["compare", str(TRANSPORT / "problem.txt"), "--answer",
                 str(TRANSPORT / "answer_guess.json")]) == 2
    assert "give model.json or model.yaml" in capsys.readouterr().err
