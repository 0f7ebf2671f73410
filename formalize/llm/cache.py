"""Persistent on-disk response cache (SQLite in WAL mode) for LLM calls.

Reproducible runs and no double cost: a request is keyed by :func:`cache_key` (sha256 of the
canonical JSON of model, api_base, messages, response-format schema, parameters and sample
index) and its response stored as JSON. Safe for several threads (one connection behind a lock)
and several processes (WAL + busy timeout). Default directory: ``$FORMALIZE_CACHE_DIR``, else
``$XDG_CACHE_HOME/formalize``, else ``~/.cache/formalize``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["CacheError", "ResponseCache", "cache_key", "canonical_json", "default_cache_dir",
           "schema_of"]

KEY_VERSION = 1
DB_NAME = "responses.sqlite3"


class CacheError(RuntimeError):
    """The cache file cannot be opened or used; the message names the file and the fix."""


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$FORMALIZE_CACHE_DIR`` or ``$XDG_CACHE_HOME/formalize`` or ``~/.cache/formalize``."""
    env = os.environ if env is None else env
    if env.get("FORMALIZE_CACHE_DIR"):
        return Path(env["FORMALIZE_CACHE_DIR"]).expanduser()
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]).expanduser() / "formalize"
    return Path.home() / ".cache" / "formalize"


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, non-JSON values via ``str``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def schema_of(response_format: Any) -> Any:
    """A JSON-able description of a response format (pydantic class → its JSON schema)."""
    if response_format is None:
        return None
    if isinstance(response_format, type) and hasattr(response_format, "model_json_schema"):
        return {"pydantic": response_format.__name__, "schema": response_format.model_json_schema()}
    return response_format


def cache_key(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    api_base: str | None = None,
    response_format: Any = None,
    params: Mapping[str, Any] | None = None,
    sample: int = 0,
) -> str:
    """sha256 hex digest identifying one request (``params``: temperature, max_tokens, …)."""
    payload = {
        "v": KEY_VERSION,
        "model": model,
        "api_base": (api_base or "").rstrip("/") or None,
        "messages": [dict(m) for m in messages],
        "response_format": schema_of(response_format),
        "params": {k: v for k, v in (params or {}).items() if v is not None},
        "sample": int(sample),
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


class ResponseCache:
    """A key → JSON-record store in ``<directory>/responses.sqlite3``.

    The database is opened on first use; :meth:`close` releases it.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, *, filename: str = DB_NAME):
        self.directory = Path(directory).expanduser() if directory is not None else default_cache_dir()
        self.path = self.directory / filename
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"

    def _fail(self, what: str, exc: BaseException) -> CacheError:
        return CacheError(
            f"response cache {self.path}: {what} ({exc}). Set FORMALIZE_CACHE_DIR to a writable "
            "directory, delete the file if it is corrupt, or run with --no-cache."
        )

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False,
                                       isolation_level=None)
                conn.execute("PRAGMA busy_timeout=30000")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, "
                    "created REAL NOT NULL, record TEXT NOT NULL)"
                )
            except (OSError, sqlite3.Error) as exc:
                raise self._fail("cannot open", exc) from exc
            self._conn = conn
        return self._conn

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored record for ``key``, or None."""
        with self._lock:
            try:
                row = self._connection().execute(
                    "SELECT record FROM responses WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                raise self._fail("read failed", exc) from exc
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except json.JSONDecodeError:  # a damaged row is a miss, not a crash
            return None

    def put(self, key: str, record: Mapping[str, Any], *, model: str | None = None) -> None:
        """Store ``record`` (JSON-able) under ``key``, replacing any previous one."""
        data = canonical_json(dict(record))
        with self._lock:
            try:
                self._connection().execute(
                    "INSERT OR REPLACE INTO responses (key, model, created, record) VALUES (?,?,?,?)",
                    (key, model, time.time(), data),
                )
            except sqlite3.Error as exc:
                raise self._fail("write failed", exc) from exc

    def delete(self, key: str) -> bool:
        """Forget ``key``; True if it was stored."""
        with self._lock:
            try:
                cur = self._connection().execute("DELETE FROM responses WHERE key = ?", (key,))
            except sqlite3.Error as exc:
                raise self._fail("delete failed", exc) from exc
            return cur.rowcount > 0

    def clear(self) -> int:
        """Remove every entry; returns how many there were."""
        with self._lock:
            try:
                cur = self._connection().execute("DELETE FROM responses")
            except sqlite3.Error as exc:
                raise self._fail("clear failed", exc) from exc
            return cur.rowcount

    def __len__(self) -> int:
        with self._lock:
            try:
                return int(self._connection().execute("SELECT COUNT(*) FROM responses").fetchone()[0])
            except sqlite3.Error as exc:
                raise self._fail("count failed", exc) from exc

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def close(self) -> None:
        """Close the database connection (it reopens on next use)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
