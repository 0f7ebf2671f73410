"""OpenAI-compatible chat completions over plain HTTP/1.1, with the standard library only.

The door of ``openai/...`` models (`formalize.llm.doors.OpenAIDoor`) sends its requests with
:func:`post` (from a thread) and :func:`apost` (from an event loop): a JSON body out; the status,
headers and body back, over kept-alive connections (one pool per process for threads, one per
event loop for coroutines; a pooled connection the server has closed is replaced once). Importing
this costs milliseconds where the openai SDK costs ~0.8 s.

- TLS verifies against ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set, else certifi's bundle (as
  httpx does), else the system's certificates.
- ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` are honoured for ``http://``
  proxies (a proxied request from a coroutine runs in a thread).
- The timeout bounds connecting and each wait for the server's bytes (as httpx's does).
- Every failure is a :class:`TransportError` naming the URL: :class:`ConnectFailed`,
  :class:`TimedOut`, :class:`UnreadableResponse`, :class:`HTTPStatusError`, :class:`BadEndpoint`.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.client
import os
import sys
import threading
import weakref
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:  # asyncio is imported by the coroutines only (a CLI run never needs it)
    import asyncio

MAX_BODY = 64 * 1024 * 1024  # bytes; a chat completion is far smaller
_MAX_HEADERS = 200
_IDLE_PER_HOST = 32


# ----------------------------------------------------------------------------------------- errors
class TransportError(Exception):
    """A request to an OpenAI-compatible endpoint failed; the message names the URL."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


class ConnectFailed(TransportError):
    """No connection (refused, unknown host, TLS refused) or it broke while sending/receiving."""


class TimedOut(TransportError):
    """The server sent nothing within the timeout (while connecting or waiting for bytes)."""


class UnreadableResponse(TransportError):
    """The answer is not a readable HTTP message / chat completion (garbage, cut off, closed)."""


class BadEndpoint(TransportError):
    """The address or proxy cannot be used at all (no request was sent)."""


class HTTPStatusError(TransportError):
    """The server answered with an HTTP error status; `error_text` is its own words."""

    def __init__(self, status_code: int, message: str, url: str, headers: Mapping[str, str],
                 code: Any = None) -> None:
        extra = f" (code {code})" if code not in (None, "", status_code, str(status_code)) else ""
        super().__init__(f"HTTP {status_code} from {url}: {message}{extra}", url)
        self.status_code = status_code
        self.error_text = message  # the server's own words
        self.headers = dict(headers)  # lower-case names (Retry-After is read from here)


class Reply(NamedTuple):
    """One HTTP answer: status, headers (lower-case names) and the decoded body."""

    status: int
    headers: dict[str, str]
    body: bytes


# ----------------------------------------------------------------------------------------- target
class _Target(NamedTuple):
    url: str
    scheme: str
    host: str
    port: int
    path: str  # what goes on the request line
    proxy: tuple[str, int, str | None] | None  # host, port, Proxy-Authorization

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.scheme, self.host, self.port, self.proxy)


def _target(url: str) -> _Target:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise BadEndpoint(f"{url!r} is not an http:// or https:// URL (write the api_base like "
                          "http://127.0.0.1:8000/v1 or https://api.openai.com/v1)", url)
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise BadEndpoint(f"{url!r} has a bad port ({exc})", url) from None
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    proxy = _proxy_for(scheme, parts.hostname, url)
    if proxy is not None and scheme == "http":
        path = url  # a plain-HTTP proxy takes the absolute URL on the request line
    return _Target(url, scheme, parts.hostname, port, path, proxy)


def _proxy_for(scheme: str, host: str, url: str) -> tuple[str, int, str | None] | None:
    if not any(k.lower().endswith("_proxy") for k in os.environ):
        return None  # the common case: no proxy, no urllib.request import
    import urllib.request

    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if p.scheme.lower() != "http" or not p.hostname:
        raise BadEndpoint(f"the proxy {proxy!r} (from the {scheme.upper()}_PROXY / ALL_PROXY "
                          "environment) is not an http:// proxy; only http:// proxies are supported "
                          "here (unset it, add the host to NO_PROXY, or use door = \"litellm\")", url)
    auth = None
    if p.username is not None:
        token = f"{unquote(p.username)}:{unquote(p.password or '')}".encode()
        auth = "Basic " + base64.b64encode(token).decode("ascii")
    return p.hostname, p.port or 80, auth


@functools.lru_cache(maxsize=4)
def _tls_context(cafile: str | None, capath: str | None) -> Any:
    import ssl

    if not cafile and not capath:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:  # the system's certificates
            pass
    return ssl.create_default_context(cafile=cafile, capath=capath)


def _tls(url: str) -> Any:
    cafile, capath = os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None
    try:
        return _tls_context(cafile, capath)
    except OSError as exc:
        raise BadEndpoint(f"cannot load the TLS certificates ({exc}; check SSL_CERT_FILE / "
                          "SSL_CERT_DIR)", url) from None


# ----------------------------------------------------------------------------------------- errors
@contextlib.contextmanager
def _failures(url: str, timeout: float, doing: str) -> Iterator[None]:
    """Turn the standard library's exceptions into `TransportError`s saying what was going on."""
    aio = sys.modules.get("asyncio")
    timeouts: tuple[type[BaseException], ...] = (TimeoutError,)
    cut: tuple[type[BaseException], ...] = (http.client.IncompleteRead,)
    garbled: tuple[type[BaseException], ...] = (http.client.HTTPException,)
    if aio is not None:
        timeouts, cut, garbled = ((*timeouts, aio.TimeoutError), (*cut, aio.IncompleteReadError),
                                  (*garbled, aio.LimitOverrunError))
    try:
        yield
    except TransportError:
        raise
    except timeouts as exc:
        raise TimedOut(f"no answer from {url} within {timeout:g} s ({doing})", url) from exc
    except cut as exc:
        got = len(exc.partial)  # type: ignore[attr-defined]
        expected = exc.expected or 0  # type: ignore[attr-defined]
        more = expected if isinstance(exc, http.client.IncompleteRead) else expected - got
        raise UnreadableResponse(f"the body from {url} was cut off after {got} bytes ({more} more "
                                 "were announced)", url) from exc
    except http.client.RemoteDisconnected as exc:
        raise UnreadableResponse(f"{url} closed the connection without an answer ({doing})", url) from exc
    except garbled as exc:
        raise UnreadableResponse(f"the answer from {url} is not a readable HTTP message "
                                 f"({type(exc).__name__}: {exc})", url) from exc
    except OSError as exc:
        name = type(exc).__name__
        if name == "SSLCertVerificationError":
            raise ConnectFailed(f"the TLS certificate of {url} is not trusted ({exc}); set "
                                "SSL_CERT_FILE to the CA bundle that signed it", url) from exc
        raise ConnectFailed(f"{doing} {url} failed: {name}: {exc}", url) from exc


def _head(target: _Target, payload: bytes, headers: Mapping[str, str]) -> dict[str, str]:
    out = {"Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
           "Content-Type": "application/json", "Accept": "application/json",
           "Accept-Encoding": "identity", "Content-Length": str(len(payload))}
    out.update(headers)
    if target.proxy is not None and target.scheme == "http" and target.proxy[2]:
        out["Proxy-Authorization"] = target.proxy[2]
    for k, v in out.items():
        if "\r" in v or "\n" in v or "\r" in k or "\n" in k:
            raise BadEndpoint(f"the header {k!r} holds a line break (an API key read with its "
                              "newline?); remove it", target.url)
    return out


def _decode(reply: Reply, url: str) -> Reply:
    enc = reply.headers.get("content-encoding", "identity").lower().strip()
    if enc in ("", "identity"):
        return reply
    if enc not in ("gzip", "deflate", "x-gzip"):
        raise UnreadableResponse(f"{url} sent a body in {enc!r} encoding (asked for identity)", url)
    import zlib

    try:
        body = zlib.decompress(reply.body, 47 if enc != "deflate" else 15)
    except zlib.error as exc:
        raise UnreadableResponse(f"the {enc} body from {url} does not decompress ({exc})", url) from None
    return reply._replace(body=body)


# ----------------------------------------------------------------------------------------- threads
_POOL: dict[tuple[Any, ...], list[http.client.HTTPConnection]] = {}
_POOL_LOCK = threading.Lock()
_POOL_PID = os.getpid()  # a forked child does not share its parent's connections


def _stale(conn: http.client.HTTPConnection) -> bool:
    """An idle connection with something to read has been closed (or spoiled) by the server."""
    import select

    sock = conn.sock
    if sock is None:
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _take(key: tuple[Any, ...]) -> http.client.HTTPConnection | None:
    global _POOL_PID
    while True:
        with _POOL_LOCK:
            if os.getpid() != _POOL_PID:
                _POOL.clear()
                _POOL_PID = os.getpid()
            idle = _POOL.get(key)
            conn = idle.pop() if idle else None
        if conn is None or not _stale(conn):
            return conn
        conn.close()


def _give(key: tuple[Any, ...], conn: http.client.HTTPConnection) -> None:
    with _POOL_LOCK:
        idle = _POOL.setdefault(key, [])
        if len(idle) < _IDLE_PER_HOST:
            idle.append(conn)
            return
    conn.close()


def _connect(t: _Target, timeout: float) -> http.client.HTTPConnection:
    conn: http.client.HTTPConnection
    if t.proxy is not None:
        host, port, auth = t.proxy
        if t.scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=_tls(t.url))
            conn.set_tunnel(t.host, t.port, headers={"Proxy-Authorization": auth} if auth else None)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
    elif t.scheme == "https":
        conn = http.client.HTTPSConnection(t.host, t.port, timeout=timeout, context=_tls(t.url))
    else:
        conn = http.client.HTTPConnection(t.host, t.port, timeout=timeout)
    with _failures(t.url, timeout, "connecting to"):
        conn.connect()
    return conn


def post(url: str, payload: bytes, headers: Mapping[str, str], timeout: float) -> Reply:
    """POST `payload` (JSON) to `url` and read the whole answer; raises `TransportError`."""
    t = _target(url)
    head = _head(t, payload, headers)
    for fresh in (False, True):
        conn = None if fresh else _take(t.key)
        reused = conn is not None
        if conn is None:
            conn = _connect(t, timeout)
        elif conn.sock is not None:
            conn.sock.settimeout(timeout)
        try:
            try:
                conn.putrequest("POST", t.path, skip_host=True, skip_accept_encoding=True)
                for k, v in head.items():
                    conn.putheader(k, v)
                conn.endheaders(payload)
                resp = conn.getresponse()
            except (OSError, http.client.BadStatusLine) as exc:
                if reused and not isinstance(exc, TimeoutError):
                    conn.close()  # the server closed the kept-alive connection: once more, afresh
                    continue
                raise
            with _failures(url, timeout, "reading the answer of"):
                length = resp.length
                if length is not None and length > MAX_BODY:
                    raise UnreadableResponse(f"{url} announced a body of {length} bytes "
                                             f"(more than {MAX_BODY})", url)
                body = resp.read()
            reply = Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
        except BaseException as exc:
            conn.close()
            with _failures(url, timeout, "waiting for"):
                raise exc
            raise  # pragma: no cover - _failures always raises
        if resp.will_close:
            conn.close()
        else:
            _give(t.key, conn)
        return _decode(reply, url)
    raise ConnectFailed(f"{url} closed two connections in a row without an answer", url)


# ----------------------------------------------------------------------------------------- asyncio
_Conn = tuple["asyncio.StreamReader", "asyncio.StreamWriter"]
_APOOLS: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], list[_Conn]]] = weakref.WeakKeyDictionary()


def _apool() -> dict[tuple[Any, ...], list[_Conn]]:
    import asyncio

    loop = asyncio.get_running_loop()
    pool = _APOOLS.get(loop)
    if pool is None:
        pool = _APOOLS[loop] = {}
    return pool


def _atake(pool: dict[tuple[Any, ...], list[_Conn]], key: tuple[Any, ...]) -> _Conn | None:
    idle = pool.get(key)
    while idle:
        reader, writer = idle.pop()
        if reader.at_eof() or writer.is_closing() or getattr(reader, "_buffer", None):
            writer.close()
            continue
        return reader, writer
    return None


def _agive(pool: dict[tuple[Any, ...], list[_Conn]], key: tuple[Any, ...], conn: _Conn) -> None:
    idle = pool.setdefault(key, [])
    if len(idle) < _IDLE_PER_HOST:
        idle.append(conn)
    else:
        conn[1].close()


async def _aconnect(t: _Target, timeout: float) -> _Conn:
    import asyncio

    tls = _tls(t.url) if t.scheme == "https" else None
    with _failures(t.url, timeout, "connecting to"):
        return await asyncio.wait_for(asyncio.open_connection(
            t.host, t.port, ssl=tls, server_hostname=t.host if tls else None,
            limit=1 << 20), timeout)


async def _aread(reader: asyncio.StreamReader, timeout: float, url: str) -> tuple[Reply, bool]:
    """Read one HTTP/1.1 answer; (reply, whether the connection can be kept)."""
    import asyncio

    async def line() -> bytes:
        try:
            return await asyncio.wait_for(reader.readuntil(b"\n"), timeout)
        except asyncio.IncompleteReadError as exc:
            return exc.partial

    async def exactly(n: int) -> bytes:
        return await asyncio.wait_for(reader.readexactly(n), timeout)

    def bad(what: str) -> UnreadableResponse:
        return UnreadableResponse(f"the answer from {url} is not a readable HTTP message ({what})", url)

    while True:
        status_line = await line()
        if not status_line:
            raise http.client.RemoteDisconnected("closed before the status line")
        parts = status_line.decode("latin-1").split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise bad(f"status line {status_line[:80]!r}")
        version, status = parts[0], int(parts[1])
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS):
            raw = await line()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep:
                raise bad(f"header line {raw[:80]!r}")
            name = name.strip().lower()
            headers[name] = f"{headers[name]}, {value.strip()}" if name in headers else value.strip()
        else:
            raise bad(f"more than {_MAX_HEADERS} header lines")
        if not 100 <= status < 200:
            break
    keep = version == "HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks, total = [], 0
        while True:
            size_line = await line()
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise bad(f"chunk size {size_line[:40]!r}") from None
            if size == 0:
                while (await line()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            total += size
            if total > MAX_BODY:
                raise bad(f"a body of more than {MAX_BODY} bytes")
            chunks.append(await exactly(size))
            await exactly(2)
        body = b"".join(chunks)
    elif "content-length" in headers:
        try:
            n = int(headers["content-length"].split(",")[0])
        except ValueError:
            raise bad(f"Content-Length {headers['content-length']!r}") from None
        if n > MAX_BODY:
            raise bad(f"a body of {n} bytes announced")
        body = await exactly(n)
    elif status in (204, 304):
        body = b""
    else:  # delimited by the end of the connection
        body = await asyncio.wait_for(reader.read(MAX_BODY + 1), timeout)
        keep = False
        if len(body) > MAX_BODY:
            raise bad(f"a body of more than {MAX_BODY} bytes")
    return Reply(status, headers, body), keep


async def apost(url: str, payload: bytes, headers: Mapping[str, str], timeout: float) -> Reply:
    """:func:`post` on the running event loop (connections pooled per loop)."""
    import asyncio

    t = _target(url)
    if t.proxy is not None:  # CONNECT tunnels are left to http.client, in a thread
        return await asyncio.to_thread(post, url, payload, headers, timeout)
    head = _head(t, payload, headers)
    request = "".join([f"POST {t.path} HTTP/1.1\r\n", *(f"{k}: {v}\r\n" for k, v in head.items()),
                       "\r\n"]).encode("latin-1") + payload
    pool = _apool()
    for fresh in (False, True):
        conn = None if fresh else _atake(pool, t.key)
        reused = conn is not None
        if conn is None:
            conn = await _aconnect(t, timeout)
        reader, writer = conn
        try:
            try:
                writer.write(request)
                await asyncio.wait_for(writer.drain(), timeout)
                reply, keep = await _aread(reader, timeout, url)
            except (OSError, http.client.RemoteDisconnected) as exc:
                if reused and not isinstance(exc, TimeoutError):
                    writer.close()  # the server closed the kept-alive connection: once more, afresh
                    continue
                raise
        except BaseException as exc:  # including cancellation: the connection is spoiled
            writer.close()
            if not isinstance(exc, Exception):
                raise
            with _failures(url, timeout, "waiting for"):
                raise
            raise  # pragma: no cover - _failures always raises
        if keep:
            _agive(pool, t.key, conn)
        else:
            writer.close()
        return _decode(reply, url)
    raise ConnectFailed(f"{url} closed two connections in a row without an answer", url)


__all__ = ["BadEndpoint", "ConnectFailed", "HTTPStatusError", "Reply", "TimedOut", "TransportError",
           "UnreadableResponse", "apost", "post"]
