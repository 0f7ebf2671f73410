"""Size limits on model input: every one documented (docs/model-format.md, "Limits"), each
configurable per model (`load_model(..., limits={...})`), by environment variable, or by a CLI flag.

| limit | default | environment variable | bounds |
|---|---|---|---|
| `max_instances` | 10,000,000 | `FORMALIZE_MAX_INSTANCES` | elements of a set, instances of a variable, entries of an indexed param, index bindings one constraint or objective term builds (forall × generators), total columns and rows |
| `max_nonzeros` | 50,000,000 | `FORMALIZE_MAX_NONZEROS` | terms of the lowered model (constraint coefficients and quadratic terms), and the pairs one product of two sums builds |
| `max_data_bytes` | 1 GiB | `FORMALIZE_MAX_DATA_BYTES` | one data file |
| `max_model_bytes` | 256 MiB | `FORMALIZE_MAX_MODEL_BYTES` | one model document, one problem text |
| `max_depth` | 64 | `FORMALIZE_MAX_DEPTH` | nesting of lists and mappings in a model document |

A limit is checked before anything of that size is allocated; going over it is a located
`ModelError` saying the size, the limit and how to raise it.
"""

from __future__ import annotations

import os
from typing import Any

from .diagnostics import Diagnostic, Location, ModelError

DEFAULTS: dict[str, int] = {
    "max_instances": 10_000_000,
    "max_nonzeros": 50_000_000,
    "max_data_bytes": 1 << 30,
    "max_model_bytes": 256 << 20,
    "max_depth": 64,
}
ENV: dict[str, str] = {k: "FORMALIZE_" + k.upper() for k in DEFAULTS}
FLAGS: dict[str, str] = {"max_instances": "--max-instances"}


def limit(name: str, overrides: dict[str, int] | None = None) -> int:
    """The value of limit `name`: a per-model override, else the environment variable, else the
    default. A malformed environment value is a `bad-limit` ModelError."""
    if overrides and overrides.get(name) is not None:
        return int(overrides[name])
    raw = os.environ.get(ENV[name])
    if raw is None or not raw.strip():
        return DEFAULTS[name]
    try:
        v = int(raw.strip().replace("_", ""))
    except ValueError:
        v = -1
    if v <= 0:
        raise ModelError(Diagnostic("bad-limit", f"{ENV[name]}={raw[:40]!r} is not a positive integer",
                                    location=Location(section="model"),
                                    hint=f"unset it for the default {DEFAULTS[name]:,}"))
    return v


def check_limits(overrides: Any) -> dict[str, int]:
    """Validate a `limits` mapping given to `load_model`; returns it as a plain dict."""
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise TypeError("limits must be a mapping such as {'max_instances': 20_000_000}")
    out = {}
    for k, v in overrides.items():
        if k not in DEFAULTS:
            raise ValueError(f"unknown limit {k!r}; known: {', '.join(DEFAULTS)}")
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(f"limit {k} must be a positive integer, got {v!r}")
        out[k] = v
    return out


def how_to_raise(name: str) -> str:
    """The hint that says how to raise a limit."""
    ways = [f"{ENV[name]}=N"]
    if name in FLAGS:
        ways.insert(0, f"{FLAGS[name]} N")
    ways.append(f"load_model(..., limits={{'{name}': N}})")
    return "raise the limit with " + ", ".join(ways)


def over_limit(name: str, what: str, size: int, unit: str, value: int, code: str = "too-large",
               **where: Any) -> ModelError:
    """The located error for `what` having `size` `unit` (e.g. "instances") over limit `name`."""
    return ModelError(Diagnostic(
        code, f"{what} has {size:,} {unit}, over the limit of {value:,} ({name})",
        location=Location(**where),
        hint=how_to_raise(name) + ", or make the model smaller"))
