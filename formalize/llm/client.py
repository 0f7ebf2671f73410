"""The only door to models: plain HTTP for OpenAI-compatible endpoints, litellm (imported lazily)
for the rest, with retries, cache and accounting.

::

    client = LLMClient(resolve_model(args.model))
    resp = client.complete([{"role": "user", "content": "..."}], response_format=Model)
    data = resp.json()            # robust extraction; validate with Model.model_validate(data)
    client.usage                  # tokens, cost, calls, cached calls so far

``import formalize.llm.client`` imports neither litellm nor the openai SDK, and a cache hit never
does: ``openai/...`` models (OpenAI and OpenAI-compatible endpoints) are spoken to over HTTP with
the standard library (`formalize.llm.openai_http`); every other provider goes through litellm
(4–5 s on its first request, with ``LITELLM_LOCAL_MODEL_COST_MAP=True`` and quiet logs); see
`formalize.llm.doors`.
Retries use tenacity with exponential backoff and jitter (honouring ``Retry-After``) on 429,
5xx, timeouts, connection errors and unreadable bodies; 400/401/404 fail at once. Every
failure becomes an :class:`LLMError` naming provider, model, what happened, attempts and a hint.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import ModuleType
from typing import Any

from formalize.llm import doors
from formalize.llm.cache import ResponseCache, cache_key
from formalize.llm.config import LLMSettings

__all__ = [
    "LLMClient",
    "LLMError",
    "LLMOutputError",
    "LLMResponse",
    "Usage",
    "extract_json",
    "make_client",
]

log = logging.getLogger(__name__)

Messages = Sequence[Mapping[str, Any]]

_RETRY_AFTER_CAP = 60.0  # seconds; a longer Retry-After is not worth waiting for
_RETRYABLE = {"timeout", "rate_limit", "server_error", "connection", "bad_response"}

# -- errors -----------------------------------------------------------------------------------------
class LLMError(RuntimeError):
    """A model call failed for good (after retries, or at once when retrying cannot help)."""

    def __init__(self, message: str, *, kind: str, provider: str, model: str, attempts: int,
                 status_code: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.provider = provider
        self.model = model
        self.attempts = attempts
        self.status_code = status_code

    @property
    def retryable(self) -> bool:
        """Whether this kind of failure was retried (it may pass later)."""
        return self.kind in _RETRYABLE

    def __reduce__(self) -> tuple:  # picklable (a Ray worker's failure reaches the driver)
        return (_llm_error, (str(self), self.kind, self.provider, self.model, self.attempts,
                             self.status_code))


def _llm_error(message: str, kind: str, provider: str, model: str, attempts: int,
               status_code: int | None) -> LLMError:
    return LLMError(message, kind=kind, provider=provider, model=model, attempts=attempts,
                    status_code=status_code)


class LLMOutputError(ValueError):
    """The model's text does not hold the JSON that was asked for."""


class DuplicateKeyError(LLMOutputError):
    """`extract_json(..., strict=True)`: one JSON object of the answer gives a key twice."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            keys = ", ".join(dict.fromkeys(repr(p) for p, _ in pairs))
            raise DuplicateKeyError(f"the answer gives the key {k!r} twice in one object (keys {keys[:200]}); "
                                    "a JSON reader keeps only the last, so the first would be lost")
        out[k] = v
    return out


# -- JSON extraction --------------------------------------------------------------------------------
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n(.*?)(?:```|\Z)", re.DOTALL)


def _strip_trailing_commas(text: str) -> str:
    """Remove commas directly before ``}`` or ``]`` outside strings."""
    out: list[str] = []
    in_str = esc = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif c == ",":
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j >= n or text[j] not in "}]":
                out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _match_at(text: str, start: int) -> int | None:
    """End (exclusive) of the balanced ``{…}``/``[…]`` opening at ``start`` (string-aware), or
    None when it is mismatched or unterminated."""
    stack: list[str] = []
    in_str = esc = False
    for i in range(start, len(text)):
        c = text[i]
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "{[":
            stack.append("}" if c == "{" else "]")
        elif c in "}]":
            if c != stack[-1]:
                return None
            stack.pop()
            if not stack:
                return i + 1
    return None


def _balanced_spans(text: str) -> tuple[list[tuple[int, int]], int | None]:
    """Top-level balanced ``{…}``/``[…]`` spans and the first opening that never closes.

    A failed opening (a brace in prose) is skipped and scanning resumes just after it."""
    spans: list[tuple[int, int]] = []
    unterminated: int | None = None
    i, n, failures = 0, len(text), 0
    while i < n and failures < 2000:
        if text[i] in "{[":
            end = _match_at(text, i)
            if end is not None:
                spans.append((i, end))
                i = end
                continue
            failures += 1
            if unterminated is None:
                unterminated = i
        i += 1
    return spans, unterminated


def _loads(candidate: str, strict: bool = False) -> Any:
    hook = _unique_pairs if strict else None
    try:
        return json.loads(candidate, object_pairs_hook=hook)
    except json.JSONDecodeError:
        fixed = _strip_trailing_commas(candidate)
        if fixed == candidate:
            raise
        return json.loads(fixed, object_pairs_hook=hook)


def _location(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line} column {col}"


def extract_json(text: str, *, finish_reason: str | None = None, strict: bool = False) -> Any:
    """The JSON value in a model's answer, found robustly.

    Tries, in order: the whole text; fenced code blocks (```json first); the balanced ``{…}``
    (then ``[…]``) spans of the text, largest first, including ones nested in a span that does
    not parse. Trailing commas are tolerated. Raises :class:`LLMOutputError` saying where parsing
    failed and showing the first 200 characters; with `strict`, :class:`DuplicateKeyError` when
    the value found gives a key twice in one object (instead of keeping the last silently).
    """
    if not isinstance(text, str):
        raise LLMOutputError(f"expected the model's text, got {type(text).__name__}")
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise LLMOutputError("the model returned an empty answer; expected a JSON object"
                             + _cut_hint(finish_reason))
    first_error: tuple[str, json.JSONDecodeError] | None = None

    def attempt(candidate: str) -> tuple[bool, Any]:
        nonlocal first_error
        try:
            return True, _loads(candidate, strict)
        except json.JSONDecodeError as exc:
            if first_error is None:
                first_error = (candidate, exc)
            return False, None

    if stripped[0] in "{[\"" or stripped[0].isdigit() or stripped in ("true", "false", "null"):
        ok, value = attempt(stripped)
        if ok:
            return value
    fences = [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(stripped)]
    for _lang, body in sorted(fences, key=lambda f: f[0] != "json"):
        if body.strip():
            ok, value = attempt(body.strip())
            if ok and isinstance(value, (dict, list)):
                return value

    spans, unterminated = _balanced_spans(stripped)
    tried = set(spans)
    for a, b in sorted(spans, key=lambda sp: (stripped[sp[0]] != "{", sp[0] - sp[1])):
        ok, value = attempt(stripped[a:b])
        if ok:
            return value
    # slow path: an opening inside prose or a broken outer value may hide a valid one, so
    # try every opening (bounded) as a start
    extra: list[tuple[int, int]] = []
    starts = [i for i, c in enumerate(stripped) if c in "{["][:300]
    for a in starts:
        b = _match_at(stripped, a)
        if b is not None and (a, b) not in tried:
            extra.append((a, b))
    for a, b in sorted(extra, key=lambda sp: (stripped[sp[0]] != "{", sp[0] - sp[1])):
        ok, value = attempt(stripped[a:b])
        if ok:
            return value

    head = stripped[:200].replace("\n", "\\n")
    if unterminated is not None and not fences:
        raise LLMOutputError(
            f"the model's answer holds an unterminated JSON value starting at "
            f"{_location(stripped, unterminated)} (the text looks cut off){_cut_hint(finish_reason)}; "
            f"text starts: {head!r}"
        )
    if first_error is not None:
        candidate, exc = first_error
        raise LLMOutputError(
            f"the model's answer is not valid JSON: {exc.msg} at {_location(candidate, exc.pos)} "
            f"of the JSON part{_cut_hint(finish_reason)}; text starts: {head!r}"
        )
    raise LLMOutputError(f"no JSON object found in the model's answer{_cut_hint(finish_reason)}; "
                         f"text starts: {head!r}")


def _cut_hint(finish_reason: str | None) -> str:
    if finish_reason == "length":
        return " (the answer was cut off at max_tokens: finish_reason=length; raise max_tokens)"
    return ""


# -- responses and usage ----------------------------------------------------------------------------
@dataclass
class LLMResponse:
    """One model answer with its accounting.

    ``cost`` is litellm's price in USD (None when the model has no known price; 0.0 on a cache
    hit). ``attempts`` is 0 for a cache hit. Token counts of a cache hit are those of the
    original call (but :class:`Usage` does not count them as spent).
    """

    text: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None
    cached: bool = False
    latency_s: float = 0.0
    attempts: int = 1
    finish_reason: str | None = None
    structured: bool = False  # response_format was sent to the provider
    cache_key: str | None = None
    recorded_latency_s: float | None = None  # a cache hit: the original call's latency

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens (unknown counts as 0)."""
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)

    def json(self, strict: bool = False) -> Any:
        """The JSON value in :attr:`text` (see :func:`extract_json`); raises :class:`LLMOutputError`
        (with `strict`, :class:`DuplicateKeyError` for a key given twice in one object)."""
        try:
            return extract_json(self.text, finish_reason=self.finish_reason, strict=strict)
        except LLMOutputError as exc:
            raise type(exc)(f"{self.model}: {exc}") from None

    def to_record(self) -> dict[str, Any]:
        """A JSON-able record for the cache."""
        return {"text": self.text, "model": self.model, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "cost": self.cost,
                "latency_s": self.latency_s, "finish_reason": self.finish_reason,
                "structured": self.structured}

    @classmethod
    def from_record(cls, record: Mapping[str, Any], *, key: str | None = None) -> LLMResponse:
        """A cache hit built from a stored record (cost 0, attempts 0, ``cached=True``)."""
        return cls(text=str(record.get("text", "")), model=str(record.get("model", "")),
                   prompt_tokens=record.get("prompt_tokens"),
                   completion_tokens=record.get("completion_tokens"), cost=0.0, cached=True,
                   latency_s=0.0, attempts=0, finish_reason=record.get("finish_reason"),
                   structured=bool(record.get("structured", False)), cache_key=key,
                   recorded_latency_s=_float_or_none(record.get("latency_s")))


def _float_or_none(v: Any) -> float | None:
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return None


@dataclass
class Usage:
    """Accumulated accounting over calls; ``+`` and :meth:`add` sum it.

    Tokens and cost count only calls that reached the provider; cache hits add to ``calls`` and
    ``cached_calls``. ``unpriced_calls`` counts provider calls whose cost litellm did not know.
    """

    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    unpriced_calls: int = 0
    latency_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def add(self, response: LLMResponse) -> None:
        """Count one response (thread-safe)."""
        self.count(cached=response.cached, latency_s=response.latency_s,
                   prompt_tokens=response.prompt_tokens,
                   completion_tokens=response.completion_tokens, cost=response.cost)

    def count(self, *, cached: bool, latency_s: float, prompt_tokens: int | None,
              completion_tokens: int | None, cost: float | None) -> None:
        """Count one call from its figures (thread-safe): a cache hit adds to ``calls``,
        ``cached_calls`` and ``latency_s`` only."""
        with self._lock:
            self.calls += 1
            self.latency_s += latency_s
            if cached:
                self.cached_calls += 1
                return
            self.prompt_tokens += prompt_tokens or 0
            self.completion_tokens += completion_tokens or 0
            if cost is None:
                self.unpriced_calls += 1
            else:
                self.cost += cost

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(**{k: v + other.as_dict()[k] for k, v in self.as_dict().items()})

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers (for JSON output)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}


# -- the doors (formalize.llm.doors) ---------------------------------------------------------------
def _litellm() -> ModuleType:
    """Import litellm on first use, offline price map and quiet logs (see formalize.llm.doors)."""
    return doors.litellm()


def _litellm_ready() -> bool:
    return doors.litellm_ready()


def _retry_after(exc: BaseException) -> float | None:
    """Seconds from a ``Retry-After`` header on the error's response, if any."""
    headers: Any = getattr(exc, "litellm_response_headers", None) or getattr(exc, "headers", None)
    response = getattr(exc, "response", None)
    if not headers and response is not None:
        headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        millis = headers.get("retry-after-ms")
        if millis is not None:
            return float(millis) / 1000
        value = headers.get("retry-after") or headers.get("Retry-After")
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


def _clean(msg: str) -> str:
    msg = re.sub(r"\s+", " ", msg).strip()
    msg = re.sub(r"^(litellm\.)?\w*(Error|Exception|Timeout):\s*", "", msg)
    msg = re.sub(r"^(litellm\.)?\w+(Error|Exception):\s*", "", msg)
    msg = re.sub(r",? Received response - <APIResponse.*$", "", msg)
    return msg[:300]


def _response_format_payload(response_format: Any) -> Any:
    """What to send as ``response_format`` (pydantic classes go as they are; litellm converts)."""
    if isinstance(response_format, dict) and response_format.get("type") not in (
        "json_schema", "json_object", "text"
    ):
        name = re.sub(r"[^A-Za-z0-9_-]", "_", str(response_format.get("title") or "response"))[:64]
        return {"type": "json_schema",
                "json_schema": {"name": name, "schema": response_format, "strict": False}}
    return response_format


def _schema_text(response_format: Any) -> str | None:
    if isinstance(response_format, type) and hasattr(response_format, "model_json_schema"):
        return json.dumps(response_format.model_json_schema())
    if isinstance(response_format, dict):
        if response_format.get("type") == "json_schema":
            inner = response_format.get("json_schema", {})
            return json.dumps(inner.get("schema", inner))
        if response_format.get("type") in ("json_object", "text"):
            return None
        return json.dumps(response_format)
    return None


def _with_json_instruction(messages: list[dict[str, Any]], response_format: Any) -> list[dict[str, Any]]:
    """Messages plus a system instruction to answer in JSON (when no schema can be sent)."""
    schema = _schema_text(response_format)
    note = "Answer with a single JSON object only, no prose."
    if schema:
        note = ("Answer with a single JSON object only, no prose, conforming to this JSON "
                f"schema:\n{schema}")
    out = [dict(m) for m in messages]
    if out and out[0].get("role") == "system" and isinstance(out[0].get("content"), str):
        out[0]["content"] = f"{out[0]['content']}\n\n{note}"
    else:
        out.insert(0, {"role": "system", "content": note})
    return out


def _schema_rejected(exc: BaseException) -> bool:
    return bool(re.search(r"response_format|json_schema|response schema|structured output",
                          str(exc), re.IGNORECASE))


# -- the client -------------------------------------------------------------------------------------
class _Attempts:
    """Mutable state shared by the attempts of one logical call."""

    def __init__(self, send_schema: bool) -> None:
        self.count = 0
        self.send_schema = send_schema


class LLMClient:
    """Calls one configured model (through its door: plain HTTP or litellm), with cache,
    retries and accounting.

    ``cache``: a :class:`ResponseCache`, a directory, or None for the default directory
    (opened on first use). ``no_cache=True`` neither reads nor writes it. ``usage`` sums every
    response returned by this client.
    """

    def __init__(self, settings: LLMSettings, cache: ResponseCache | str | os.PathLike[str] | None = None,
                 no_cache: bool = False) -> None:
        self.settings = settings
        self.no_cache = no_cache
        self._cache = cache if isinstance(cache, ResponseCache) or cache is None else ResponseCache(cache)
        self.usage = Usage()
        self.door = doors.choose(settings)  # plain HTTP, or litellm imported on first use

    def warm(self) -> float:
        """Import the door's library now (e.g. in a thread before many concurrent calls, or
        before timed calls so they measure the model, not the client's start-up); returns the
        seconds it took."""
        started = time.perf_counter()
        self.door.load()
        return time.perf_counter() - started

    def __repr__(self) -> str:
        return f"LLMClient({self.settings.describe()!r}, no_cache={self.no_cache})"

    @property
    def cache(self) -> ResponseCache:
        """The response cache (the default one is created on first access)."""
        if self._cache is None:
            self._cache = ResponseCache()
        return self._cache

    # -- request assembly ---------------------------------------------------------------------
    @staticmethod
    def _messages(messages: Messages | str) -> list[dict[str, Any]]:
        if isinstance(messages, str):
            return [{"role": "user", "content": messages}]
        out = []
        for i, m in enumerate(messages):
            if not isinstance(m, Mapping) or "role" not in m:
                raise TypeError(f"messages[{i}] must be a mapping with 'role' and 'content', got {m!r:.80}")
            out.append(dict(m))
        if not out:
            raise ValueError("messages is empty: give at least one {'role': 'user', 'content': ...}")
        return out

    def _params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        s = self.settings
        merged: dict[str, Any] = {}
        if s.temperature is not None:
            merged["temperature"] = s.temperature
        if s.max_tokens is not None:
            merged["max_tokens"] = s.max_tokens
        merged.update(s.extra_params)
        merged.update(params)
        return {k: v for k, v in merged.items() if v is not None}

    def _key(self, messages: list[dict[str, Any]], response_format: Any, params: Mapping[str, Any],
             sample: int) -> str:
        # the structured-output mode changes what is sent (schema vs JSON instruction): part of the key
        if response_format is not None and self.settings.structured_output != "auto":
            params = {**params, "_structured_output": self.settings.structured_output}
        return cache_key(self.settings.model, messages, api_base=self.settings.api_base,
                         response_format=response_format, params=params, sample=sample)

    def _payload(self, messages: list[dict[str, Any]], response_format: Any, params: dict[str, Any],
                 send_schema: bool) -> dict[str, Any]:
        """The request for the door: the schema sent, or the prompt asking for JSON."""
        if response_format is not None and send_schema:
            return self.door.request(self.settings, messages, _response_format_payload(response_format),
                                     params)
        if response_format is not None:
            return self.door.request(self.settings, _with_json_instruction(messages, response_format),
                                     None, params)
        return self.door.request(self.settings, messages, None, params)

    def _build(self, raw: Any, state: _Attempts, started: float) -> LLMResponse:
        try:
            choice = raw.choices[0]
            text = choice.message.content or ""
            finish = getattr(choice, "finish_reason", None)
        except (AttributeError, IndexError, TypeError) as exc:
            raise self._error("bad_response", f"the answer has no message ({exc})", state.count,
                              None) from None
        usage = getattr(raw, "usage", None)
        return LLMResponse(
            text=text, model=getattr(raw, "model", None) or self.settings.model,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            cost=self.door.cost(self.settings, raw), cached=False,
            latency_s=time.perf_counter() - started, attempts=state.count, finish_reason=finish,
            structured=state.send_schema,
        )

    # -- errors ---------------------------------------------------------------------------------
    def _error(self, kind: str, detail: str, attempts: int, status: int | None) -> LLMError:
        s = self.settings
        where = s.api_base or (f"the {s.provider} API" if s.provider else "the provider")
        what = {
            "timeout": f"no answer within the {s.timeout:g} s timeout",
            "rate_limit": "rate limited (HTTP 429)",
            "server_error": f"server error (HTTP {status or '5xx'})",
            "connection": f"could not connect to {where}",
            "bad_response": "the response body was not a readable chat completion (garbage or cut off)",
            "auth": f"authentication refused (HTTP {status})" if status else "no API key was given",
            "not_found": f"model not found (HTTP {status or 404})",
            "bad_request": f"request rejected (HTTP {status or 400})",
            "context_window": "the prompt exceeds the model's context window",
        }.get(kind, "unexpected error")
        hint = {
            "timeout": f"raise the timeout (FORMALIZE_TIMEOUT or timeout in [tool.formalize]) or "
                       f"check that {where} is up and not overloaded",
            "rate_limit": "wait a minute, lower the concurrency, or raise max_retries "
                          "(FORMALIZE_MAX_RETRIES)",
            "server_error": "the provider is failing; try again later or use another model",
            "connection": f"is the server running and is {where} the right address?",
            "bad_response": f"check that {where} is an OpenAI-compatible endpoint (usually ending "
                            "in /v1) and that no proxy rewrites its answers",
            "auth": "set the provider's key (e.g. OPENAI_API_KEY, ANTHROPIC_API_KEY), "
                    "FORMALIZE_API_KEY, or api_key_env in [tool.formalize]",
            "not_found": f"check the model name {s.model!r} (for Ollama: `ollama list`; for a "
                         "local server: the name it serves under /v1/models)",
            "bad_request": "check the model name and the parameters",
            "context_window": "use a model with a larger context, or attach data as files",
        }.get(kind, "see the detail above; report it if it persists")
        attempts_txt = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        provider = s.provider or "default"
        message = (f"LLM call to {s.describe()} (provider {provider}) failed after {attempts_txt}: "
                   f"{what}. Detail: {detail}\nHint: {hint}.")
        return LLMError(message, kind=kind, provider=provider, model=s.model, attempts=attempts,
                        status_code=status)

    def _kind(self, exc: BaseException) -> str:
        return "assertion" if doors.assertion_in(exc) is not None else self.door.classify(exc)

    def _wrap(self, exc: BaseException, attempts: int) -> BaseException:
        assertion = doors.assertion_in(exc)
        if assertion is not None:
            return assertion
        kind = self._kind(exc)
        status = getattr(exc, "status_code", None)
        detail = _clean(str(getattr(exc, "message", "") or exc)) or type(exc).__name__
        root = doors.chain(exc)[-1]
        if root is not exc and str(root) and str(root) not in detail:
            detail += f" (cause: {type(root).__name__}: {_clean(str(root))[:120]})"
        return self._error(kind, f"{type(exc).__name__}: {detail}", attempts,
                           status if isinstance(status, int) else None)

    # -- retry policy ---------------------------------------------------------------------------
    def _retrying_kwargs(self) -> dict[str, Any]:
        from tenacity import retry_if_exception, stop_after_attempt, wait_exponential_jitter

        s = self.settings
        backoff = wait_exponential_jitter(multiplier=s.backoff_initial, max=s.backoff_max,
                                          jitter=s.backoff_initial)

        def wait(retry_state: Any) -> float:
            base = backoff(retry_state)
            outcome = retry_state.outcome
            exc = outcome.exception() if outcome is not None else None
            after = _retry_after(exc) if exc is not None else None
            return max(base, min(after or 0.0, _RETRY_AFTER_CAP))

        return {
            "stop": stop_after_attempt(s.max_retries + 1),
            "wait": wait,
            "retry": retry_if_exception(lambda e: self._kind(e) in _RETRYABLE),
            "reraise": True,
        }

    # -- calls ----------------------------------------------------------------------------------
    def _lookup(self, key: str, started: float) -> LLMResponse | None:
        if self.no_cache:
            return None
        record = self.cache.get(key)
        if record is None:
            return None
        resp = LLMResponse.from_record(record, key=key)
        resp.latency_s = time.perf_counter() - started
        return resp

    def _store(self, key: str, resp: LLMResponse) -> LLMResponse:
        """Cache a complete answer (an empty or cut-off one is returned but not replayed)."""
        resp.cache_key = key
        if self.no_cache or not resp.text.strip() or resp.finish_reason == "length":
            return resp
        self.cache.put(key, resp.to_record(), model=self.settings.model)
        return resp

    def complete(self, messages: Messages | str, *, response_format: Any = None, sample: int = 0,
                 **params: Any) -> LLMResponse:
        """One chat completion (``messages`` or a single user string).

        ``response_format``: a pydantic model class, a JSON schema dict, or an OpenAI
        ``response_format`` dict; sent to the provider where supported, otherwise the prompt asks
        for JSON. ``sample`` distinguishes independent samples in the cache. ``params`` go to
        litellm (temperature, max_tokens, seed, …) and into the cache key.
        """
        from tenacity import Retrying

        started = time.perf_counter()
        msgs = self._messages(messages)
        call_params = self._params(params)
        key = self._key(msgs, response_format, call_params, sample)
        hit = self._lookup(key, started)
        if hit is not None:
            self.usage.add(hit)
            return hit
        state = _Attempts(doors.wants_schema(self.door, self.settings, response_format))

        def attempt() -> Any:
            state.count += 1
            try:
                return self.door.create(self.settings, self._payload(msgs, response_format, call_params,
                                                                     state.send_schema))
            except Exception as exc:
                if not (state.send_schema and self.door.is_bad_request(exc) and _schema_rejected(exc)):
                    raise
                log.info("%s rejected response_format (%s); asking for JSON in the prompt",
                         self.settings.model, exc)
                state.send_schema = False
                state.count += 1
                return self.door.create(self.settings, self._payload(msgs, response_format, call_params,
                                                                     False))

        try:
            raw = Retrying(**self._retrying_kwargs())(attempt)
        except Exception as exc:
            raise self._wrap(exc, state.count) from None
        resp = self._store(key, self._build(raw, state, started))
        self.usage.add(resp)
        return resp

    async def acomplete(self, messages: Messages | str, *, response_format: Any = None,
                        sample: int = 0, **params: Any) -> LLMResponse:
        """Async :meth:`complete` (litellm.acompletion; same cache, retries and accounting)."""
        from tenacity import AsyncRetrying

        started = time.perf_counter()
        msgs = self._messages(messages)
        call_params = self._params(params)
        key = self._key(msgs, response_format, call_params, sample)
        hit = self._lookup(key, started)
        if hit is not None:
            self.usage.add(hit)
            return hit
        # the door's first import happens in acreate, off the event loop
        state = _Attempts(doors.wants_schema(self.door, self.settings, response_format))

        async def attempt() -> Any:
            state.count += 1
            try:
                return await self.door.acreate(self.settings, self._payload(
                    msgs, response_format, call_params, state.send_schema))
            except Exception as exc:
                if not (state.send_schema and self.door.is_bad_request(exc) and _schema_rejected(exc)):
                    raise
                state.send_schema = False
                state.count += 1
                return await self.door.acreate(self.settings, self._payload(
                    msgs, response_format, call_params, False))

        try:
            raw = await AsyncRetrying(**self._retrying_kwargs())(attempt)
        except Exception as exc:
            raise self._wrap(exc, state.count) from None
        resp = self._store(key, self._build(raw, state, started))
        self.usage.add(resp)
        return resp

    def forget(self, response: LLMResponse) -> bool:
        """Remove a response from the cache (e.g. an answer that failed validation)."""
        if response.cache_key is None or self.no_cache:
            return False
        return self.cache.delete(response.cache_key)


def make_client(model: str | LLMClient | None, *, no_cache: bool = False,
                api_base: str | None = None) -> LLMClient:
    """The LLM client for a model string (flag > env > config; see formalize.llm.config), or the
    client itself. The one place the CLI, the program, comparison and benchmarks make one."""
    if isinstance(model, LLMClient):
        return model
    from formalize.llm.config import resolve_model

    return LLMClient(resolve_model(model, api_base=api_base), no_cache=no_cache)
