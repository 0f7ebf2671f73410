"""The real request paths against a local OpenAI-compatible server (tests/openai_server.py).

Every test runs through both doors (formalize.llm.doors): litellm and plain HTTP; errors,
retries, schemas, the cache and the accounting must come out the same."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from openai_server import (
    OpenAIServer,
    error,
    garbage,
    hang,
    json_reply,
    reply,
    structured,
    truncated,
)
from pydantic import BaseModel

from formalize.llm.cache import ResponseCache
from formalize.llm.client import LLMClient, LLMError
from formalize.llm.config import LLMSettings


class Shipment(BaseModel):
    plant: str
    market: str
    amount: float


class Plan(BaseModel):
    name: str
    shipments: list[Shipment]


PLAN = {"name": "transport", "shipments": [{"plant": "seattle", "market": "ny", "amount": 50.0}]}
MSGS = [{"role": "system", "content": "You write formal models."},
        {"role": "user", "content": "Ship 50 cases from Seattle to New York."}]


DOOR: list[str] = ["auto"]


@pytest.fixture(autouse=True, params=["litellm", "openai"])
def door(request: pytest.FixtureRequest) -> str:
    """Each test once through litellm and once through plain HTTP (the openai door)."""
    DOOR[0] = request.param
    return request.param


def make_client(server: OpenAIServer, tmp_path: Path, *, no_cache: bool = False, **changes) -> LLMClient:
    values = {"model": "openai/test", "api_base": server.base_url, "api_key": "dummy",
              "timeout": 0.5, "max_retries": 2, "backoff_initial": 0.01, "backoff_max": 0.05,
              "door": DOOR[0]}
    values.update(changes)
    client = LLMClient(LLMSettings(**values), cache=tmp_path / "cache", no_cache=no_cache)
    assert client.door.name == DOOR[0]
    return client


def test_structured_output_sends_schema_and_parses(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.enqueue(structured(PLAN, prompt_tokens=123, completion_tokens=45))
    resp = make_client(openai_server, tmp_path).complete(MSGS, response_format=Plan)
    sent = openai_server.chat_requests[0]
    assert sent.response_format["type"] == "json_schema"
    schema = sent.response_format["json_schema"]["schema"]
    assert set(schema["properties"]) == {"name", "shipments"}
    assert sent.messages == MSGS  # no extra JSON instruction when the schema is sent
    assert resp.structured and not resp.cached and resp.attempts == 1
    assert Plan.model_validate(resp.json()) == Plan.model_validate(PLAN)
    assert (resp.prompt_tokens, resp.completion_tokens) == (123, 45)  # the server's usage
    assert resp.cost is None  # no price known for openai/test


def test_schema_rejected_falls_back_to_prompted_json(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.enqueue(error(400, "response_format json_schema is not supported"), structured(PLAN))
    resp = make_client(openai_server, tmp_path).complete(MSGS, response_format=Plan)
    first, second = openai_server.chat_requests
    assert first.response_format is not None and second.response_format is None
    assert '"shipments"' in second.messages[0]["content"]  # schema now in the system message
    assert "```json" in resp.text and resp.json() == PLAN
    assert resp.attempts == 2 and not resp.structured


def test_structured_output_never_extracts_from_prose(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.enqueue(structured(PLAN))
    client = make_client(openai_server, tmp_path, structured_output="never")
    resp = client.complete(MSGS, response_format=Plan.model_json_schema())
    assert openai_server.chat_requests[0].response_format is None
    assert resp.text.startswith("Here is") and resp.json() == PLAN


def test_json_schema_dict_is_wrapped(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.enqueue(json_reply(PLAN))
    make_client(openai_server, tmp_path).complete(MSGS, response_format=Plan.model_json_schema())
    rf = openai_server.chat_requests[0].response_format
    assert rf["type"] == "json_schema" and rf["json_schema"]["name"] == "Plan"
    assert rf["json_schema"]["schema"]["title"] == "Plan"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_error_then_success(openai_server: OpenAIServer, tmp_path: Path, status: int) -> None:
    openai_server.enqueue(error(status), reply("fine"))
    resp = make_client(openai_server, tmp_path).complete(MSGS)
    assert resp.text == "fine" and resp.attempts == 2
    assert len(openai_server.chat_requests) == 2


def test_retry_after_is_honoured(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.enqueue(error(429, retry_after=0.3), reply("fine"))
    resp = make_client(openai_server, tmp_path).complete(MSGS)
    gap = openai_server.chat_requests[1].received_at - openai_server.chat_requests[0].received_at
    assert resp.attempts == 2 and gap >= 0.29


def test_repeated_500_gives_clear_error(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.enqueue(*[error(500, "database on fire")] * 3)
    with pytest.raises(LLMError) as info:
        make_client(openai_server, tmp_path).complete(MSGS)
    err = info.value
    assert (err.kind, err.attempts, err.status_code, err.provider) == ("server_error", 3, 500, "openai")
    text = str(err)
    for part in ("openai/test", openai_server.base_url, "3 attempts", "HTTP 500", "database on fire",
                 "Hint:"):
        assert part in text
    assert len(openai_server.chat_requests) == 3


def test_timeout_retried_then_clear_error(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.enqueue(*[hang(10)] * 2)
    t0 = time.perf_counter()
    with pytest.raises(LLMError) as info:
        make_client(openai_server, tmp_path, max_retries=1).complete(MSGS)
    assert time.perf_counter() - t0 < 4
    assert info.value.kind == "timeout" and info.value.attempts == 2
    assert "0.5 s timeout" in str(info.value) and "raise the timeout" in str(info.value)


def test_timeout_then_success(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.enqueue(hang(10), reply("late but fine", delay=0.05))
    resp = make_client(openai_server, tmp_path).complete(MSGS)
    assert resp.text == "late but fine" and resp.attempts == 2


@pytest.mark.parametrize("bad", [garbage(), garbage(""), truncated(), truncated(close_early=True)],
                         ids=["html", "empty", "truncated-json", "connection-cut"])
def test_unreadable_body_gives_clear_error(openai_server: OpenAIServer, tmp_path: Path, bad) -> None:
    openai_server.enqueue(*[bad] * 3)
    with pytest.raises(LLMError) as info:
        make_client(openai_server, tmp_path).complete(MSGS)
    assert info.value.kind == "bad_response" and info.value.attempts == 3
    assert "not a readable chat completion" in str(info.value)


def test_garbage_then_success(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.enqueue(garbage(), reply("recovered"))
    assert make_client(openai_server, tmp_path).complete(MSGS).attempts == 2


@pytest.mark.parametrize(("status", "kind"), [(401, "auth"), (404, "not_found"), (400, "bad_request")])
def test_non_retryable_fails_at_once(openai_server: OpenAIServer, tmp_path: Path, status: int,
                                     kind: str) -> None:
    openai_server.enqueue(error(status), reply("never reached"))
    with pytest.raises(LLMError) as info:
        make_client(openai_server, tmp_path).complete(MSGS)
    assert info.value.kind == kind and info.value.attempts == 1 and not info.value.retryable
    assert len(openai_server.chat_requests) == 1 and openai_server.pending == 1


def test_connection_refused(tmp_path: Path) -> None:
    server = OpenAIServer().start()
    server.stop()  # the port is now closed
    with pytest.raises(LLMError) as info:
        make_client(server, tmp_path, max_retries=1).complete(MSGS)
    assert info.value.kind == "connection" and info.value.attempts == 2
    assert "could not connect" in str(info.value)


def test_cache_hit_and_no_cache(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.default = lambda body: reply("answer", prompt_tokens=10, completion_tokens=5)
    client = make_client(openai_server, tmp_path)
    first = client.complete(MSGS, response_format=Plan)
    second = client.complete(MSGS, response_format=Plan)
    assert len(openai_server.chat_requests) == 1
    assert not first.cached and second.cached
    assert second.text == first.text and second.cost == 0.0 and second.attempts == 0
    assert second.prompt_tokens == 10  # what the original call used
    assert client.usage.calls == 2 and client.usage.cached_calls == 1
    assert client.usage.prompt_tokens == 10 and client.usage.completion_tokens == 5

    # another sample index is another request
    client.complete(MSGS, response_format=Plan, sample=1)
    assert len(openai_server.chat_requests) == 2
    # a fresh client on the same directory (a new run) hits the stored answer
    again = make_client(openai_server, tmp_path).complete(MSGS, response_format=Plan)
    assert again.cached and len(openai_server.chat_requests) == 2

    cache = ResponseCache(tmp_path / "cache")
    stored = len(cache)
    bypass = make_client(openai_server, tmp_path, no_cache=True)
    assert not bypass.complete(MSGS, response_format=Plan).cached
    assert not bypass.complete("a new question").cached
    assert len(openai_server.chat_requests) == 4 and len(cache) == stored  # no write either


def test_forget_removes_entry(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.default = "x"
    client = make_client(openai_server, tmp_path)
    resp = client.complete(MSGS)
    assert client.forget(resp)
    assert not client.complete(MSGS).cached and len(openai_server.chat_requests) == 2


def test_params_reach_server_and_key(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.default = "x"
    client = make_client(openai_server, tmp_path, temperature=0.3, max_tokens=200)
    client.complete(MSGS, seed=7)
    body = openai_server.chat_requests[0].body
    assert (body["temperature"], body["max_tokens"], body["seed"]) == (0.3, 200, 7)
    assert openai_server.chat_requests[0].headers["authorization"] == "Bearer dummy"
    client.complete(MSGS, seed=8)  # different params: not a cache hit
    assert len(openai_server.chat_requests) == 2


def test_async_retry_and_concurrency(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.enqueue(error(429))
    openai_server.default = lambda body: reply(body["messages"][-1]["content"].upper(), delay=0.3)
    client = make_client(openai_server, tmp_path, timeout=5)

    async def run() -> list:
        return await asyncio.gather(*(client.acomplete(f"q{i}") for i in range(16)))

    t0 = time.perf_counter()
    results = asyncio.run(run())
    elapsed = time.perf_counter() - t0
    assert sorted(r.text for r in results) == sorted(f"Q{i}" for i in range(16))
    assert sum(r.attempts for r in results) == 17  # one of them met the 429
    assert elapsed < 2.5  # 16 × 0.3 s done concurrently, not one after another
    assert client.usage.calls == 16


def test_unexpected_request_is_named(openai_server: OpenAIServer, tmp_path: Path) -> None:
    with pytest.raises(LLMError) as info:
        make_client(openai_server, tmp_path).complete(MSGS)
    assert "no behaviour was queued" in str(info.value) and info.value.attempts == 1
    assert len(openai_server.unexpected) == 1
