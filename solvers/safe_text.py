"""Text safe to show on a terminal: the one sanitizer for everything formalize prints.

Names, set elements, descriptions, data-file values and messages come from model files and LLM
answers; printed raw, an escape sequence can clear the screen and paint a fake green "ALL CHECKS
PASSED", a carriage return or backspace can overwrite what came before, and bidi controls
(U+202E) can make text read differently from what it is. `safe_text` replaces every character
Python does not call printable — C0 and C1 controls (ESC, CR, BS, BEL, CSI U+009B, ...), DEL,
format characters (bidi embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069,
zero-width U+200B–U+200F, U+2060, BOM U+FEFF, soft hyphen), line and paragraph separators,
unusual spaces, private-use, unassigned and lone-surrogate code points — by its visible escape
(`\\x1b`, `\\u202e`), the way `repr` writes it. Tabs and newlines are kept unless
`newlines=False` (for one-line fields: a name must not start a fake line). The result contains
only printable characters and escapes, so applying it twice changes nothing. Rich markup escaping
is a different matter (brackets) and is not enough on its own.
"""

from __future__ import annotations

from typing import Any

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    o = ord(ch)
    if o < 0x100:
        return f"\\x{o:02x}"
    if o < 0x10000:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


def safe_text(text: Any, newlines: bool = True) -> str:
    """`text` (made a str) with every non-printable character shown as its escape; newlines and
    tabs kept when `newlines` (multi-line output), escaped otherwise (names, one-line fields)."""
    s = text if isinstance(text, str) else str(text)
    if s.isprintable():
        return s
    keep = "\n\t" if newlines else ""
    return "".join(ch if ch.isprintable() or ch in keep else _escape(ch) for ch in s)


def safe_line(text: Any) -> str:
    """`safe_text(text, newlines=False)`: one line, whatever `text` holds."""
    return safe_text(text, newlines=False)
