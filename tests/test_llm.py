"""The LLM door without a server: config, JSON extraction, cache, ScriptedLLM, lazy import."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pydantic import BaseModel

from formalize.llm.cache import CacheError, ResponseCache, cache_key
from formalize.llm.client import (
    LLMClient,
    LLMError,
    LLMOutputError,
    LLMResponse,
    Usage,
    extract_json,
)
from formalize.llm.config import ConfigError, LLMSettings, NoModelConfigured, resolve_model

REPO = Path(__file__).resolve().parents[1]


# -- resolve_model --------------------------------------------------------------------------------
@pytest.fixture
def layout(tmp_path: Path) -> dict:
    """A project with [tool.formalize], a user config, and an environment pointing at them."""
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[tool.formalize]\nmodel = "openai/from-pyproject"\napi_base = "http://pp:1/v1"\n'
        "timeout = 33\nsamples = 5  # a key for another part of formalize: ignored here\n")
    xdg = tmp_path / "xdg"
    (xdg / "formalize").mkdir(parents=True)
    (xdg / "formalize" / "config.toml").write_text(
        'model = "ollama/from-user"\napi_base = "http://user:2"\nmax_retries = 7\ntimeout = 44\n')
    env = {"XDG_CONFIG_HOME": str(xdg), "HOME": str(tmp_path / "home")}
    return {"project": project, "xdg": xdg, "env": env, "tmp": tmp_path}


def test_flag_beats_everything(layout: dict) -> None:
    env = {**layout["env"], "FORMALIZE_MODEL": "openai/from-env"}
    s = resolve_model("anthropic/from-flag", start_dir=layout["project"] / "sub", env=env)
    assert s.model == "anthropic/from-flag" and s.source == "--model flag"
    assert s.api_base is None  # the pyproject's base URL belongs to the pyproject's model
    assert s.timeout == 33 and s.max_retries == 7  # tuning keys layer independently


def test_env_beats_files(layout: dict) -> None:
    env = {**layout["env"], "FORMALIZE_MODEL": "openai/from-env",
           "FORMALIZE_API_BASE": "http://env:3/v1", "FORMALIZE_API_KEY": "k-env",
           "FORMALIZE_TIMEOUT": "9.5"}
    s = resolve_model(None, start_dir=layout["project"], env=env)
    assert (s.model, s.api_base, s.api_key, s.timeout) == ("openai/from-env", "http://env:3/v1",
                                                           "k-env", 9.5)


def test_pyproject_beats_user_config(layout: dict) -> None:
    s = resolve_model(start_dir=layout["project"] / "sub", env=layout["env"])
    assert (s.model, s.api_base, s.timeout, s.max_retries) == (
        "openai/from-pyproject", "http://pp:1/v1", 33.0, 7)
    assert "pyproject.toml" in s.source


def test_user_config_last(layout: dict) -> None:
    elsewhere = layout["tmp"] / "elsewhere"
    elsewhere.mkdir()
    s = resolve_model(start_dir=elsewhere, env=layout["env"])
    assert (s.model, s.api_base, s.max_retries) == ("ollama/from-user", "http://user:2", 7)
    assert s.source.endswith("config.toml")


def test_nearest_pyproject_without_model_falls_through(layout: dict) -> None:
    inner = layout["project"] / "sub"
    (inner / "pyproject.toml").write_text("[tool.formalize]\n# model = 'x'\n")
    s = resolve_model(start_dir=inner, env=layout["env"])
    assert s.model == "ollama/from-user"  # nearest pyproject has no model; the outer one is not read


def test_flags_for_base_key_and_overrides(layout: dict) -> None:
    s = resolve_model("openai/local", start_dir=layout["project"], env=layout["env"],
                      api_base="http://127.0.0.1:8000/v1", api_key="k",
                      overrides={"timeout": 2, "max_retries": None})
    assert (s.api_base, s.api_key, s.timeout, s.max_retries) == (
        "http://127.0.0.1:8000/v1", "k", 2.0, 7)


def test_api_key_env(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.formalize]\nmodel = "openai/x"\napi_key_env = "MY_SECRET"\n')
    s = resolve_model(start_dir=tmp_path, env={"MY_SECRET": "s3cret", "HOME": str(tmp_path)})
    assert s.api_key == "s3cret"


def test_no_model_message(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    with pytest.raises(NoModelConfigured) as info:
        resolve_model(None, start_dir=tmp_path, env=env)
    msg = str(info.value)
    for part in ("--model", "FORMALIZE_MODEL", "openai/gpt-4.1", "OPENAI_API_KEY",
                 "ollama/qwen2.5:14b", "--api-base http://127.0.0.1:8000/v1", "[tool.formalize]",
                 str(tmp_path / "xdg" / "formalize" / "config.toml")):
        assert part in msg
    assert isinstance(info.value, ConfigError)


@pytest.mark.parametrize(("content", "needle"), [
    ('[tool.formalize]\nmodel = "m"\ntimeout = "soon"\n', "timeout must be a number"),
    ('[tool.formalize]\nmodel = "m"\nmax_retries = 1.5\n', "max_retries must be an integer"),
    ('[tool.formalize]\nmodel = 3\n', "model must be a string"),
    ("[tool.formalize\nmodel = 'm'\n", "not valid TOML"),
    ('[tool.formalize]\nmodel = "m"\ntimeout = -1\n', "timeout must be > 0"),
    ('[tool.formalize]\nmodel = "m"\nstructured_output = "maybe"\n', "structured_output must be"),
])
def test_bad_config_is_located(tmp_path: Path, content: str, needle: str) -> None:
    (tmp_path / "pyproject.toml").write_text(content)
    with pytest.raises(ConfigError) as info:
        resolve_model(start_dir=tmp_path, env={"HOME": str(tmp_path)})
    assert needle in str(info.value)
    assert "pyproject.toml" in str(info.value)


def test_settings_helpers() -> None:
    s = LLMSettings(model="ollama/qwen2.5:14b")
    assert s.provider == "ollama" and s.with_(timeout=3).timeout == 3
    with pytest.raises(ConfigError):
        LLMSettings(model=" ")


# -- extract_json ---------------------------------------------------------------------------------
OBJ = {"name": "t", "values": [1, 2.5, {"x": "a}b"}]}


@pytest.mark.parametrize("text", [
    '{"name": "t", "values": [1, 2.5, {"x": "a}b"}]}',
    '  \n{"name": "t", "values": [1, 2.5, {"x": "a}b"}]}\n',
    '\ufeff{"name": "t", "values": [1, 2.5, {"x": "a}b"}]}',
    'Sure! Here it is:\n```json\n{"name": "t", "values": [1, 2.5, {"x": "a}b"}]}\n```\nDone.',
    'Here:\n```\n{"name": "t", "values": [1, 2.5, {"x": "a}b"}]}\n```',
    '```JSON\n{"name": "t", "values": [1, 2.5, {"x": "a}b"}]}\n```',
    '```python\nprint(1)\n```\n```json\n{"name": "t", "values": [1, 2.5, {"x": "a}b"}]}\n```',
    'The model is {"name": "t", "values": [1, 2.5, {"x": "a}b"}]} as requested.',
    'Use {placeholders} like {this}. Answer: {"name": "t", "values": [1, 2.5, {"x": "a}b"}]}',
    'small {"a": 1} then big {"name": "t", "values": [1, 2.5, {"x": "a}b"}]}',
    '{"name": "t", "values": [1, 2.5, {"x": "a}b"},],}',
    'He said "hi {" and then {"name": "t", "values": [1, 2.5, {"x": "a}b"}]}',
    'Here it is:\n```json\n{"name": "t", "values": [1, 2.5, {"x": "a}b"}]}\n',  # unclosed fence
    '{broken prose {"name": "t", "values": [1, 2.5, {"x": "a}b"}]} more}',
])
def test_extract_json_shapes(text: str) -> None:
    assert extract_json(text) == OBJ


def test_extract_json_arrays_and_unicode() -> None:
    assert extract_json('Result: [1, 2, 3].') == [1, 2, 3]
    assert extract_json('{"città": "Zürich — ✓"}') == {"città": "Zürich — ✓"}
    assert extract_json('see [1] and {"a": [1, 2]}') == {"a": [1, 2]}  # objects preferred


@pytest.mark.parametrize(("text", "needle"), [
    ("", "empty answer"),
    ("I cannot help with that.", "no JSON object found"),
    ('{"name": "t", "values": [1, 2', "cut off"),
    ('```json\n{"a": 1 "b": 2}\n```', "line 1 column"),
    ("{'a': 1}", "not valid JSON"),
])
def test_extract_json_errors(text: str, needle: str) -> None:
    with pytest.raises(LLMOutputError) as info:
        extract_json(text)
    assert needle in str(info.value)


def test_extract_json_error_shows_head_and_length_hint() -> None:
    text = "x" * 500 + '{"a": '
    with pytest.raises(LLMOutputError) as info:
        extract_json(text, finish_reason="length")
    msg = str(info.value)
    assert "finish_reason=length" in msg and "x" * 200 in msg and "x" * 201 not in msg


def test_response_json_names_model() -> None:
    resp = LLMResponse(text="nope", model="openai/m")
    with pytest.raises(LLMOutputError, match=r"^openai/m: no JSON"):
        resp.json()
    assert LLMResponse(text='{"a": 1}', model="m").json() == {"a": 1}


def test_usage_sums() -> None:
    u = Usage()
    u.add(LLMResponse("a", "m", prompt_tokens=10, completion_tokens=2, cost=0.5))
    u.add(LLMResponse("a", "m", prompt_tokens=10, completion_tokens=2, cost=0.0, cached=True))
    u.add(LLMResponse("a", "m", prompt_tokens=1, completion_tokens=1, cost=None))
    assert (u.calls, u.cached_calls, u.prompt_tokens, u.completion_tokens, u.cost,
            u.unpriced_calls) == (3, 1, 11, 3, 0.5, 1)
    total = u + u
    assert total.calls == 6 and total.total_tokens == 28 and total.as_dict()["cost"] == 1.0


# -- cache ----------------------------------------------------------------------------------------
class Answer(BaseModel):
    value: int


def test_cache_key_stability() -> None:
    msgs = [{"role": "user", "content": "hi"}]
    base = cache_key("m", msgs, params={"temperature": 0.0, "max_tokens": 5})
    assert base == cache_key("m", [{"content": "hi", "role": "user"}],
                             params={"max_tokens": 5, "temperature": 0.0})
    assert base == cache_key("m", msgs, params={"temperature": 0.0, "max_tokens": 5, "seed": None})
    assert len(base) == 64 and int(base, 16) >= 0
    others = {
        cache_key("m", msgs, params={"temperature": 0.0, "max_tokens": 5}, sample=1),
        cache_key("m", msgs, params={"temperature": 0.7, "max_tokens": 5}),
        cache_key("m2", msgs, params={"temperature": 0.0, "max_tokens": 5}),
        cache_key("m", [{"role": "user", "content": "hi!"}], params={"temperature": 0.0, "max_tokens": 5}),
        cache_key("m", msgs, params={"temperature": 0.0, "max_tokens": 5}, response_format=Answer),
        cache_key("m", msgs, params={"temperature": 0.0, "max_tokens": 5}, api_base="http://h/v1"),
    }
    assert base not in others and len(others) == 6
    assert cache_key("m", msgs, api_base="http://h/v1") == cache_key("m", msgs, api_base="http://h/v1/")


def test_cache_roundtrip_and_threads(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    cache.put("k", {"text": "hello", "n": 1})
    assert cache.get("k") == {"text": "hello", "n": 1} and "k" in cache and cache.get("nope") is None
    mode = cache._connection().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"

    def writer(t: int) -> None:
        for i in range(50):
            cache.put(f"{t}-{i}", {"i": i})
            assert cache.get(f"{t}-{i}") == {"i": i}

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(cache) == 401
    assert cache.delete("k") and not cache.delete("k")
    other = ResponseCache(tmp_path / "c")  # a second connection (as another process would)
    assert other.get("3-7") == {"i": 7}
    assert other.clear() == 400 and len(cache) == 0
    cache.close()
    other.close()


def test_cache_concurrent_processes(tmp_path: Path) -> None:
    code = ("import sys; from formalize.llm.cache import ResponseCache; c = ResponseCache(sys.argv[1]);"
            "[c.put(f'{sys.argv[2]}-{i}', {'i': i}) for i in range(100)]")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(p)], env=env)
             for p in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    assert len(ResponseCache(tmp_path)) == 300


def test_cache_errors_are_clear(tmp_path: Path) -> None:
    (tmp_path / "responses.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheError) as info:
        ResponseCache(tmp_path).get("k")
    assert "responses.sqlite3" in str(info.value) and "--no-cache" in str(info.value)


def test_default_cache_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMALIZE_CACHE_DIR", str(tmp_path / "fc"))
    assert ResponseCache().directory == tmp_path / "fc"
    monkeypatch.delenv("FORMALIZE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xc"))
    assert ResponseCache().directory == tmp_path / "xc" / "formalize"


# -- lazy import ----------------------------------------------------------------------------------
def test_litellm_not_imported_by_import() -> None:
    code = ("import sys, formalize.llm.client, formalize.llm.cache, formalize.llm.config, formalize.llm.testing;"
            "from formalize.llm.client import LLMClient; from formalize.llm.config import LLMSettings;"
            "LLMClient(LLMSettings(model='openai/x'), no_cache=True);"
            "print('litellm' in sys.modules, 'openai' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


# -- ScriptedLLM (real litellm path, provider "scripted") -----------------------------------------
def test_scripted_queue_and_records() -> None:
    from formalize.llm.testing import ScriptedLLM

    with ScriptedLLM(["first", {"value": 2}, lambda msgs: f"echo {msgs[-1]['content']}"],
                     name="queue") as llm:
        client = llm.client()
        assert client.complete("a").text == "first"
        resp = client.complete([{"role": "system", "content": "sys"}, {"role": "user", "content": "b"}],
                               response_format=Answer)
        assert Answer.model_validate(resp.json()).value == 2 and resp.structured
        assert client.complete("c").text == "echo c"
        assert [c.messages[-1]["content"] for c in llm.calls] == ["a", "b", "c"]
        assert llm.calls[1].messages[0] == {"role": "system", "content": "sys"}
        assert llm.calls[1].response_format["json_schema"]["schema"]["required"] == ["value"]
        assert llm.calls[0].response_format is None and llm.remaining == 0
        with pytest.raises(AssertionError, match=r"call #4 has no scripted response left \(3 were"):
            client.complete("d")


def test_scripted_errors_go_through_retry_policy() -> None:
    from formalize.llm.testing import ScriptedLLM, scripted_error, scripted_timeout

    with ScriptedLLM([scripted_error(429), scripted_timeout(), "ok", scripted_error(400, "bad"),
                      scripted_error(500), scripted_error(500), scripted_error(500)],
                     name="errors") as llm:
        client = llm.client()
        assert client.complete("x").attempts == 3
        with pytest.raises(LLMError) as info:
            client.complete("y")
        assert info.value.kind == "bad_request" and info.value.attempts == 1
        with pytest.raises(LLMError) as info:
            client.complete("z")
        assert info.value.kind == "server_error" and info.value.attempts == 3
        assert "scripted/errors" in str(info.value)


def test_scripted_cost_cache_and_async(tmp_path: Path) -> None:
    from formalize.llm.testing import ScriptedLLM, ScriptedReply

    with ScriptedLLM([ScriptedReply("hello", prompt_tokens=100, completion_tokens=20), "async"],
                     name="acct", cost_per_token=0.001) as llm:
        client = llm.client(no_cache=False, cache=tmp_path)
        first = client.complete("q")
        assert first.cost == pytest.approx(0.12) and first.prompt_tokens == 100
        again = client.complete("q")  # a cache hit does not consume the script
        assert again.cached and again.cost == 0.0 and llm.remaining == 1 and len(llm.calls) == 1
        resp = asyncio.run(client.acomplete("other"))
        assert resp.text == "async" and not resp.cached
        assert client.usage.calls == 3 and client.usage.cached_calls == 1


def test_scripted_inactive_name_is_clear() -> None:
    from formalize.llm.testing import ScriptedLLM

    llm = ScriptedLLM(["x"], name="gone")
    llm.close()
    with pytest.raises(AssertionError, match="no ScriptedLLM named 'gone' is active"):
        LLMClient(LLMSettings(model="scripted/gone", max_retries=0), no_cache=True).complete("hi")


def test_unknown_provider_fails_at_once() -> None:
    client = LLMClient(LLMSettings(model="no_such_provider/model", max_retries=3,
                                   backoff_initial=0.0), no_cache=True)
    with pytest.raises(LLMError) as info:
        client.complete("hi")
    assert info.value.attempts == 1 and "no_such_provider/model" in str(info.value)


def test_structured_output_mode_is_part_of_the_cache_key(tmp_path):
    from formalize.llm.client import LLMClient
    from formalize.llm.config import LLMSettings

    fmt = {"type": "object", "properties": {"a": {"type": "integer"}}}
    keys = {mode: LLMClient(LLMSettings(model="openai/x", structured_output=mode), cache=tmp_path)
            ._key([{"role": "user", "content": "q"}], fmt, {}, 0) for mode in ("auto", "always", "never")}
    assert len(set(keys.values())) == 3
    plain = LLMClient(LLMSettings(model="openai/x", structured_output="never"), cache=tmp_path)
    assert plain._key([{"role": "user", "content": "q"}], None, {}, 0) == \
        LLMClient(LLMSettings(model="openai/x"), cache=tmp_path)._key([{"role": "user", "content": "q"}], None, {}, 0)
