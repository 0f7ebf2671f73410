"""The two doors of formalize.llm (litellm and plain HTTP): which one a model takes, that a cache
hit imports neither library, that the HTTP door imports neither litellm nor the openai SDK, that
both price, pass parameters and end a CLI run alike, and the HTTP door's own ways (the strict
schema, proxies, kept-alive connections). (tests/test_llm_server.py runs every server behaviour
through both doors.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from openai_server import OpenAIServer, reply

from formalize.llm.client import LLMClient, LLMError
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
                     "openai": False}
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


def test_parameters_reach_the_server_as_they_are(openai_server: OpenAIServer) -> None:
    openai_server.default = "x"
    client = LLMClient(settings(openai_server, door="openai", temperature=0.2), no_cache=True)
    client.complete(MSGS, seed=3, top_k=5, repetition_penalty=1.1,
                    extra_body={"chat_template_kwargs": {"thinking": False}},
                    extra_headers={"X-Trace": "t1"})
    sent = openai_server.chat_requests[0]
    body = sent.body
    assert (body["temperature"], body["seed"], body["top_k"], body["repetition_penalty"]) == (0.2, 3, 5, 1.1)
    assert body["model"] == "test"  # the provider prefix is not sent
    assert body["chat_template_kwargs"] == {"thinking": False}  # extra_body merged, as the SDK does
    assert "extra_body" not in body and "extra_headers" not in body
    assert sent.headers["x-trace"] == "t1" and sent.headers["authorization"] == "Bearer dummy"


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


def test_the_cli_formalizes_through_the_openai_door_without_litellm_or_the_sdk(
        openai_server: OpenAIServer, tmp_path: Path) -> None:
    """`formalize solve problem.txt --model openai/... --api-base ...` end to end: both steps'
    strict schemas reach the server, the optimum comes back, and neither litellm nor the openai
    SDK (nor its httpx) is ever imported."""
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
    assert "formalize.llm.openai_http" in imported  # the importtime listing is complete
    assert not imported & {"openai", "litellm", "httpx"}


# -- the HTTP door's own ways ---------------------------------------------------------------------
def test_the_strict_schema_is_the_one_the_openai_sdk_and_litellm_send() -> None:
    """The program's answer formats (and a model with a nested reference and a None default)
    come out exactly as openai's own `to_strict_json_schema` makes them."""
    to_strict = pytest.importorskip("openai.lib._pydantic").to_strict_json_schema
    from pydantic import BaseModel, Field

    from formalize.llm.doors import strict_response_format
    from formalize.program.answer_schema import DataAnswer, ModelAnswer, StructureAnswer

    class Inner(BaseModel):
        amount: float = 0.0

    class Outer(BaseModel):
        inner: Inner = Field(description="a reference with a sibling key")
        maybe: str | None = None
        many: list[Inner]

    for cls in (DataAnswer, StructureAnswer, ModelAnswer, Outer):
        mine = strict_response_format(cls)
        assert mine == {"type": "json_schema", "json_schema": {
            "name": cls.__name__, "schema": to_strict(cls), "strict": True}}
    schema = strict_response_format(Outer)["json_schema"]["schema"]
    assert schema["additionalProperties"] is False and schema["required"] == ["inner", "maybe", "many"]
    assert "$ref" not in schema["properties"]["inner"]  # inlined: a $ref cannot carry a description
    assert "default" not in schema["properties"]["maybe"]


def _raw_server(answer: bytes) -> tuple[int, list[bytes], object]:
    """A one-connection-at-a-time TCP server that reads one request per connection and writes
    `answer` as it is (to test the door's own HTTP reading); (port, requests, stop)."""
    import socket
    import threading

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(body) < length:
                    body += conn.recv(65536)
                seen.append(head)
                conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    return sock.getsockname()[1], seen, stop


def test_chunked_and_gzipped_answers_are_read_by_both_paths() -> None:
    """A chunked, gzip-encoded completion with an interim 100 response and a trailer, as some
    proxies send it: the thread path (http.client) and the event-loop path (the door's own reader)
    read the same completion."""
    import asyncio
    import gzip

    from formalize.llm import openai_http
    from formalize.llm.doors import completion

    doc = json.dumps({"model": "m", "choices": [{"message": {"content": "chunked ok"},
                                                 "finish_reason": "stop"}],
                      "usage": {"prompt_tokens": 3, "completion_tokens": 2}}).encode()
    packed = gzip.compress(doc)
    chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(packed[i:i + 7]), packed[i:i + 7])
                      for i in range(0, len(packed), 7))
    answer = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
              + chunks + b"0\r\nX-Trailer: t\r\n\r\n")
    port, seen, stop = _raw_server(answer)
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    try:
        for reply in (openai_http.post(url, b"{}", {"Authorization": "Bearer k"}, 5),
                      asyncio.run(openai_http.apost(url, b"{}", {"Authorization": "Bearer k"}, 5))):
            raw = completion(reply, url)
            assert raw.choices[0].message.content == "chunked ok"
            assert (raw.usage.prompt_tokens, raw.usage.completion_tokens) == (3, 2)
        assert len(seen) == 2 and all(h.startswith(b"POST /v1/chat/completions HTTP/1.1") for h in seen)
    finally:
        stop.set()


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"choices\": [",  # cut off, then closed
    b"SSH-2.0-OpenSSH_9.6\r\n",  # not HTTP at all
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  # a bad chunk size
], ids=["cut-off", "not-http", "bad-chunk"])
def test_unreadable_http_is_a_bad_response_on_both_paths(answer: bytes) -> None:
    import asyncio

    from formalize.llm import openai_http

    port, _, stop = _raw_server(answer)
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    try:
        with pytest.raises(openai_http.UnreadableResponse, match=f"127.0.0.1:{port}"):
            openai_http.post(url, b"{}", {}, 5)
        with pytest.raises(openai_http.UnreadableResponse, match=f"127.0.0.1:{port}"):
            asyncio.run(openai_http.apost(url, b"{}", {}, 5))
    finally:
        stop.set()


@pytest.mark.parametrize("asynchronous", [False, True], ids=["thread", "event-loop"])
def test_http_proxy_from_the_environment(openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch,
                                         asynchronous: bool) -> None:
    """HTTP_PROXY sends the request to the proxy with the absolute URL (and its credentials);
    NO_PROXY sends it straight to the (here unreachable) host."""
    import asyncio

    openai_server.default = "via the proxy"
    monkeypatch.setenv("HTTP_PROXY", f"http://user:secret@127.0.0.1:{openai_server.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = LLMClient(LLMSettings(model="openai/m", api_base="http://llm.invalid/v1", api_key="k",
                                   timeout=5, max_retries=0), no_cache=True)

    def call() -> str:
        return (asyncio.run(client.acomplete(MSGS)) if asynchronous else client.complete(MSGS)).text

    assert call() == "via the proxy"
    sent = openai_server.chat_requests[0]
    assert sent.path == "http://llm.invalid/v1/chat/completions"
    assert sent.headers["proxy-authorization"] == "Basic dXNlcjpzZWNyZXQ="  # user:secret
    assert sent.headers["host"] == "llm.invalid"
    monkeypatch.setenv("NO_PROXY", "llm.invalid")
    with pytest.raises(LLMError) as info:
        call()
    assert info.value.kind == "connection" and "llm.invalid" in str(info.value)
    assert len(openai_server.chat_requests) == 1


@pytest.mark.parametrize("asynchronous", [False, True], ids=["thread", "event-loop"])
def test_kept_alive_connections_survive_a_server_restart(asynchronous: bool) -> None:
    """Requests reuse one kept-alive connection; when the server goes away and comes back on the
    same port, the dead pooled connection is replaced, not reported as a failure."""
    import asyncio

    first = OpenAIServer(default="one").start()
    port = first.port
    client = LLMClient(LLMSettings(model="openai/m", api_base=first.base_url, api_key="k", timeout=5,
                                   max_retries=0), no_cache=True)

    loop = asyncio.new_event_loop()  # one loop, one pool, across the restart

    async def run(n: int) -> list[str]:
        return [(await client.acomplete(f"q{i}")).text for i in range(n)]

    def calls(n: int) -> list[str]:
        if asynchronous:
            return loop.run_until_complete(run(n))
        return [client.complete(f"q{i}").text for i in range(n)]

    try:
        assert calls(3) == ["one"] * 3
        first.stop()
        second = OpenAIServer(port=port, default="two").start()
        try:
            assert calls(2) == ["two"] * 2
            assert [r.body["messages"][0]["content"] for r in second.chat_requests] == ["q0", "q1"]
        finally:
            second.stop()
    finally:
        first.stop()
        loop.close()


def test_no_key_for_openai_itself_is_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_API_BASE", "OPENAI_BASE_URL", "FORMALIZE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    client = LLMClient(LLMSettings(model="openai/gpt-4.1", max_retries=3), no_cache=True)
    with pytest.raises(LLMError) as info:
        client.complete(MSGS)
    err = info.value
    assert (err.kind, err.attempts, err.status_code) == ("auth", 1, None)
    text = str(err)
    assert "no API key was given" in text and "https://api.openai.com/v1/chat/completions" in text
    assert "OPENAI_API_KEY" in text


def test_a_bad_key_and_an_unknown_model_say_what_where_and_how(openai_server: OpenAIServer) -> None:
    from openai_server import error

    openai_server.enqueue(error(401, "Incorrect API key provided: sk-abc***"),
                          error(404, "The model `gpt-9` does not exist", err_type="invalid_request_error"))
    client = LLMClient(settings(openai_server, model="openai/gpt-9", max_retries=3), no_cache=True)
    with pytest.raises(LLMError) as bad_key:
        client.complete(MSGS)
    with pytest.raises(LLMError) as unknown:
        client.complete(MSGS)
    for err, kind, status, said, hint in (
            (bad_key.value, "auth", 401, "Incorrect API key provided", "OPENAI_API_KEY"),
            (unknown.value, "not_found", 404, "The model `gpt-9` does not exist", "check the model name")):
        assert (err.kind, err.status_code, err.attempts) == (kind, status, 1)
        text = str(err)
        assert said in text and f"{openai_server.base_url}/chat/completions" in text
        assert f"HTTP {status}" in text and hint in text.split("Hint:")[1]
    assert len(openai_server.chat_requests) == 2  # neither was retried


def test_an_address_without_scheme_is_named_and_not_retried(tmp_path: Path) -> None:
    client = LLMClient(LLMSettings(model="openai/m", api_base="localhost:8000/v1", api_key="k",
                                   max_retries=3, backoff_initial=5), no_cache=True)
    with pytest.raises(LLMError) as info:
        client.complete(MSGS)
    assert info.value.attempts == 1 and not info.value.retryable
    assert "not an http:// or https:// URL" in str(info.value) and "http://127.0.0.1:8000/v1" in str(info.value)


def test_a_forked_child_does_not_reuse_its_parents_connections(openai_server: OpenAIServer) -> None:
    """A pooled connection is one socket shared with the parent after fork(): the child's first
    request (seen as a new process id) opens its own."""
    from formalize.llm import openai_http

    openai_server.default = "x"
    client = LLMClient(settings(openai_server), no_cache=True)
    client.complete(MSGS)
    pooled = [c for conns in openai_http._POOL.values() for c in conns]
    assert pooled, "the kept-alive connection is pooled"
    client.complete(MSGS)
    assert any(c in pooled for conns in openai_http._POOL.values() for c in conns)  # reused
    openai_http._POOL_PID = -1  # as in a child after fork()
    client.complete(MSGS)
    assert not any(c in pooled for conns in openai_http._POOL.values() for c in conns)
    assert os.getpid() == openai_http._POOL_PID
