"""The two ways a request leaves: litellm (every provider) and plain HTTP (OpenAI itself and any
OpenAI-compatible endpoint: vLLM, llama.cpp, LM Studio, a relay).

`LLMClient` keeps the cache, the retries and the accounting; a door builds the request, sends
it, reads the answer and says which `LLMError` kind a failure is. `choose` picks the door:
`door = "auto"` speaks HTTP itself for `openai/...` models (formalize.llm.openai_http, the
standard library: no import of the openai SDK, ~0.8 s, nor of litellm, 4–5 s) and takes litellm,
imported on the first request that misses the cache, for the rest; "litellm" / "openai" force
one. A cache hit imports neither library.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from formalize.llm.config import LLMSettings

DOORS = ("auto", "litellm", "openai")

# providers that accept a JSON schema in response_format even when litellm's price map does not
# say so (local servers); "openai" counts only with a custom api_base
_SCHEMA_PROVIDERS = {"ollama", "ollama_chat", "hosted_vllm", "lm_studio", "llamafile"}
_NETWORK_ERRORS = {"ConnectError", "ConnectTimeout", "NetworkError", "ReadError", "WriteError",
                   "ProxyError", "APIConnectionError", "ClientConnectorError",
                   "ServerDisconnectedError", "ClientOSError"}
BAD_BODY = re.compile(
    r"Expecting value|Unterminated string|Expecting ',' delimiter|Expecting property name|"
    r"Extra data|Invalid control character|JSONDecodeError|"
    r"incomplete chunked read|peer closed connection|RemoteProtocolError",
    re.IGNORECASE,
)
_CONTEXT = re.compile(r"context[_ ]length|context window|maximum context|too many tokens",
                      re.IGNORECASE)


def chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes / contexts (at most 12)."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 12:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def assertion_in(exc: BaseException) -> AssertionError | None:
    """A test double's AssertionError wrapped by a library, to be re-raised as itself."""
    return next((e for e in chain(exc) if isinstance(e, AssertionError)), None)


def _network_cause(exc: BaseException) -> bool:
    cause = chain(exc)[1:]
    return not cause or any(isinstance(e, OSError) or type(e).__name__ in _NETWORK_ERRORS for e in cause)


# --------------------------------------------------------------------------------------- litellm
_litellm_lock = threading.Lock()


def litellm_ready() -> bool:
    return getattr(sys.modules.get("litellm"), "_formalize_ready", False)


def litellm() -> ModuleType:
    """Import litellm on first use, offline price map and quiet logs."""
    if litellm_ready():
        return sys.modules["litellm"]
    with _litellm_lock:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_LOG", "ERROR")
        import litellm as lt

        lt.suppress_debug_info = True
        lt.telemetry = False
        for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx"):
            logging.getLogger(name).setLevel(logging.ERROR)
        lt._formalize_ready = True  # type: ignore[attr-defined]
        return lt


class LiteLLMDoor:
    """Every provider litellm knows (hosted, Ollama, the scripted test double …)."""

    name = "litellm"

    def load(self) -> None:
        litellm()

    @property
    def loaded(self) -> bool:
        return litellm_ready()

    def provider_schema(self, settings: LLMSettings) -> bool:
        try:
            return bool(litellm().supports_response_schema(model=settings.model))
        except Exception:  # unknown model or provider: do not send
            return False

    def request(self, settings: LLMSettings, messages: list[dict[str, Any]], response_format: Any,
                params: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": settings.model, "timeout": settings.timeout,
                                  "num_retries": 0, "drop_params": True, **params,
                                  "messages": messages}
        if settings.api_base:
            kwargs["api_base"] = settings.api_base
        key = _api_key(settings)
        if key:
            kwargs["api_key"] = key
        if response_format is not None:
            kwargs["response_format"] = response_format
        return kwargs

    def create(self, settings: LLMSettings, kwargs: dict[str, Any]) -> Any:
        return litellm().completion(**kwargs)

    async def acreate(self, settings: LLMSettings, kwargs: dict[str, Any]) -> Any:
        import asyncio

        lt = litellm() if litellm_ready() else await asyncio.to_thread(litellm)
        return await lt.acompletion(**kwargs)

    def is_bad_request(self, exc: BaseException) -> bool:
        return isinstance(exc, litellm().BadRequestError)

    def classify(self, exc: BaseException) -> str:
        lt = litellm()
        msg = str(getattr(exc, "message", "") or exc)
        if isinstance(exc, lt.Timeout):
            return "timeout"
        if isinstance(exc, lt.RateLimitError):
            return "rate_limit"
        if isinstance(exc, lt.ContextWindowExceededError):
            return "context_window"
        if isinstance(exc, (lt.AuthenticationError, lt.PermissionDeniedError)):
            return "auth"
        if isinstance(exc, lt.NotFoundError):
            return "not_found"
        if isinstance(exc, lt.BadRequestError):
            return "bad_request"
        causes = {type(e).__name__ for e in chain(exc)}
        if causes & {"ConnectError", "ConnectionRefusedError", "ConnectionResetError"}:
            return "connection"
        if causes & {"RemoteProtocolError", "JSONDecodeError", "DecodingError"}:
            return "bad_response"
        if isinstance(exc, (lt.InternalServerError, lt.ServiceUnavailableError, lt.APIError,
                            lt.APIConnectionError)) and BAD_BODY.search(msg):
            return "bad_response"
        if isinstance(exc, (lt.InternalServerError, lt.ServiceUnavailableError,
                            getattr(lt, "BadGatewayError", lt.ServiceUnavailableError))):
            return "server_error"
        if isinstance(exc, lt.APIConnectionError):
            # litellm also wraps any unmapped exception (a provider bug, a ValueError) in
            # APIConnectionError: only a network cause (or none known) makes it a connection error
            return "connection" if _network_cause(exc) else "error"
        return _generic_kind(exc)

    def cost(self, settings: LLMSettings, raw: Any) -> float | None:
        hidden = getattr(raw, "_hidden_params", None)
        hidden = hidden if isinstance(hidden, Mapping) else getattr(hidden, "__dict__", {}) or {}
        if "response_cost" in hidden:  # litellm priced the call already (None: no known price)
            rc = hidden["response_cost"]
            return float(rc) if rc is not None else None
        try:
            return float(litellm().completion_cost(completion_response=raw))
        except Exception:  # model without a known price
            return None


# --------------------------------------------------------------------------------------- plain HTTP
class NoAPIKey(Exception):
    """No key for an endpoint that needs one (api.openai.com): refused before any request."""


class OpenAIDoor:
    """OpenAI and OpenAI-compatible endpoints (vLLM, llama.cpp, LM Studio, a relay) spoken to
    directly over HTTP with the standard library (formalize.llm.openai_http): the request body the
    openai SDK would send (its strict schema for a pydantic class, unknown parameters as they
    are), the timeout per request, no retries of its own (the client retries), the same error
    kinds as through litellm; prices from litellm's bundled price list. Neither the openai SDK
    nor litellm is imported."""

    name = "openai"

    def load(self) -> None:
        from formalize.llm import openai_http  # noqa: F401  (milliseconds)

    @property
    def loaded(self) -> bool:
        return "formalize.llm.openai_http" in sys.modules

    def provider_schema(self, settings: LLMSettings) -> bool:
        entry = price_entry(settings.model)
        return bool(entry and entry.get("supports_response_schema"))

    def request(self, settings: LLMSettings, messages: list[dict[str, Any]], response_format: Any,
                params: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": settings.model.split("/", 1)[1], "messages": messages}
        headers: dict[str, str] = {}
        extra: Mapping[str, Any] = {}
        timeout = settings.timeout
        for k, v in params.items():
            if k == "extra_body" and isinstance(v, Mapping):
                extra = v
            elif k == "extra_headers" and isinstance(v, Mapping):
                headers.update((str(h), str(x)) for h, x in v.items())
            elif k == "timeout" and isinstance(v, (int, float)) and v > 0:
                timeout = float(v)  # a per-call timeout, as the SDK takes it
            else:
                body[k] = v
        if response_format is not None:
            body["response_format"] = strict_response_format(response_format)
        body.update(extra)
        return {"body": body, "headers": headers, "timeout": timeout}

    def _wire(self, settings: LLMSettings, kwargs: dict[str, Any]) -> tuple[str, bytes, dict[str, str]]:
        """URL, JSON payload and headers of a request (as the SDK: the settings' api_base, else
        OPENAI_API_BASE / OPENAI_BASE_URL, else api.openai.com; the key, else OPENAI_API_KEY)."""
        base = (settings.api_base or os.environ.get("OPENAI_API_BASE")
                or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1")
        url = base.rstrip("/") + "/chat/completions"
        key = (_api_key(settings) or os.environ.get("OPENAI_API_KEY") or "").strip()
        if not key:
            raise NoAPIKey(f"no API key for {url}: set OPENAI_API_KEY, FORMALIZE_API_KEY or api_key_env "
                           "in [tool.formalize] (a local OpenAI-compatible server needs --api-base)")
        headers = {"Authorization": f"Bearer {key}", "User-Agent": "formalize (python http.client)"}
        for env, header in (("OPENAI_ORG_ID", "OpenAI-Organization"),
                            ("OPENAI_PROJECT_ID", "OpenAI-Project")):
            if os.environ.get(env):
                headers[header] = os.environ[env]
        headers.update(kwargs["headers"])
        try:
            payload = json.dumps(kwargs["body"], ensure_ascii=False, allow_nan=False).encode("utf-8")
        except ValueError as exc:
            raise ValueError(f"the request to {url} holds a value JSON cannot carry ({exc}); check "
                             "the parameters (temperature, extra_params …)") from None
        return url, payload, headers

    def create(self, settings: LLMSettings, kwargs: dict[str, Any]) -> Any:
        from formalize.llm import openai_http

        url, payload, headers = self._wire(settings, kwargs)
        return completion(openai_http.post(url, payload, headers, kwargs["timeout"]), url)

    async def acreate(self, settings: LLMSettings, kwargs: dict[str, Any]) -> Any:
        from formalize.llm import openai_http

        url, payload, headers = self._wire(settings, kwargs)
        return completion(await openai_http.apost(url, payload, headers, kwargs["timeout"]), url)

    def is_bad_request(self, exc: BaseException) -> bool:
        from formalize.llm import openai_http

        return isinstance(exc, openai_http.HTTPStatusError) and exc.status_code in (400, 422)

    def classify(self, exc: BaseException) -> str:
        from formalize.llm import openai_http as h

        if isinstance(exc, h.TimedOut):
            return "timeout"
        if isinstance(exc, h.HTTPStatusError):
            status = exc.status_code
            if status == 429:
                return "rate_limit"
            if status in (401, 403):
                return "auth"
            if status == 404:
                return "not_found"
            if status == 408:
                return "timeout"
            if status >= 500:
                return "bad_response" if BAD_BODY.search(exc.error_text) else "server_error"
            return "context_window" if _CONTEXT.search(exc.error_text) else "bad_request"
        if isinstance(exc, h.ConnectFailed):
            return "connection"
        if isinstance(exc, h.UnreadableResponse):
            return "bad_response"
        if isinstance(exc, NoAPIKey):
            return "auth"
        if isinstance(exc, h.BadEndpoint):
            return "error"  # not retried: the address itself is wrong
        return _generic_kind(exc)

    def cost(self, settings: LLMSettings, raw: Any) -> float | None:
        entry = price_entry(settings.model)
        usage = getattr(raw, "usage", None)
        if not entry or usage is None:
            return None
        try:
            return (float(entry["input_cost_per_token"]) * (usage.prompt_tokens or 0)
                    + float(entry["output_cost_per_token"]) * (usage.completion_tokens or 0))
        except (KeyError, TypeError, ValueError):
            return None


def _error_text(body: bytes) -> tuple[str, Any]:
    """The message (and code) of an OpenAI-style error body, else the body's first 300 characters."""
    text = body.decode("utf-8", "replace")
    try:
        doc = json.loads(text)
    except ValueError:
        return (" ".join(text.split())[:300] or "(empty body)"), None
    if isinstance(doc, dict):
        err = doc.get("error", doc)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("detail") or err.get("msg")
            if msg:
                return str(msg)[:1000], err.get("code")
        elif isinstance(err, str) and err:
            return err[:1000], None
        if isinstance(doc.get("detail"), (str, list)):
            return str(doc["detail"])[:1000], None
    return json.dumps(doc)[:300], None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def completion(reply: Any, url: str) -> SimpleNamespace:
    """The chat completion in an HTTP reply (attributes as the SDK's: ``choices[0].message.content``,
    ``finish_reason``, ``model``, ``usage``); raises the transport's precise errors."""
    from formalize.llm import openai_http as h

    if not 200 <= reply.status < 300:
        if 300 <= reply.status < 400:
            where = reply.headers.get("location", "another address")
            raise h.HTTPStatusError(reply.status, f"redirected to {where}; use that address as "
                                    "api_base", url, reply.headers)
        message, code = _error_text(reply.body)
        raise h.HTTPStatusError(reply.status, message, url, reply.headers, code)
    head = reply.body[:200].decode("utf-8", "replace")
    try:
        doc = json.loads(reply.body)
    except ValueError as exc:
        raise h.UnreadableResponse(f"the body from {url} is not JSON ({exc}); it starts: {head!r}",
                                   url) from None
    choices = doc.get("choices") if isinstance(doc, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(message, dict):
        err = doc.get("error") if isinstance(doc, dict) else None
        if err:
            text, _ = _error_text(json.dumps({"error": err}).encode())
            raise h.UnreadableResponse(f"{url} answered HTTP {reply.status} with an error instead "
                                       f"of a completion: {text}", url)
        raise h.UnreadableResponse(f"the body from {url} is JSON but not a chat completion (no "
                                   f"choices[0].message); it starts: {head!r}", url)
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    elif content is not None and not isinstance(content, str):
        content = json.dumps(content)
    usage = doc.get("usage")
    return SimpleNamespace(
        model=doc.get("model") if isinstance(doc.get("model"), str) else None,
        choices=[SimpleNamespace(message=SimpleNamespace(role=message.get("role"), content=content),
                                 finish_reason=first.get("finish_reason"))],
        usage=SimpleNamespace(prompt_tokens=_count(usage.get("prompt_tokens")),
                              completion_tokens=_count(usage.get("completion_tokens")))
        if isinstance(usage, dict) else None)


# --------------------------------------------------------------------------------------- shared


def choose(settings: LLMSettings) -> LiteLLMDoor | OpenAIDoor:
    """The door for these settings (see the module docstring)."""
    door = settings.door
    if door == "auto":
        door = "openai" if settings.provider == "openai" else "litellm"
    return OpenAIDoor() if door == "openai" else LiteLLMDoor()


def wants_schema(door: LiteLLMDoor | OpenAIDoor, settings: LLMSettings, response_format: Any) -> bool:
    """Whether to send `response_format` to the provider (else the prompt asks for JSON)."""
    if response_format is None:
        return False
    mode = settings.structured_output
    if mode != "auto":
        return mode == "always"
    if isinstance(response_format, dict) and response_format.get("type") in ("json_object", "text"):
        return True
    provider = settings.provider
    if provider in _SCHEMA_PROVIDERS or (provider == "openai" and settings.api_base):
        return True
    return door.provider_schema(settings)


def _api_key(settings: LLMSettings) -> str | None:
    key = settings.api_key
    if key is None and settings.provider == "openai" and settings.api_base and not os.environ.get("OPENAI_API_KEY"):
        key = "sk-no-key-required"  # OpenAI-compatible local servers want some key
    return key


def _generic_kind(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 500:
        return "server_error"
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return "connection"
    return "error"


def strict_response_format(response_format: Any) -> Any:
    """A pydantic class becomes the strict ``json_schema`` response format litellm and the openai
    SDK send for it (named after the class); dicts go as they are."""
    if isinstance(response_format, type) and hasattr(response_format, "model_json_schema"):
        schema = response_format.model_json_schema()
        return {"type": "json_schema", "json_schema": {
            "name": response_format.__name__, "schema": strict_json_schema(schema, root=schema),
            "strict": True}}
    return response_format


def strict_json_schema(schema: Any, *, root: dict[str, Any], path: tuple[str, ...] = ()) -> dict[str, Any]:
    """OpenAI's strict form of a JSON schema, as the openai SDK's ``to_strict_json_schema`` makes it
    (mutates `schema`): objects close (``additionalProperties: false``) and require every
    property, ``None`` defaults go, a one-entry ``allOf`` and a ``$ref`` with siblings are inlined."""
    if not isinstance(schema, dict):
        raise TypeError(f"expected a JSON schema object at {'/'.join(path) or 'the root'}, got {schema!r:.80}")
    for group in ("$defs", "definitions"):
        defs = schema.get(group)
        if isinstance(defs, dict):
            for name, sub in defs.items():
                strict_json_schema(sub, root=root, path=(*path, group, name))
    if schema.get("type") == "object" and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    props = schema.get("properties")
    if isinstance(props, dict):
        schema["required"] = list(props)
        schema["properties"] = {k: strict_json_schema(v, root=root, path=(*path, "properties", k))
                                for k, v in props.items()}
    items = schema.get("items")
    if isinstance(items, dict):
        schema["items"] = strict_json_schema(items, root=root, path=(*path, "items"))
    any_of = schema.get("anyOf")
    if isinstance(any_of, list):
        schema["anyOf"] = [strict_json_schema(v, root=root, path=(*path, "anyOf", str(i)))
                           for i, v in enumerate(any_of)]
    all_of = schema.get("allOf")
    if isinstance(all_of, list):
        if len(all_of) == 1:
            schema.update(strict_json_schema(all_of[0], root=root, path=(*path, "allOf", "0")))
            schema.pop("allOf")
        else:
            schema["allOf"] = [strict_json_schema(v, root=root, path=(*path, "allOf", str(i)))
                               for i, v in enumerate(all_of)]
    if "default" in schema and schema["default"] is None:
        schema.pop("default")
    ref = schema.get("$ref")
    if ref and len(schema) > 1:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise ValueError(f"unexpected $ref {ref!r} at {'/'.join(path) or 'the root'}")
        resolved: Any = root
        for key in ref[2:].split("/"):
            resolved = resolved[key]
        if not isinstance(resolved, dict):
            raise ValueError(f"$ref {ref!r} does not resolve to a schema object")
        schema.update({**resolved, **schema})
        schema.pop("$ref")
        return strict_json_schema(schema, root=root, path=path)
    return schema


_PRICES: dict[str, Any] | None = None
_PRICES_LOCK = threading.Lock()


def price_entry(model: str) -> dict[str, Any] | None:
    """litellm's bundled price-list entry of a model (read as data; litellm is not imported)."""
    global _PRICES
    with _PRICES_LOCK:
        if _PRICES is None:
            _PRICES = {}
            spec = importlib.util.find_spec("litellm")
            if spec is not None and spec.origin:
                path = Path(spec.origin).parent / "model_prices_and_context_window_backup.json"
                try:
                    _PRICES = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    _PRICES = {}
    name = model.split("/", 1)[1] if model.startswith("openai/") else model
    entry = _PRICES.get(name) or _PRICES.get(model)
    return entry if isinstance(entry, dict) else None


__all__ = ["DOORS", "LiteLLMDoor", "NoAPIKey", "OpenAIDoor", "choose", "completion", "litellm",
           "price_entry", "strict_json_schema", "strict_response_format", "wants_schema"]
