"""Which LLM to use: ``--model`` flag > ``FORMALIZE_MODEL`` > ``[tool.formalize]`` > user config.

:func:`resolve_model` returns :class:`LLMSettings`; with nothing configured it raises
:class:`NoModelConfigured`, whose message says exactly how to choose a model (the CLI maps it
to exit code 2). Nothing here imports litellm.

Configuration keys (same names in ``[tool.formalize]`` of the nearest ``pyproject.toml`` and at
the top level of ``$XDG_CONFIG_HOME/formalize/config.toml``, default ``~/.config``):
``model``, ``api_base``, ``api_key``, ``api_key_env`` (name of a variable holding the key),
``timeout`` (seconds), ``max_retries``, ``temperature``, ``max_tokens``, ``structured_output``
(``auto`` | ``always`` | ``never``), ``door`` (``auto`` | ``litellm`` | ``openai``). Other keys are left to other parts of formalize.

The model comes from the first source that names one. ``api_base``/``api_key`` come from the
flags, else the environment, else the same file that named the model (a base URL written for one
model is never silently applied to another). The tuning keys (timeout, retries, temperature, …)
are layered independently: flag > environment > pyproject > user config > default.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 without tomllib
    try:
        import tomli as _toml  # type: ignore[no-redef]
    except ModuleNotFoundError:
        _toml = None  # type: ignore[assignment]

__all__ = [
    "ConfigError",
    "LLMSettings",
    "NoModelConfigured",
    "find_pyproject",
    "resolve_model",
    "user_config_path",
]

ENV_MODEL = "FORMALIZE_MODEL"
ENV_API_BASE = "FORMALIZE_API_BASE"
ENV_API_KEY = "FORMALIZE_API_KEY"
ENV_TIMEOUT = "FORMALIZE_TIMEOUT"
ENV_MAX_RETRIES = "FORMALIZE_MAX_RETRIES"
ENV_TEMPERATURE = "FORMALIZE_TEMPERATURE"

STRUCTURED_MODES = ("auto", "always", "never")
DOOR_MODES = ("auto", "litellm", "openai")


class ConfigError(ValueError):
    """A configuration value or file is invalid; the message names where and how to fix it."""


class NoModelConfigured(ConfigError):
    """No model was given by flag, environment, pyproject.toml or user config."""


@dataclass(frozen=True)
class LLMSettings:
    """Everything needed to call one model through litellm.

    ``max_retries`` counts retries after the first attempt (attempts = max_retries + 1).
    ``structured_output``: ``auto`` sends ``response_format`` when litellm says the model
    supports a response schema or an ``api_base`` points at an OpenAI-compatible server;
    ``always`` / ``never`` force it. ``door``: how requests leave (formalize.llm.doors): ``auto``
    speaks plain HTTP to ``openai/...`` models (OpenAI-compatible endpoints) and takes litellm
    otherwise; ``litellm`` / ``openai`` force one. ``source`` says where the model came from.
    """

    model: str
    api_base: str | None = None
    api_key: str | None = None
    timeout: float = 120.0
    max_retries: int = 3
    temperature: float | None = 0.0
    max_tokens: int | None = None
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    structured_output: str = "auto"
    door: str = "auto"
    extra_params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    source: str = "explicit"

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ConfigError(f"model must be a non-empty string like 'openai/gpt-4.1', got {self.model!r}")
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be > 0 seconds, got {self.timeout!r} (from {self.source})")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {self.max_retries!r} (from {self.source})")
        if self.structured_output not in STRUCTURED_MODES:
            raise ConfigError(
                f"structured_output must be one of {', '.join(STRUCTURED_MODES)}, "
                f"got {self.structured_output!r} (from {self.source})"
            )
        if self.door not in DOOR_MODES:
            raise ConfigError(f"door must be one of {', '.join(DOOR_MODES)}, got {self.door!r} "
                              f"(from {self.source})")
        if self.door == "openai" and self.provider != "openai":
            raise ConfigError(f"door 'openai' serves openai/... models (OpenAI and OpenAI-compatible "
                              f"endpoints), not {self.model!r} (from {self.source})")

    @property
    def provider(self) -> str:
        """The litellm provider prefix (``openai`` in ``openai/gpt-4.1``), or ``''``."""
        return self.model.split("/", 1)[0] if "/" in self.model else ""

    def with_(self, **changes: Any) -> LLMSettings:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def describe(self) -> str:
        """``model`` plus ``at api_base`` when one is set (for messages)."""
        return f"{self.model} at {self.api_base}" if self.api_base else self.model


# -- sources --------------------------------------------------------------------------------------
_TUNING: dict[str, type] = {
    "timeout": float,
    "max_retries": int,
    "temperature": float,
    "max_tokens": int,
    "backoff_initial": float,
    "backoff_max": float,
    "structured_output": str,
    "door": str,
}
_ENV_TUNING = {ENV_TIMEOUT: "timeout", ENV_MAX_RETRIES: "max_retries", ENV_TEMPERATURE: "temperature"}


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/formalize/config.toml`` (default ``~/.config/formalize/config.toml``)."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or ""
    if not base:
        home = env.get("HOME") or str(Path.home())
        base = str(Path(home) / ".config")
    return Path(base) / "formalize" / "config.toml"


def find_pyproject(start_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start_dir`` (default cwd) or its parents."""
    here = Path(start_dir) if start_dir is not None else Path.cwd()
    here = here.resolve()
    for d in (here, *here.parents):
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    if _toml is None:  # pragma: no cover - only on 3.10 without tomli
        raise ConfigError(f"{path}: reading TOML needs Python 3.11+ or the 'tomli' package")
    try:
        with open(path, "rb") as fh:
            return _toml.load(fh)
    except _toml.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file or remove it") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc


def _pyproject_table(path: Path) -> dict[str, Any]:
    data = _read_toml(path)
    table = data.get("tool", {}).get("formalize", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.formalize] must be a table, got {type(table).__name__}")
    return table


def _coerce(key: str, value: Any, kind: type, where: str) -> Any:
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string, got {value!r}")
        return value
    if isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be a number, got {value!r}")
    try:
        if kind is int:
            if isinstance(value, str) and not value.strip().lstrip("+-").isdigit():
                value = float(value)  # "5.0" (as TOML's 5.0) is 5; "2.5" is refused below
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(
            f"{where}: {key} must be {'an integer' if kind is int else 'a number'}, got {value!r}"
        ) from None
    if not math.isfinite(number):
        raise ConfigError(f"{where}: {key} must be a finite number, got {value!r}")
    return number


def _file_layer(table: Mapping[str, Any], where: str, env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("model", "api_base", "api_key", "api_key_env"):
        if table.get(key) not in (None, ""):
            out[key] = _coerce(key, table[key], str, where)
    if "api_key_env" in out:
        var = out.pop("api_key_env")
        if var in env and "api_key" not in out:
            out["api_key"] = env[var]
    for key, kind in _TUNING.items():
        if key in table:
            out[key] = _coerce(key, table[key], kind, where)
    return out


def _no_model_message(pyproject: Path | None, user_cfg: Path) -> str:
    pp = f"{pyproject}" if pyproject else "pyproject.toml (none found from the current directory up)"
    return (
        "No LLM model is configured. Choose one in any of these ways:\n"
        "  1. the --model flag, e.g.\n"
        "       formalize solve problem.txt --model openai/gpt-4.1        "
        "(hosted; set OPENAI_API_KEY)\n"
        "       formalize solve problem.txt --model ollama/qwen2.5:14b    "
        "(local Ollama on http://localhost:11434)\n"
        "       formalize solve problem.txt --model openai/<name> --api-base http://127.0.0.1:8000/v1\n"
        "                                 (any local OpenAI-compatible server: vLLM, llama.cpp, LM Studio)\n"
        f"  2. the environment: export {ENV_MODEL}=openai/gpt-4.1 "
        f"(optionally {ENV_API_BASE}=... and {ENV_API_KEY}=...)\n"
        f"  3. a config file: model = \"openai/gpt-4.1\" under [tool.formalize] in {pp},\n"
        f"     or at the top of {user_cfg}\n"
        "A formal model (formalize solve model.json) needs no LLM at all."
    )


def resolve_model(
    flag: str | None = None,
    *,
    start_dir: str | os.PathLike[str] | None = None,
    api_base: str | None = None,
    api_key: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> LLMSettings:
    """Resolve the model and call settings (see the module docstring for the precedence).

    ``flag``/``api_base``/``api_key``/``overrides`` are the command-line values; ``env``
    defaults to ``os.environ``. Raises :class:`NoModelConfigured` or :class:`ConfigError`.
    """
    env = os.environ if env is None else env
    pyproject = find_pyproject(start_dir)
    user_cfg = user_config_path(env)

    layers: list[tuple[str, dict[str, Any]]] = []  # highest precedence first
    flag_layer: dict[str, Any] = {}
    if flag:
        flag_layer["model"] = flag
    if api_base:
        flag_layer["api_base"] = api_base
    if api_key:
        flag_layer["api_key"] = api_key
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        kind = _TUNING.get(key)
        if kind is None:
            raise ConfigError(f"unknown LLM setting {key!r}; known: {', '.join(sorted(_TUNING))}")
        flag_layer[key] = _coerce(key, value, kind, "command line")
    layers.append(("--model flag", flag_layer))

    env_layer: dict[str, Any] = {}
    for var, key in ((ENV_MODEL, "model"), (ENV_API_BASE, "api_base"), (ENV_API_KEY, "api_key")):
        if env.get(var):
            env_layer[key] = env[var]
    for var, key in _ENV_TUNING.items():
        if env.get(var):
            env_layer[key] = _coerce(var, env[var], _TUNING[key], "environment")
    layers.append((f"environment ({ENV_MODEL})", env_layer))

    if pyproject is not None:
        where = f"{pyproject} [tool.formalize]"
        layers.append((where, _file_layer(_pyproject_table(pyproject), where, env)))
    if user_cfg.is_file():
        layers.append((str(user_cfg), _file_layer(_read_toml(user_cfg), str(user_cfg), env)))

    model_source = next((i for i, (_, layer) in enumerate(layers) if layer.get("model")), None)
    if model_source is None:
        raise NoModelConfigured(_no_model_message(pyproject, user_cfg))
    source, chosen = layers[model_source]

    values: dict[str, Any] = {"model": str(chosen["model"]).strip(), "source": source}
    for key in ("api_base", "api_key"):
        for i in sorted({0, 1, model_source}):  # flags, environment, the model's own file
            if layers[i][1].get(key):
                values[key] = layers[i][1][key]
                break
    for key in _TUNING:
        for _, layer in layers:
            if key in layer:
                values[key] = layer[key]
                break
    return LLMSettings(**values)
