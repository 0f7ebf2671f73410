"""One silent `Highs()` instance maker for the whole of `solvers` (the backend, IIS and the
lowering's LP ranges): the copyright banner that the first `Highs()` of a process prints on
stdout is swallowed by redirecting file descriptor 1 around that first construction, so
machine-readable output (`--json`) stays clean; HiGHS's global thread pool is resized when a
different thread count is asked for. Imports nothing of `solvers`, so the lowering can use it."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from typing import Any

_lock = threading.Lock()
_banner_done = False
_threads_in_use: int | None = None


def _hp() -> Any:
    import highspy

    return highspy


@contextlib.contextmanager
def _quiet_stdout() -> Any:
    """Redirect file descriptor 1 (C-level stdout) to /dev/null for the duration."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no fd 1 (embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        with contextlib.suppress(Exception):
            ctypes.CDLL(None).fflush(None)
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def new_highs(threads: int | None = None) -> Any:
    """A silent `Highs()` instance (banner swallowed on the first construction)."""
    global _banner_done, _threads_in_use
    hp = _hp()
    with _lock:
        if not _banner_done:
            with _quiet_stdout():
                h = hp.Highs()
            _banner_done = True
        else:
            h = hp.Highs()
        h.setOptionValue("output_flag", False)
        want = int(threads) if threads else 0
        if _threads_in_use is not None and want != _threads_in_use:
            # HiGHS's global thread pool is sized once; a different size needs a reset.
            h.resetGlobalScheduler(True)
        if want:
            h.setOptionValue("threads", want)
        _threads_in_use = want
    return h


