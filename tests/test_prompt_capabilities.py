"""The prompts say what the model format and the solvers can do, and what they say is true."""

from __future__ import annotations

import solvers
from formalize.program import prompts
from formalize.program.prompt_format import CONSTRUCTS_CANONICAL, CONSTRUCTS_COMPACT, SOLVERS


def test_both_notations_describe_the_solvers_and_the_constructs():
    for kind in ("structure", "model", "compact"):
        assert SOLVERS in prompts.system(kind), kind
    for kind in ("data", "structure", "model"):
        assert CONSTRUCTS_CANONICAL in prompts.system(kind), kind
    assert CONSTRUCTS_COMPACT in prompts.system("compact")
    for word in ("HiGHS", "CP-SAT", "SCIP", "global optimum", "convex quadratic", "MINLP", "finite bounds"):
        assert word in SOLVERS


def test_the_prompt_examples_are_valid_models():
    """Every construct the prompt shows loads, checks and solves as it is written there."""
    compact = {
        "sets": {"N": ["a", "b", "c"], "Arcs": "(i, j) in N * N if i != j", "T": ["t1", "t2"]},
        "params": {"x[N]": [0, 3, 0], "y[N]": [0, 0, 4], "price_per_hundred": 250, "start": 1,
                   "dist[i in N, j in N]": "sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)",
                   "per_box": "price_per_hundred / 100"},
        "variables": {"flow[Arcs]": "real >= 0", "stock[T]": "real >= 0"},
        "minimize": "sum(dist[i, j] * flow[i, j] for (i, j) in Arcs) + per_box * sum(stock[t] for t in T)",
        "constraints": {"out": "sum(flow['a', j] for j in N if j != 'a') >= 1",
                        "bal[t in T]": "stock[t] >= (start if t == first(T) else stock[prev(t)])"},
    }
    for text in ('"Arcs": "(i, j) in N * N if i != j"', '"flow[Arcs]": "real >= 0"',
                 '"dist[i in N, j in N]": "sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)"',
                 '"per_box": "price_per_hundred / 100"', "(start if t == first(T) else stock[prev(t)])"):
        assert text in CONSTRUCTS_COMPACT
    sol = solvers.solve(compact)
    assert sol.status.value == "optimal" and sol.objective == 3 + 2.5 * 2
    canonical = {**compact, "params": {
        "x": {"index": ["N"], "values": [0, 3, 0]}, "y": {"index": ["N"], "values": [0, 0, 4]},
        "price_per_hundred": 250, "start": 1,
        "dist": {"index": ["i in N", "j in N"], "expr": "sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)"},
        "per_box": {"expr": "price_per_hundred / 100"}},
        "variables": {"flow": {"index": ["Arcs"], "domain": "real", "lb": 0}, "stock[T]": "real >= 0"}}
    assert 'a variable entry with "index": ["Arcs"]' in CONSTRUCTS_CANONICAL
    assert '"index": ["i in N", "j in N"] and "expr": "sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)"' in \
        CONSTRUCTS_CANONICAL
    assert solvers.solve(canonical).objective == sol.objective


def test_read_step_reports_a_tuple_key_error_and_shows_definitions():
    """The read step resolves the data it was given: a tuple set keyed as a nested mapping is
    reported there (with how to key it), and derived sets / computed params are shown as defined."""
    from formalize.llm.testing import ScriptedLLM
    from formalize.program.context import symbols_summary

    data = {"sets": {"Ops": [["cut", 1], ["weld", 1]], "Late": "o in Ops if dur[o] > 3"},
            "params": {"dur": {"index": ["Ops"], "values": {"cut": {"1": 3}}}}}
    structure = {"variables": {"x": {"domain": "real", "lb": 0}}, "objective": "x", "constraints": []}
    from formalize.program.pipeline import formalize

    llm = ScriptedLLM([data, structure], name="tuple-keys")
    try:
        f = formalize("Two operations: cutting takes 3 hours.", llm.client(), strategy="steps", solve=False,
                      max_repairs=0)
    finally:
        llm.close()
    read = next(r for r in f.history if r.step == "read")
    d = next(d for d in read.diagnostics if d.code == "unknown-key")
    assert '"cut,1": 5' in d.hint
    assert "set Late = o in Ops if dur[o] > 3" in llm.calls[1].prompt  # the structure step sees it
    summary = symbols_summary(solvers.load_model({"sets": {"N": [1, 2], "P": "N * N"},
                                                  "params": {"d[i in N]": "2 * i"}}))
    assert "set P = N * N" in summary and "param d[i in N] = 2 * i" in summary


def test_structured_answers_can_define_sets_and_params():
    """The strict answer schema of the steps carries `expr` for set and param entries, and the
    answer converts to a model with the derived set and the computed param."""
    from formalize.program import answer_schema
    from solvers.data import instance

    schema = answer_schema.json_schema(answer_schema.DataAnswer)
    assert "expr" in schema["$defs"]["SetEntry"]["required"] and "expr" in schema["$defs"]["ParamEntry"]["required"]
    null_set = {"elements": None, "range": None, "from": None, "expr": None, "description": None}
    null_param = {"value": None, "values": None, "default": None, "from": None, "expr": None, "source": None}
    answer = {
        "sets": [{**null_set, "name": "N", "elements": ["a", "b", "c"]},
                 {**null_set, "name": "Arcs", "expr": "(i, j) in N * N if i != j"}],
        "params": [{**null_param, "name": "x", "index": ["N"],
                    "values": [{"key": ["a"], "value": 0}, {"key": ["b"], "value": 3}, {"key": ["c"], "value": 0}]},
                   {**null_param, "name": "d", "index": ["i in N", "j in N"], "expr": "abs(x[i] - x[j])"}],
    }
    answer_schema.DataAnswer.model_validate(answer)  # the answer is valid under the schema sent
    inst = instance(solvers.load_model(answer_schema.to_document(answer)))
    assert len(inst.sets["Arcs"]) == 6 and inst.params["d"].table.tolist()[0] == [0, 3, 0]
