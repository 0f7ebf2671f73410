"""Confined, bounded reading of the data files a model names (`"from": {"file": ...}`).

A model reads only
- files in its own folder and below (the folder of the model file),
- files below the folders passed as `data_dirs`,
- the files passed explicitly (`--data FILE`, `data_files=`), matched by the name the model
  writes: as given, by file name, or by a path that resolves to the same file.

Refused, with a located `data-file-refused` diagnostic naming the rule: absolute paths and `..`
components (unless they name a given file), symbolic links that lead out of the folder, anything
under /proc, /sys or /dev, and everything that is not a regular file (directories, FIFOs,
sockets, devices). A refused file is never opened, so no message can quote it. Files are opened
with O_NOFOLLOW along the resolved path (a link swapped in after the check is refused too) and
O_NONBLOCK (a FIFO cannot hang the open), checked with fstat, and read up to the
`max_data_bytes` limit (solvers.limits).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, Location, ModelError
from .limits import limit, over_limit

PSEUDO_ROOTS = ("/proc", "/sys", "/dev")
RULE = ("a model reads only files in its own folder (and below), below the data_dirs folders, and "
        "the files given with --data (data_files=)")
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


class Refused(Exception):
    """A data file that may not be read; the argument is the rule it breaks."""


@dataclass(frozen=True)
class DataFile:
    """The bytes of an admitted data file and where they came from."""

    name: str  # as the model wrote it
    path: str  # the resolved path that was read
    content: bytes


def _is_pseudo(real: str) -> bool:
    return any(real == r or real.startswith(r + "/") for r in PSEUDO_ROOTS)


def _kind(mode: int) -> str:
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return what
    return "not a regular file"


def _read_fd(fd: int, max_bytes: int, what: str, where: dict) -> bytes:
    """Read a regular file's descriptor, at most `max_bytes` (checked before and while reading)."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"it is {_kind(st.st_mode)}, not a regular file")
    if st.st_size > max_bytes:
        raise over_limit("max_data_bytes", what, st.st_size, "bytes", max_bytes, **where)
    chunks, total = [], 0
    while True:
        b = os.read(fd, min(1 << 20, max_bytes + 1 - total))
        if not b:
            break
        chunks.append(b)
        total += len(b)
        if total > max_bytes:  # it grew while we read
            raise over_limit("max_data_bytes", what, total, "bytes", max_bytes, **where)
    return b"".join(chunks)


def open_regular(path: str | os.PathLike, max_bytes: int, what: str, where: dict | None = None) -> bytes:
    """Read a file the user named (a model file, a --data file): symbolic links followed, then the
    target must be a regular file outside /proc, /sys and /dev, and at most `max_bytes` long.
    Raises Refused (the rule) or FileNotFoundError; over the size, a located ModelError."""
    real = os.path.realpath(os.fspath(path))
    if _is_pseudo(real):
        raise Refused("it lies under /proc, /sys or /dev, which are never read")
    st = os.stat(real, follow_symlinks=False)
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"it is {_kind(st.st_mode)}, not a regular file")
    try:
        fd = os.open(real, _OPEN_FLAGS | _NOFOLLOW)
    except OSError as exc:
        if exc.errno in (getattr(os, "ELOOP", -1), getattr(os, "EMLINK", -1)):
            raise Refused("it was replaced by a symbolic link while being opened") from None
        raise
    try:
        return _read_fd(fd, max_bytes, what, where or {"section": "file"})
    finally:
        os.close(fd)


def _open_below(root: str, rel: str) -> tuple[int, str]:
    """Open `rel` under the (real) folder `root`: the resolved path must stay below `root` and is
    walked component by component with O_NOFOLLOW. Returns (fd, real path)."""
    real = os.path.realpath(os.path.join(root, rel))
    if os.path.commonpath([root, real]) != root:
        raise Refused("it is a symbolic link (or lies under one) that leads out of the folder")
    if _is_pseudo(real):
        raise Refused("it lies under /proc, /sys or /dev, which are never read")
    parts = os.path.relpath(real, root).split(os.sep)
    if parts == ["."]:
        raise Refused("it names the folder itself, not a file")
    dfd = os.open(root, _DIR_FLAGS)
    try:
        for comp in parts[:-1]:
            nfd = os.open(comp, _DIR_FLAGS | _NOFOLLOW, dir_fd=dfd)
            os.close(dfd)
            dfd = nfd
        st = os.stat(parts[-1], dir_fd=dfd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):  # sockets and devices: refused before any open
            raise Refused(f"it is {_kind(st.st_mode)}, not a regular file")
        try:
            fd = os.open(parts[-1], _OPEN_FLAGS | _NOFOLLOW, dir_fd=dfd)
        except OSError as exc:
            if exc.errno == getattr(os, "ELOOP", -1):
                raise Refused("it was replaced by a symbolic link while being opened") from None
            raise
    except NotADirectoryError:
        raise Refused("a folder on its path was replaced while being opened") from None
    finally:
        os.close(dfd)
    return fd, real


def _given_match(name: str, files: list[Path], base: Path | None) -> Path | None:
    """The --data file the model's `name` refers to, if any."""
    p = Path(name)
    for f in files:
        if name == str(f) or (len(p.parts) == 1 and p.name == f.name):
            return f
    try:
        cands = [os.path.realpath(base / p)] if base is not None and not p.is_absolute() else []
        if p.is_absolute():
            cands.append(os.path.realpath(p))
        for f in files:
            if os.path.realpath(f) in cands:
                return f
    except (OSError, ValueError):
        return None
    return None


def read_data_file(model: Any, name: str, section: str, item: str) -> DataFile:
    """The bytes of the data file `name` of `model` (located at `section`/`item`, field `from`),
    admitted by the rules above; raises a located ModelError otherwise."""
    where = {"section": section, "item": item, "field": "from"}
    max_bytes = limit("max_data_bytes", model._limits)

    def refused(rule: str) -> ModelError:
        return ModelError(Diagnostic(
            "data-file-refused", f"data file {_short(name)} is refused: {rule}; {RULE}",
            location=Location(**where),
            hint="put the file in the model's folder and name it relative to it, or pass it with --data"))

    what = f"data file {_short(name)}"
    if not isinstance(name, str) or not name.strip() or "\0" in name:
        raise refused("the name is empty or holds a NUL character")
    files = list(model._data_files)
    base = model._base_dir
    try:
        given = _given_match(name, files, base)
        if given is not None:
            content = open_regular(given, max_bytes, what, where)
            return DataFile(name, os.path.realpath(given), content)
        p = Path(name)
        if p.is_absolute():
            raise Refused("absolute paths are not read")
        if ".." in p.parts:
            raise Refused("'..' would leave the folder")
        roots = [os.path.realpath(d) for d in ([base] if base is not None else []) + list(model._data_dirs)]
        for root in roots:
            if not os.path.lexists(os.path.join(root, name)):
                continue
            fd, real = _open_below(root, name)
            try:
                return DataFile(name, real, _read_fd(fd, max_bytes, what, where))
            finally:
                os.close(fd)
    except Refused as r:
        raise refused(r.args[0]) from None
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ModelError(Diagnostic("data-read", f"cannot open {what}: {exc.strerror or type(exc).__name__}",
                                    location=Location(**where), hint="check the file and its permissions")) from None
    looked = [str(d) for d in ([base] if base is not None else []) + list(model._data_dirs)]
    looked += [f"--data {f.name}" for f in files]
    raise ModelError(Diagnostic(
        "file-not-found", f"{what} not found (looked in: {', '.join(looked) or 'nowhere: the model has no folder'})",
        location=Location(**where),
        hint="check the name, put the file next to the model, or pass it with --data (data_files=) / data_dirs"))


def check_given_file(path: str | os.PathLike, what: str = "--data file") -> None:
    """Refuse a user-given data file early (CLI arguments): it must be a regular file outside
    /proc, /sys and /dev within the size limit. Raises Refused or OSError."""
    real = os.path.realpath(os.fspath(path))
    if _is_pseudo(real):
        raise Refused("files under /proc, /sys and /dev are never read")
    st = os.stat(real)
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"it is {_kind(st.st_mode)}, not a regular file")
    max_bytes = limit("max_data_bytes")
    if st.st_size > max_bytes:
        raise Refused(f"it has {st.st_size:,} bytes, over the limit of {max_bytes:,} (max_data_bytes)")
    bad = _first_bad_utf8(real)
    if bad is not None:
        raise Refused(f"it is not UTF-8: {bad}; save it as UTF-8")


def _first_bad_utf8(path: str) -> str | None:
    """Where the file stops being UTF-8 ("byte 21 (line 1) is 0xff"), read in chunks; None if it is."""
    import codecs

    dec = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 1  # bytes and lines before this chunk
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            tail = dec.getstate()[0]  # an incomplete character carried over (holds no newline)
            try:
                dec.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = tail + chunk
                line = lines + data.count(b"\n", 0, exc.start)
                return f"byte {offset - len(tail) + exc.start} (line {line}) is 0x{data[exc.start]:02x}"
            if not chunk:
                return None
            lines += chunk.count(b"\n")
            offset += len(chunk)


def decode(data: DataFile, where: dict) -> str:
    """The text of a data file (UTF-8, a BOM allowed); a bad byte is located by offset and line."""
    try:
        return data.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        off = exc.start
        line = data.content.count(b"\n", 0, off) + 1
        raise ModelError(Diagnostic(
            "data-encoding", f"data file {_short(data.name)} is not UTF-8: byte {off} (line {line}) is "
            f"0x{data.content[off]:02x}", location=Location(**where),
            hint="save the file as UTF-8")) from None


def _short(x: Any, n: int = 80) -> str:
    s = repr(x)
    return s if len(s) <= n else s[: n - 3] + "..."
