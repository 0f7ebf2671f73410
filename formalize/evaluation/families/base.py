"""Shared pieces of the problem families: the instance record, the family record, text helpers."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FamilyInstance:
    """One generated problem: its plain-English text and the formal model that solves it.

    `model` follows docs/model-format.md with all data inline (`values`). `known_optimum` is the
    optimal objective computed by an algorithm independent of the solvers (dynamic programming,
    the Hungarian method, a min-cost flow, brute force), or None when none is cheap enough.
    `dims` records the actual dimensions the size was mapped to (e.g. sources and sinks).
    `optimum_method` says how `known_optimum` was derived; `bound` is a relaxation bound on the
    optimum (`bound_kind` names it, e.g. "LP relaxation"), so :attr:`integrality_gap` tells how
    far the optimum is from what a short certificate (the relaxation) proves.
    """

    family: str
    size: int
    seed: int
    text: str
    model: dict[str, Any]
    known_optimum: float | None = None
    dims: dict[str, int] = field(default_factory=dict)
    optimum_method: str = ""
    bound: float | None = None
    bound_kind: str = ""

    @property
    def integrality_gap(self) -> float | None:
        """|optimum - bound| / max(1, |optimum|), or None when either is unknown."""
        if self.known_optimum is None or self.bound is None:
            return None
        return abs(self.known_optimum - self.bound) / max(1.0, abs(self.known_optimum))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "family": self.family,
            "size": self.size,
            "seed": self.seed,
            "dims": dict(self.dims),
            "text": self.text,
            "model": self.model,
            "known_optimum": self.known_optimum,
            "optimum_method": self.optimum_method,
            "bound": self.bound,
            "bound_kind": self.bound_kind,
            "integrality_gap": self.integrality_gap,
        }


Generator = Callable[[int, int], FamilyInstance]


@dataclass(frozen=True)
class Family:
    """A parametric problem family: a name, what `size` means, its generator, and the backend
    to solve it with (`solvers.solve(model, backend=family.backend)`)."""

    name: str
    description: str
    size_meaning: str
    problem_class: str  # LP or MILP: the class solvers.check_model infers for the model
    min_size: int
    generator: Generator
    backend: str = "auto"  # the solvers.solve backend that proves optimality at sweep sizes
    default_sizes: tuple[int, ...] = (5, 10, 20, 40, 80)  # a sweep ladder that suits the family
    trace: str | None = None  # the hand-run procedure of the "trace" variant, if any
    hard: bool = False  # no short certificate of optimality (see the module docstrings)

    def generate(self, size: int, seed: int = 0) -> FamilyInstance:
        """The instance of this family for (size, seed); deterministic in both."""
        _check_int("size", size, self.name)
        _check_int("seed", seed, self.name)
        if size < self.min_size:
            raise ValueError(
                f"family {self.name!r}: size {size} is too small; the smallest size is "
                f"{self.min_size} ({self.size_meaning})"
            )
        return self.generator(size, seed)


def _check_int(what: str, value: object, family: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"family {family!r}: {what} must be an int, got {type(value).__name__} {value!r}"
        )


def make_rng(family: str, size: int, seed: int) -> random.Random:
    """A private generator seeded from (family, size, seed): string seeds hash with SHA-512, so
    the stream does not depend on PYTHONHASHSEED, and different sizes get independent data."""
    return random.Random(f"formalize.evaluation.families:{family}:{size}:{seed}")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with right-aligned columns separated by two spaces."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def join_words(words: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def lp_relaxation(model: dict[str, Any], time_limit: float = 60.0) -> float | None:
    """The optimum of the model's LP relaxation (binary -> [0, 1], integer -> real), solved by
    HiGHS; None when it does not solve to optimality (a bound, for the integrality gap)."""
    import copy

    import solvers

    relaxed = copy.deepcopy(model)
    for spec in relaxed.get("variables", {}).values():
        domain = str(spec.get("domain", "real")).lower()
        if domain in ("binary", "bool", "boolean"):
            spec["domain"] = "real"
            spec["lb"] = spec.get("lb", 0) if spec.get("lb") is not None else 0
            spec["ub"] = spec.get("ub", 1) if spec.get("ub") is not None else 1
        elif domain in ("integer", "int", "integers"):
            spec["domain"] = "real"
    sol = solvers.solve(relaxed, backend="highs", time_limit=time_limit, iis=False, duals=False)
    return float(sol.objective) if sol.status.value == "optimal" and sol.objective is not None \
        else None
