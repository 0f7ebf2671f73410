"""Located diagnostics: every problem in a model is reported with where it is and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Location:
    """Where a diagnostic points: a model section, an item, an instance index, a column."""

    section: str | None = None  # "sets", "params", "variables", "objective", "constraints", "data"
    item: str | None = None  # the set/param/variable/constraint name
    field: str | None = None  # "expr", "forall", "lb", "values", ...
    index: tuple | None = None  # the instance index, e.g. ("seattle", "ny")
    column: int | None = None  # 1-based column in the expression string
    symbol: str | None = None  # the offending symbol

    def __str__(self) -> str:
        parts: list[str] = []
        if self.section:
            parts.append(self.section)
        if self.item is not None:
            name = self.item
            if self.index is not None:
                name += "[" + ", ".join(str(i) for i in self.index) + "]"
            parts.append(repr(name) if " " in name else name)
        if self.field:
            parts.append(self.field)
        if self.column is not None:
            parts.append(f"col {self.column}")
        return " ".join(parts) if parts else "model"


@dataclass(frozen=True)
class Diagnostic:
    """One located finding of a check."""

    code: str  # stable machine-readable code, e.g. "undeclared-symbol"
    message: str
    severity: Severity = "error"
    location: Location = field(default_factory=Location)
    hint: str | None = None

    def __str__(self) -> str:
        """One line, safe for a terminal (control and bidi characters shown as escapes)."""
        from .safe_text import safe_line

        text = f"{self.severity}: {self.location}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return safe_line(text)

    def to_dict(self) -> dict:
        loc = self.location
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "location": {
                "section": loc.section,
                "item": loc.item,
                "field": loc.field,
                "index": list(loc.index) if loc.index is not None else None,
                "column": loc.column,
                "symbol": loc.symbol,
            },
            "text": str(self),
        }


class ModelError(Exception):
    """A model that cannot be loaded, checked or solved; carries located diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def error(code: str, message: str, hint: str | None = None, **where) -> Diagnostic:
    """Shorthand for an error diagnostic at a location given by keyword arguments."""
    return Diagnostic(code=code, message=message, severity="error", location=Location(**where), hint=hint)


def warning(code: str, message: str, hint: str | None = None, **where) -> Diagnostic:
    """Shorthand for a warning diagnostic."""
    return Diagnostic(code=code, message=message, severity="warning", location=Location(**where), hint=hint)
