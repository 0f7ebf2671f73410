"""Append-only JSONL results, shared by the benchmark runner and family sweeps.

One record per line, written with a single ``os.write`` on an ``O_APPEND`` descriptor followed by
``fsync``: a run killed at any moment leaves whole lines plus at most one cut-off last line,
which :func:`read_results` ignores (and removes with ``repair``). Records carry a ``type`` and an
``id``; the latest record of an id wins, so a re-run record replaces the one before it."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from formalize.llm.config import ConfigError


class ResultsFile:
    """Append-only JSONL results: one ``os.write`` per record on an O_APPEND fd, then fsync."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._lock = threading.Lock()

    def open(self) -> ResultsFile:
        """Open (create) the file for appending, holding its lock: a second run writing the
        same file at once (a sweep started twice) is refused, not interleaved."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX: no lock
            return self
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.close()
            raise ConfigError(f"{self.path} is being written by another run (it holds the "
                              "file's lock): let that run end, or use another --out") from None
        except OSError:  # a file system without locks (some network mounts): write unlocked
            pass
        return self

    def truncate(self) -> None:
        """Empty the file (a run started again over it), keeping the lock."""
        with self._lock:
            assert self._fd is not None, "ResultsFile.open() first"
            os.ftruncate(self._fd, 0)

    def write(self, record: dict) -> None:
        data = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock:
            assert self._fd is not None, "ResultsFile.open() first"
            view = memoryview(data)
            while view:  # os.write may store only part of it (a full disk, a signal)
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ResultsFile:
        return self if self._fd is not None else self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_results(path: str | os.PathLike[str], *, repair: bool = False,
                 types: Iterable[str] = ("problem",)) -> tuple[dict | None, dict[str, dict]]:
    """The run header (the first ``"type": "run"`` record) and the latest record per id of the
    given record ``types`` of a results file.

    A last line without its newline (a write cut off by a kill) is ignored, and removed from the
    file when ``repair`` is true. A damaged line elsewhere is an error naming it."""
    p = Path(path)
    if not p.is_file():
        return None, {}
    raw = p.read_bytes()
    good_end = raw.rfind(b"\n") + 1
    if repair and good_end < len(raw):
        with open(p, "r+b") as fh:
            fh.truncate(good_end)
            fh.flush()
            os.fsync(fh.fileno())
    wanted = set(types)
    header: dict | None = None
    records: dict[str, dict] = {}
    # split at b"\n" only: str.splitlines would also split at U+2028, U+0085 ... that JSON
    # leaves unescaped inside a string (an LLM's response may hold them)
    lines = [x.decode("utf-8", "replace") for x in raw[:good_end].split(b"\n")]
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{p}:{n}: damaged results line ({exc.msg}); remove that line and "
                              "resume") from None
        if not isinstance(r, dict):
            raise ConfigError(f"{p}:{n}: a results line must be a JSON object, got "
                              f"{type(r).__name__}; remove that line and resume")
        if r.get("type") == "run":
            header = header or r
        elif r.get("type") in wanted and "id" in r:
            records.pop(str(r["id"]), None)
            records[str(r["id"])] = r
    return header, records
