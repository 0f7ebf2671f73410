"""benchmarks/compare_standin.py, the driver of a recorded stand-in run: its `formalize compare`
commands against an OpenAI-compatible endpoint run end to end, and its summary states the
breaking size of every leg and variant from the sweeps' own tables."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from test_compare_sweep import knapsack_plan

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("compare_standin",
                                                  ROOT / "benchmarks" / "compare_standin.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_breaking_sizes_from_a_table():
    cs = _script()
    table = [{"variant": "values", "size": s, "correct_rate": r}
             for s, r in ((5, 1.0), (10, 1.0), (15, 0.75), (20, 0.25))]
    table.append({"variant": "objective", "size": 5, "correct_rate": 1.0})
    assert cs.breaking(table, "values") == {"all_right_up_to": 10, "first_wrong_at": 15,
                                            "half_wrong_at": 20}
    assert cs.breaking(table, "objective") == {"all_right_up_to": 5, "first_wrong_at": None,
                                               "half_wrong_at": None}
    assert cs._stopped("").startswith("no")
    assert cs._stopped("ladder stopped after size 10: the time budget of 60 s was used (70 s; "
                       "--stop-after-seconds); sizes not run: 15") == "after size 10, time budget"


def test_a_leg_runs_against_an_endpoint_and_the_summary_states_where_it_broke(
        tmp_path, openai_server):
    from openai_server import reply

    cs = _script()
    responder = knapsack_plan([3, 4, 5], [0], wrong={(4, 0, "values"), (4, 0, "objective")})
    openai_server.default = lambda body: reply(str(responder(body["messages"])), delay=0.02)
    legs = (cs.Leg("ks", "knapsack", (3, 4, 5), ("values", "objective"), 1, 1.0),)
    run = tmp_path / "run"
    assert cs.run(legs, openai_server.port, run, minutes=5, timeout_s=30, dry_run=False) == 0
    assert len(openai_server.requests) == 4  # sizes 3 and 4: two wrong answers stop the ladder
    doc = json.loads((run / "ks" / "sweep.json").read_text())
    assert doc["sizes_run"] == [3, 4] and doc["llm"] == "openai/relay"
    assert (run / "ks" / "cache").is_dir()  # the leg's own cache: a rerun resumes
    summary = (run / "summary.md").read_text()
    assert "| ks | knapsack | values | 2 | 3, 4 | 3 | 4 | 4 | after size 4, answers failed |" \
        in summary
    assert "![ks](ks/sweep.png)" in summary and (run / "ks" / "sweep.png").stat().st_size > 0
    assert cs.discover(run) == legs  # --summarize and --publish find the legs that ran
    copied = cs.publish(run, legs, tmp_path / "pub")
    assert {p.name for p in copied} >= {"summary.md", "sweep.md", "sweep.csv", "sweep.png"}
    assert not (tmp_path / "pub" / "ks" / "cache").exists()


def test_legs_of_ones_own_and_the_plans_are_valid_sweeps():
    from formalize.evaluation.families import FAMILIES

    cs = _script()
    leg = cs.parse_leg("tardiness:8,10,15:values,objective:3:0.5")
    assert (leg.name, leg.family, leg.sizes, leg.variants, leg.seeds, leg.weight) == (
        "tardiness", "tardiness", (8, 10, 15), ("values", "objective"), 3, 0.5)
    trace = cs.parse_leg("tsp:5,8:trace:1")
    assert trace.name == "tsp-trace" and trace.stop_after_failures == 1  # one answer per size
    for bad in ("tsp", "tsp:5,x:values", "tsp:5:values:0", "tsp::values"):
        with pytest.raises(ValueError, match="--leg"):
            cs.parse_leg(bad)
    for plan in cs.PLANS.values():  # every leg names a family, its sizes and its variants
        assert len({leg.name for leg in plan}) == len(plan)
        for leg in plan:
            fam = FAMILIES[leg.family]
            assert min(leg.sizes) >= fam.min_size and list(leg.sizes) == sorted(leg.sizes)
            assert "trace" not in leg.variants or fam.trace
