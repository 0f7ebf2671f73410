"""A small OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

Implements ``POST /v1/chat/completions`` (non-streaming, ``usage`` in the body) and answers
each request from a programmable queue of behaviours, falling back to a *default responder*
when the queue is empty::

    with OpenAIServer() as srv:
        srv.enqueue(error(429), reply("hello"))
        srv.default = lambda body: reply("ok", delay=1.0)   # for load tests
        ... litellm.completion(model="openai/test", api_base=srv.base_url, api_key="x") ...
        assert srv.requests[0].body["messages"][0]["content"] == "hi"

Behaviours: :func:`reply`, :func:`json_reply`, :func:`structured`, :func:`error`,
:func:`hang`, :func:`garbage`, :func:`truncated`, :func:`respond` (a callback). Every request
is recorded in :attr:`OpenAIServer.requests` (path, headers, parsed JSON body). With no
behaviour queued and no default, the server answers HTTP 400 naming the request number, so a
test that makes an unexpected call fails with a clear, non-retried error.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Union

__all__ = [
    "Behaviour",
    "OpenAIServer",
    "RecordedRequest",
    "error",
    "garbage",
    "hang",
    "json_reply",
    "reply",
    "respond",
    "structured",
    "truncated",
]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    index: int
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or the raw text when it was not JSON
    received_at: float

    @property
    def response_format(self) -> Any:
        """The ``response_format`` field of the request body, or None."""
        return self.body.get("response_format") if isinstance(self.body, dict) else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of the request body."""
        return self.body.get("messages", []) if isinstance(self.body, dict) else []


@dataclass(frozen=True)
class Behaviour:
    """What the server does with one request (build with the helper functions)."""

    kind: str  # reply | error | hang | raw | callback
    content: str = ""
    status: int = 200
    delay: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str | None = None
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    close_early: bool = False
    callback: Callable[[dict[str, Any]], BehaviourLike] | None = None
    finish_reason: str = "stop"


BehaviourLike = Union[Behaviour, str, dict, list]
Responder = Callable[[dict[str, Any]], BehaviourLike]


def reply(
    content: str,
    *,
    delay: float = 0.0,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    model: str | None = None,
    finish_reason: str = "stop",
) -> Behaviour:
    """A normal chat completion whose message content is ``content`` (after ``delay`` s).

    Token counts default to a rough estimate (characters / 4) of the request and the content.
    """
    return Behaviour(
        "reply",
        content=content,
        delay=delay,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        model=model,
        finish_reason=finish_reason,
    )


def json_reply(obj: Any, **kwargs: Any) -> Behaviour:
    """A normal answer whose content is ``obj`` serialized as JSON."""
    return reply(json.dumps(obj), **kwargs)


def structured(obj: Any, *, prose: str = "Here is the model you asked for:", **kwargs: Any) -> Behaviour:
    """Answer like a server that honours ``response_format``.

    If the request carries ``response_format`` the content is bare JSON; otherwise the JSON is
    wrapped in prose and a fenced block, as a chat model without structured output would write.
    ``obj`` may be a callable taking the request body.
    """

    def build(body: dict[str, Any]) -> Behaviour:
        value = obj(body) if callable(obj) else obj
        text = json.dumps(value)
        if isinstance(body, dict) and body.get("response_format"):
            return reply(text, **kwargs)
        return reply(f"{prose}\n```json\n{json.dumps(value, indent=2)}\n```\nHope this helps.", **kwargs)

    return Behaviour("callback", callback=build)


def error(
    status: int,
    message: str | None = None,
    *,
    retry_after: float | None = None,
    delay: float = 0.0,
    err_type: str | None = None,
) -> Behaviour:
    """An HTTP error with an OpenAI-style JSON error body."""
    msg = message or {
        400: "bad request",
        401: "invalid api key",
        404: "model not found",
        429: "rate limit exceeded, slow down",
        500: "internal server error",
        502: "bad gateway",
        503: "service unavailable",
    }.get(status, f"error {status}")
    body = json.dumps(
        {"error": {"message": msg, "type": err_type or ("rate_limit" if status == 429 else "server_error"),
                   "code": status}}
    ).encode()
    headers: tuple[tuple[str, str], ...] = ()
    if retry_after is not None:
        headers = (("Retry-After", f"{retry_after:g}"),)
    return Behaviour("raw", status=status, body=body, headers=headers, delay=delay)


def hang(seconds: float = 30.0) -> Behaviour:
    """Accept the request and send nothing for ``seconds`` (the client should time out).

    The wait ends early when the server stops, so a test never leaves a thread behind.
    """
    return Behaviour("hang", delay=seconds)


def garbage(body: bytes | str = b"<html><body>502 upstream hiccup</body></html>",
            *, status: int = 200) -> Behaviour:
    """A body that is not JSON at all, declared as ``application/json``."""
    return Behaviour("raw", status=status, body=body.encode() if isinstance(body, str) else body)


def truncated(content: str = '{"name": "transport", "sense": "minimize"}', *,
              keep: float = 0.5, close_early: bool = False) -> Behaviour:
    """A completion body cut off after ``keep`` of its bytes.

    By default the Content-Length matches the cut body (a complete HTTP message holding
    truncated JSON). With ``close_early=True`` the header announces the full length and the
    connection is closed mid-body (an incomplete HTTP message).
    """
    full = json.dumps(_completion_body(content, "test", 10, 10, "stop")).encode()
    cut = full[: max(1, int(len(full) * keep))]
    return Behaviour("raw", status=200, body=cut if not close_early else full,
                     close_early=close_early, content=str(len(cut)))


def respond(fn: Responder) -> Behaviour:
    """A behaviour computed from the request body by ``fn`` (returns a behaviour or a string)."""
    return Behaviour("callback", callback=fn)


def _completion_body(content: str, model: str, prompt_tokens: int, completion_tokens: int,
                     finish_reason: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-test-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _as_behaviour(value: BehaviourLike) -> Behaviour:
    if isinstance(value, Behaviour):
        return value
    if isinstance(value, str):
        return reply(value)
    if isinstance(value, (dict, list)):
        return json_reply(value)
    raise TypeError(f"openai_server: cannot use {type(value).__name__} as a behaviour")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Stay quiet (pytest captures stderr anyway)."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "test", "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": f"no route GET {self.path}"}})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        owner = self.server.owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = owner._record(self.command, self.path, headers, body)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route POST {self.path}"}})
            return
        behaviour = owner._next_behaviour(record)
        for _ in range(10):  # resolve callbacks (a callback may return another callback)
            if behaviour.kind != "callback" or behaviour.callback is None:
                break
            behaviour = _as_behaviour(behaviour.callback(body))
        self._perform(behaviour, body)

    def _perform(self, b: Behaviour, body: Any) -> None:
        owner = self.server.owner
        if b.kind == "hang":
            owner._stopping.wait(b.delay)
            self.close_connection = True
            return
        if b.delay and owner._stopping.wait(b.delay):
            self.close_connection = True
            return
        try:
            if b.kind == "reply":
                messages = body.get("messages", []) if isinstance(body, dict) else []
                prompt_chars = sum(len(str(m.get("content", ""))) for m in messages)
                pt = b.prompt_tokens if b.prompt_tokens is not None else max(1, prompt_chars // 4)
                ct = b.completion_tokens if b.completion_tokens is not None else max(1, len(b.content) // 4)
                model = b.model or (body.get("model") if isinstance(body, dict) else None) or "test"
                self._send_json(200, _completion_body(b.content, model, pt, ct, b.finish_reason))
            elif b.kind == "raw":
                self.send_response(b.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(b.body)))
                for k, v in b.headers:
                    self.send_header(k, v)
                self.end_headers()
                if b.close_early:
                    self.wfile.write(b.body[: int(b.content)])
                    self.wfile.flush()
                    self.close_connection = True
                else:
                    self.wfile.write(b.body)
            else:
                self._send_json(500, {"error": {"message": f"openai_server: bad behaviour {b.kind}"}})
        except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout)
            self.close_connection = True

    def _send_json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # load tests open dozens of connections at once
    owner: OpenAIServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """End keep-alive connections, so a stopped server really answers nothing more."""
        with self._open_lock:
            socks = list(self._open)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@dataclass
class OpenAIServer:
    """A threaded OpenAI-compatible server on 127.0.0.1 with a behaviour queue.

    ``default`` (a behaviour, a string, or a callable taking the request body) answers when the
    queue is empty. Use as a context manager or call :meth:`start` / :meth:`stop`.
    """

    host: str = "127.0.0.1"
    port: int = 0
    default: BehaviourLike | Responder | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    unexpected: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> OpenAIServer:
        """Bind a free port and serve in a background thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _Server((self.host, self.port), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"openai-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging and delayed requests are released at once."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_open_connections()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- programming ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (``.../v1``) to pass as ``api_base``."""
        return f"{self.url}/v1"

    def enqueue(self, *behaviours: BehaviourLike | Iterable[BehaviourLike]) -> OpenAIServer:
        """Append behaviours (strings become replies, dicts JSON replies) to the queue."""
        with self._lock:
            for b in behaviours:
                if isinstance(b, (Behaviour, str, dict)):
                    self._queue.append(_as_behaviour(b))
                else:
                    self._queue.extend(_as_behaviour(x) for x in b)
        return self

    def reset(self) -> None:
        """Clear the queue, the default responder and the recorded requests."""
        with self._lock:
            self._queue.clear()
            self.default = None
            self.requests.clear()
            self.unexpected.clear()

    @property
    def pending(self) -> int:
        """Behaviours still queued."""
        with self._lock:
            return len(self._queue)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The recorded requests to the chat completions route."""
        with self._lock:
            return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    # -- internals -----------------------------------------------------------------------------
    def _record(self, method: str, path: str, headers: dict[str, str], body: Any) -> RecordedRequest:
        with self._lock:
            rec = RecordedRequest(len(self.requests), method, path, headers, body, time.monotonic())
            self.requests.append(rec)
            return rec

    def _next_behaviour(self, record: RecordedRequest) -> Behaviour:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            default = self.default
            if default is None:
                self.unexpected.append(record)
        if default is None:
            return error(400, f"openai_server: request #{record.index + 1} arrived but no behaviour "
                              "was queued and no default responder is set", err_type="invalid_request_error")
        if callable(default) and not isinstance(default, Behaviour):
            return Behaviour("callback", callback=default)
        return _as_behaviour(default)
