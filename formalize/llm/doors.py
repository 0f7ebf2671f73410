"""The two ways a request leaves: litellm (every provider) and the openai SDK (OpenAI itself and
any OpenAI-compatible endpoint: vLLM, llama.cpp, LM Studio, a relay).

`LLMClient` keeps the cache, the retries and the accounting; a door only imports its library (on
the first request that misses the cache — a cache hit imports neither), builds the request,
sends it, reads the answer and says which `LLMError` kind a failure of its library is. `choose`
picks the door: `door = "auto"` takes the openai SDK for `openai/...` models (its import costs a
fraction of litellm's 4–5 s) and litellm for the rest; "litellm" / "openai" force one.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import logging
import os
import re
import sys
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
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


# --------------------------------------------------------------------------------------- openai SDK
_SDK_CLIENTS: dict[Any, Any] = {}
_SDK_LOCK = threading.Lock()


class OpenAIDoor:
    """OpenAI and OpenAI-compatible endpoints through the openai SDK (what litellm itself uses
    for them): its own retries off (the client retries), the timeout per request, the same
    error kinds and messages as through litellm; prices from litellm's bundled price list."""

    name = "openai"

    def load(self) -> None:
        import openai  # noqa: F401

    @property
    def loaded(self) -> bool:
        return "openai" in sys.modules

    def provider_schema(self, settings: LLMSettings) -> bool:
        entry = price_entry(settings.model)
        return bool(entry and entry.get("supports_response_schema"))

    def request(self, settings: LLMSettings, messages: list[dict[str, Any]], response_format: Any,
                params: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": settings.model.split("/", 1)[1], "messages": messages}
        known = _sdk_params()
        extra = {k: v for k, v in params.items() if k not in known}
        kwargs.update((k, v) for k, v in params.items() if k in known)
        if extra:  # parameters the SDK does not name go in the body as they are
            kwargs["extra_body"] = {**(kwargs.get("extra_body") or {}), **extra}
        if response_format is not None:
            kwargs["response_format"] = _sdk_response_format(response_format)
        return kwargs

    def _client(self, settings: LLMSettings, asynchronous: bool) -> Any:
        import openai

        # one SDK client (and connection pool) per endpoint, as litellm keeps them; an async
        # client belongs to the event loop it first ran on
        loop = asyncio.get_running_loop() if asynchronous else None
        key = (settings.api_base, settings.api_key, settings.timeout, asynchronous)
        with _SDK_LOCK:
            owner, client = _SDK_CLIENTS.get(key, (None, None))
            if client is None or (loop is not None and (owner is None or owner() is not loop)):
                cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
                # as litellm: the settings' api_base, else OPENAI_API_BASE, else the SDK's own
                # OPENAI_BASE_URL / api.openai.com
                base = settings.api_base or os.environ.get("OPENAI_API_BASE") or None
                client = cls(api_key=_api_key(settings), base_url=base, timeout=settings.timeout,
                             max_retries=0)
                _SDK_CLIENTS[key] = (weakref.ref(loop) if loop is not None else None, client)
            return client

    def create(self, settings: LLMSettings, kwargs: dict[str, Any]) -> Any:
        return self._client(settings, False).chat.completions.create(**kwargs)

    async def acreate(self, settings: LLMSettings, kwargs: dict[str, Any]) -> Any:
        if not self.loaded:  # the first import: keep it off the event loop
            await asyncio.to_thread(self.load)
        return await self._client(settings, True).chat.completions.create(**kwargs)

    def is_bad_request(self, exc: BaseException) -> bool:
        import openai

        return isinstance(exc, openai.BadRequestError)

    def classify(self, exc: BaseException) -> str:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return "timeout"
        if isinstance(exc, openai.RateLimitError):
            return "rate_limit"
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return "auth"
        if isinstance(exc, openai.NotFoundError):
            return "not_found"
        if isinstance(exc, (openai.BadRequestError, openai.UnprocessableEntityError)):
            return "context_window" if _CONTEXT.search(str(exc)) else "bad_request"
        causes = {type(e).__name__ for e in chain(exc)}
        if causes & {"ConnectError", "ConnectionRefusedError", "ConnectionResetError"}:
            return "connection"
        if causes & {"RemoteProtocolError", "JSONDecodeError", "DecodingError"} or isinstance(
                exc, (json.JSONDecodeError, openai.APIResponseValidationError)):
            return "bad_response"
        if isinstance(exc, openai.APIStatusError):
            if BAD_BODY.search(str(exc)):
                return "bad_response"
            return "server_error" if exc.status_code >= 500 else "bad_request"
        if isinstance(exc, openai.APIConnectionError):
            return "connection" if _network_cause(exc) else "error"
        if isinstance(exc, openai.OpenAIError) and "api_key" in str(exc):
            return "auth"  # no key configured: the SDK refuses before any request
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


# --------------------------------------------------------------------------------------- shared


def choose(settings: LLMSettings) -> LiteLLMDoor | OpenAIDoor:
    """The door for these settings (see the module docstring)."""
    door = settings.door
    if door == "auto":
        door = "openai" if settings.provider == "openai" and importlib.util.find_spec("openai") else "litellm"
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


@functools.lru_cache(maxsize=1)
def _sdk_params() -> frozenset[str]:
    """The keyword arguments the SDK's `chat.completions.create` takes (others go in extra_body)."""
    import inspect

    from openai.resources.chat.completions import Completions

    return frozenset(inspect.signature(Completions.create).parameters) - {"self"}


def _sdk_response_format(response_format: Any) -> Any:
    """A pydantic class becomes the strict schema litellm would send; dicts as for litellm."""
    if isinstance(response_format, type) and hasattr(response_format, "model_json_schema"):
        from openai.lib._pydantic import to_strict_json_schema

        return {"type": "json_schema", "json_schema": {
            "name": response_format.__name__, "schema": to_strict_json_schema(response_format),
            "strict": True}}
    return response_format


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


__all__ = ["DOORS", "LiteLLMDoor", "OpenAIDoor", "choose", "litellm", "price_entry", "wants_schema"]
