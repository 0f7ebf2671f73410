"""Test doubles for the LLM door: :class:`ScriptedLLM`, a scripted provider behind real litellm.

``ScriptedLLM`` registers a litellm ``CustomLLM`` under the provider name ``scripted``, so a
client for ``scripted/<name>`` goes through ``litellm.completion`` / ``acompletion`` for real
(retries, error mapping, cost accounting, the cache) and only the network is replaced::

    llm = ScriptedLLM(['{"name": "x"}', "not json", scripted_error(429)])
    client = llm.client()                  # LLMClient(LLMSettings(model="scripted/test"))
    client.complete("hi").json()           # -> {"name": "x"}
    llm.calls[0].messages                  # what the program sent

Queue items: a string (the answer text), a dict/list (sent as JSON text), a
:class:`ScriptedReply` (text with token counts / finish reason), an exception instance or class
(raised inside litellm; use :func:`scripted_error` for HTTP-like errors), or a callable taking
the messages and returning any of these. An empty queue raises an ``AssertionError`` naming the
call that ran out; :class:`~formalize.llm.client.LLMClient` re-raises it as it is.
Importing this module does not import litellm; creating a ``ScriptedLLM`` does.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from formalize.llm.client import LLMClient, _litellm
from formalize.llm.config import LLMSettings

__all__ = ["ScriptedCall", "ScriptedLLM", "ScriptedReply", "scripted_error", "scripted_timeout"]

PROVIDER = "scripted"


@dataclass(frozen=True)
class ScriptedReply:
    """A scripted answer with explicit accounting."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ScriptedCall:
    """One call the scripted provider received."""

    index: int
    model: str
    messages: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def response_format(self) -> Any:
        """The response_format litellm passed on (None when it was not sent)."""
        return self.params.get("response_format")

    @property
    def prompt(self) -> str:
        """All message contents joined (handy for ``in`` assertions)."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


def scripted_error(status: int, message: str = "scripted error") -> Exception:
    """An exception litellm maps like an HTTP error with ``status`` (429 → RateLimitError …)."""
    _litellm()  # first: sets the offline price map before litellm is imported
    from litellm.llms.custom_llm import CustomLLMError

    return CustomLLMError(status_code=status, message=message)


def scripted_timeout(message: str = "scripted timeout") -> Exception:
    """A ``litellm.Timeout`` (retried like a real timeout)."""
    lt = _litellm()
    return lt.Timeout(message=message, model="scripted", llm_provider=PROVIDER)


_registry: dict[str, ScriptedLLM] = {}
_registry_lock = threading.Lock()
_handler: Any = None


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _install_handler() -> None:
    """Register the single ``scripted`` CustomLLM with litellm (once per process)."""
    global _handler
    lt = _litellm()
    with _registry_lock:
        if _handler is None:
            from litellm import CustomLLM

            class _ScriptedHandler(CustomLLM):  # dispatches on the model name
                def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
                    with _registry_lock:
                        target = _registry.get(model)
                    if target is None:
                        raise AssertionError(
                            f"no ScriptedLLM named {model!r} is active (known: "
                            f"{sorted(_registry) or 'none'}); create ScriptedLLM(name={model!r})")
                    return target._answer(model, messages, kwargs.get("optional_params") or {})

                async def acompletion(self, model: str, messages: list, *args: Any,
                                      **kwargs: Any) -> Any:
                    return self.completion(model, messages, *args, **kwargs)

            _handler = _ScriptedHandler()
        entries = [e for e in (lt.custom_provider_map or []) if e.get("provider") != PROVIDER]
        entries.append({"provider": PROVIDER, "custom_handler": _handler})
        lt.custom_provider_map = entries
        if PROVIDER not in lt._custom_providers:
            lt._custom_providers.append(PROVIDER)


class ScriptedLLM:
    """A scripted model ``scripted/<name>`` answering from a queue, through real litellm.

    ``cost_per_token`` registers a price with litellm so cost accounting is exercised
    (default 0.0: cost is 0.0, not unknown). Active from creation (a later ScriptedLLM with the
    same name replaces it) until :meth:`close` or the end of a ``with`` block.
    """

    def __init__(self, responses: Iterable[Any] = (), *, name: str = "test",
                 cost_per_token: float = 0.0) -> None:
        if "/" in name or not name:
            raise ValueError(f"ScriptedLLM name must be non-empty without '/', got {name!r}")
        self.name = name
        self.calls: list[ScriptedCall] = []
        self._queue: deque[Any] = deque(responses)
        self._scripted = len(self._queue)
        self._lock = threading.Lock()
        _install_handler()
        lt = _litellm()
        lt.register_model({self.model: {
            "litellm_provider": PROVIDER, "mode": "chat", "max_tokens": 100_000,
            "max_input_tokens": 100_000, "max_output_tokens": 100_000,
            "input_cost_per_token": cost_per_token, "output_cost_per_token": cost_per_token,
            "supports_response_schema": True,
        }})
        with _registry_lock:
            _registry[name] = self

    @property
    def model(self) -> str:
        """The litellm model string, ``scripted/<name>``."""
        return f"{PROVIDER}/{self.name}"

    @property
    def remaining(self) -> int:
        """Scripted responses not yet used."""
        with self._lock:
            return len(self._queue)

    def push(self, *responses: Any) -> ScriptedLLM:
        """Append responses to the queue."""
        with self._lock:
            self._queue.extend(responses)
            self._scripted += len(responses)
        return self

    def settings(self, **changes: Any) -> LLMSettings:
        """Settings for this model: fast retries (no backoff wait) and schema always sent."""
        values: dict[str, Any] = {"model": self.model, "max_retries": 2, "timeout": 10.0,
                                  "backoff_initial": 0.0, "backoff_max": 0.0,
                                  "structured_output": "auto", "source": "ScriptedLLM"}
        values.update(changes)
        return LLMSettings(**values)

    def client(self, *, no_cache: bool = True, cache: Any = None, **changes: Any) -> LLMClient:
        """An :class:`LLMClient` for this model (no cache unless asked)."""
        return LLMClient(self.settings(**changes), cache=cache, no_cache=no_cache)

    def close(self) -> None:
        """Deactivate this script (calls to its model then fail clearly)."""
        with _registry_lock:
            if _registry.get(self.name) is self:
                del _registry[self.name]

    def __enter__(self) -> ScriptedLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ScriptedLLM({self.model!r}, calls={len(self.calls)}, remaining={self.remaining})"

    # -- called by the litellm handler ----------------------------------------------------------
    def _answer(self, model: str, messages: list, params: dict[str, Any]) -> Any:
        from litellm.types.utils import Choices, Message, ModelResponse
        from litellm.types.utils import Usage as LUsage

        msgs = [dict(m) for m in messages]
        with self._lock:
            index = len(self.calls)
            self.calls.append(ScriptedCall(index, model, msgs,
                                           {k: v for k, v in params.items() if k != "max_retries"}))
            item = self._queue.popleft() if self._queue else _EMPTY
            scripted = self._scripted
        if item is _EMPTY:
            last = str(msgs[-1].get("content", ""))[:200] if msgs else ""
            raise AssertionError(
                f"ScriptedLLM {self.model!r}: call #{index + 1} has no scripted response left "
                f"({scripted} were scripted); its last message: {last!r}")
        for _ in range(10):
            if callable(item) and not isinstance(item, type):
                item = item(msgs)
            else:
                break
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, type) and issubclass(item, BaseException):
            raise item()
        if isinstance(item, ScriptedReply):
            reply = item
        elif isinstance(item, str):
            reply = ScriptedReply(item)
        elif isinstance(item, (dict, list)):
            reply = ScriptedReply(json.dumps(item))
        else:
            raise AssertionError(f"ScriptedLLM {self.model!r}: call #{index + 1}: cannot answer "
                                 f"with a {type(item).__name__} ({item!r:.80})")
        prompt_chars = "".join(str(m.get("content", "")) for m in msgs)
        pt = reply.prompt_tokens if reply.prompt_tokens is not None else _estimate_tokens(prompt_chars)
        ct = reply.completion_tokens if reply.completion_tokens is not None else _estimate_tokens(reply.text)
        return ModelResponse(
            model=self.model,
            choices=[Choices(index=0, finish_reason=reply.finish_reason,
                             message=Message(role="assistant", content=reply.text))],
            usage=LUsage(prompt_tokens=pt, completion_tokens=ct, total_tokens=pt + ct),
        )


_EMPTY: Callable[..., Any] | object = object()
