"""Freed heap memory back to the operating system before a solver copies a large model.

The lowering of a large model frees far more than it keeps (frames, codes, term lists); glibc
keeps such memory in its heap, fragmented, so the solver's own copy of the model would come on
top of it. `trim_heap` returns it (`malloc_trim(0)`): at 10⁶ variables the peak of a HiGHS solve
drops by about 130 MB (benchmarks/build_transport.py). Elsewhere (musl, macOS, Windows) it does
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Any

_libc: Any = None  # None: not looked up yet; False: no malloc_trim here


def trim_heap() -> bool:
    """Return freed heap memory to the OS (glibc's malloc_trim); False where unavailable."""
    global _libc
    if _libc is None:
        _libc = False
        if sys.platform.startswith("linux"):
            try:
                lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                lib.malloc_trim.argtypes = [ctypes.c_size_t]
                lib.malloc_trim.restype = ctypes.c_int
                _libc = lib
            except (OSError, AttributeError):  # not glibc
                _libc = False
    if _libc is False:
        return False
    _libc.malloc_trim(0)
    return True
