"""Number formatting and CSV writing shared by the comparison mode's tables and files."""

from __future__ import annotations

import csv
import io
import math
from typing import Any


def jnum(x: float | None) -> float | str | None:
    """A float for JSON: None stays None, inf/nan become strings."""
    if x is None:
        return None
    return x if math.isfinite(x) else str(x)


def unjnum(x: float | str | None) -> float | None:
    """The inverse of :func:`jnum`: a JSON number (or "inf"/"nan" string) back to a float."""
    return None if x is None else float(x)


def num(v: float | None) -> str:
    """A number as a table shows it: integers without a decimal point, else 6 digits."""
    if v is None:
        return "—"
    if not math.isfinite(v):
        return str(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def pct(g: float | None) -> str:
    """A ratio as a percentage with 3 significant digits ("—" for None)."""
    if g is None:
        return "—"
    return f"{g * 100:.3g}%"


def secs(s: float | None) -> str:
    """Seconds with sensible precision: 0.004 s, 1.3 s, 250 s."""
    if s is None:
        return "—"
    if s < 0.01:
        return f"{s:.3f}"
    if s < 10:
        return f"{s:.2f}"
    return f"{s:.0f}"


def close(a: float, b: float, tol: float) -> bool:
    """|a - b| <= tol * max(1, |a|, |b|)."""
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text with a header from the first row's keys (None as an empty cell)."""
    buf = io.StringIO()
    if rows:
        fields: list[str] = []
        for r in rows:
            fields += [k for k in r if k not in fields]
        w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})
    return buf.getvalue()


def median(xs: list[float]) -> float | None:
    """The median, None for an empty list."""
    if not xs:
        return None
    s = sorted(xs)
    k = len(s) // 2
    return s[k] if len(s) % 2 else (s[k - 1] + s[k]) / 2
