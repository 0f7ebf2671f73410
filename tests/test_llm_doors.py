"""The two doors of formalize.llm (litellm and the openai SDK): which one a model takes, that a
cache hit imports neither library, that the openai door never imports litellm, and that both
price, pass parameters and end a CLI run alike. (tests/test_llm_server.py runs every server
behaviour through both doors.)"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from openai_server import OpenAIServer, reply

from formalize.llm.client import LLMClient
from formalize.llm.config import ConfigError, LLMSettings, resolve_model

ROOT = Path(__file__).resolve().parent.parent
MSGS = [{"role": "user", "content": "Ship 50 cases from Seattle to New York."}]


def settings(server: OpenAIServer, **changes) -> LLMSettings:
    values = {"model": "openai/test", "api_base": server.base_url, "api_key": "dummy", "timeout": 5,
              "max_retries": 0}
    values.update(changes)
    return LLMSettings(**values)


def test_the_door_follows_the_provider():
    assert LLMClient(LLMSettings(model="openai/gpt-4.1")).door.name == "openai"
    assert LLMClient(LLMSettings(model="ollama/qwen2.5:14b")).door.name == "litellm"
    assert LLMClient(LLMSettings(model="anthropic/claude-x")).door.name == "litellm"
    assert LLMClient(LLMSettings(model="openai/gpt-4.1", door="litellm")).door.name == "litellm"
    with pytest.raises(ConfigError, match="door must be one of"):
        LLMSettings(model="openai/x", door="bogus")
    with pytest.raises(ConfigError, match="serves openai/"):
        LLMSettings(model="ollama/x", door="openai")
    assert resolve_model("openai/x", overrides={"door": "litellm"}, env={}).door == "litellm"


def _run(code: str, cache: Path) -> dict:
    """Run `code` in a fresh interpreter (the cache in `cache`); it prints one JSON line."""
    prelude = ("import json, sys\nfrom formalize.llm.client import LLMClient\n"
               "from formalize.llm.config import LLMSettings\n")
    r = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                       text=True, cwd=ROOT, timeout=300,
                       env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(cache),
                            "FORMALIZE_CACHE_DIR": str(cache), "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_the_openai_door_never_imports_litellm_and_a_cache_hit_imports_neither(
        openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.default = lambda body: reply("the answer", prompt_tokens=11, completion_tokens=3)
    call = f"""
        s = LLMSettings(model="openai/test", api_base={openai_server.base_url!r}, api_key="k",
                        door=sys.argv[1] if len(sys.argv) > 1 else "auto")
        r = LLMClient(s).complete({MSGS!r})
        print(json.dumps({{"text": r.text, "cached": r.cached, "tokens": r.total_tokens,
                          "litellm": "litellm" in sys.modules, "openai": "openai" in sys.modules}}))
        """
    first = _run(call, tmp_path)
    assert first == {"text": "the answer", "cached": False, "tokens": 14, "litellm": False,
                     "openai": True}
    again = _run(call, tmp_path)  # a new process: the answer comes from the cache
    assert again == {"text": "the answer", "cached": True, "tokens": 14, "litellm": False,
                     "openai": False}
    assert len(openai_server.chat_requests) == 1
    # the cache does not depend on the door: litellm's door hits it too, importing nothing
    hit = _run(call.replace('sys.argv[1] if len(sys.argv) > 1 else "auto"', '"litellm"'), tmp_path)
    assert hit["cached"] and not hit["litellm"] and not hit["openai"]


@pytest.mark.parametrize("door", ["litellm", "openai"])
def test_both_doors_price_and_count_alike(openai_server: OpenAIServer, tmp_path: Path, door: str) -> None:
    """litellm's price list prices a known model (gpt-4o: $2.5 and $10 per million tokens) and
    leaves an unknown one unpriced, whichever door the request took."""
    openai_server.default = lambda body: reply("x", prompt_tokens=1000, completion_tokens=100)
    known = LLMClient(settings(openai_server, model="openai/gpt-4o", door=door), no_cache=True)
    resp = known.complete(MSGS)
    assert resp.cost == pytest.approx(1000 * 2.5e-6 + 100 * 1e-5)
    assert (resp.prompt_tokens, resp.completion_tokens) == (1000, 100)
    unknown = LLMClient(settings(openai_server, door=door), no_cache=True)
    assert unknown.complete(MSGS).cost is None
    assert unknown.usage.unpriced_calls == 1 and known.usage.cost == pytest.approx(0.0035)


def test_parameters_the_sdk_does_not_name_reach_the_server(openai_server: OpenAIServer) -> None:
    openai_server.default = "x"
    client = LLMClient(settings(openai_server, door="openai", temperature=0.2), no_cache=True)
    client.complete(MSGS, seed=3, top_k=5, repetition_penalty=1.1)
    body = openai_server.chat_requests[0].body
    assert (body["temperature"], body["seed"], body["top_k"], body["repetition_penalty"]) == (0.2, 3, 5, 1.1)
    assert body["model"] == "test"  # the provider prefix is not sent


def _wire_answers() -> dict[str, str]:
    doc = json.loads((ROOT / "problems/datasets/nl4opt/cpmpy_1133974368/model.json").read_text())
    data = {"sets": [], "params": [
        {"name": n, "index": [], "value": p["value"], "values": None, "default": None, "from": None,
         "source": p.get("source")} for n, p in doc["params"].items()]}
    structure = {"sense": doc["sense"], "objective": doc["objective"],
                 "variables": [{"name": n, "index": [], "domain": v["domain"], "lb": v.get("lb"),
                                "ub": v.get("ub"), "description": None}
                               for n, v in doc["variables"].items()],
                 "constraints": [{"name": c["name"], "forall": None, "expr": c["expr"],
                                  "description": None} for c in doc["constraints"]],
                 "assumptions": [], "acknowledged": []}
    return {"DataAnswer": json.dumps(data), "StructureAnswer": json.dumps(structure)}


def test_the_cli_formalizes_through_the_openai_door_without_litellm(openai_server: OpenAIServer,
                                                                   tmp_path: Path) -> None:
    """`formalize solve problem.txt --model openai/... --api-base ...` end to end: both steps'
    strict schemas reach the server, the optimum comes back, litellm is never imported."""
    answers = _wire_answers()
    openai_server.default = lambda body: reply(answers[body["response_format"]["json_schema"]["name"]])
    problem = ROOT / "problems/datasets/nl4opt/cpmpy_1133974368/problem.txt"
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "formalize.cli.main", "solve",
                        str(problem), "--model", "openai/served", "--api-base", openai_server.base_url,
                        "--json", "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
                            "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    assert out["objective"] == pytest.approx(4190.0) and out["status"] == "optimal"
    sent = [q.response_format["json_schema"] for q in openai_server.chat_requests]
    assert [s["name"] for s in sent] == ["DataAnswer", "StructureAnswer"]
    assert all(s["strict"] for s in sent)
    imported = {line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines() if "|" in line}
    assert "openai" in imported and "litellm" not in imported
