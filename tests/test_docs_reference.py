"""The formal model's reference is complete: every field of the pydantic model (by the name a
model file uses), every function of the expression language, every diagnostic code the
execution side and the text verifier raise, and every configuration key of the LLM settings
are documented. A new field, function, code or key without its documentation fails here."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pydantic

import solvers.expr
import solvers.model

ROOT = Path(__file__).resolve().parent.parent
MODEL_FORMAT = (ROOT / "docs/model-format.md").read_text(encoding="utf-8")
SEMANTICS = (ROOT / "docs/semantics.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")

# first string argument of a call, or code=..., that looks like a diagnostic code
CODE = re.compile(r'(?:\w+\(\s*|code\s*=\s*|"code":\s*)"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)"')
NOT_CODES = {"utf-8", "utf-8-sig"}  # encodings, caught by the pattern above


def model_classes() -> list[type[pydantic.BaseModel]]:
    return [c for _, c in inspect.getmembers(solvers.model, inspect.isclass)
            if issubclass(c, pydantic.BaseModel) and c.__module__ == solvers.model.__name__
            and c.model_fields]


def test_every_model_field_is_in_the_reference():
    classes = model_classes()
    assert {"Model", "SetSpec", "ParamSpec", "VariableSpec", "ConstraintSpec", "FileRef"} <= \
        {c.__name__ for c in classes}
    missing = [f"{c.__name__}.{info.alias or name}" for c in classes
               for name, info in c.model_fields.items()
               if f"`{info.alias or name}`" not in MODEL_FORMAT
               and f'"{info.alias or name}"' not in MODEL_FORMAT]
    assert not missing, f"fields without documentation in docs/model-format.md: {missing}"


def test_every_expression_function_is_in_the_reference():
    names = solvers.expr.CALL_FUNCS | solvers.expr.AGG_FUNCS | solvers.expr.SET_FUNCS
    assert {"sum", "implies", "prev", "sqrt"} <= names
    missing = sorted(n for n in names if f"{n}(" not in MODEL_FORMAT and f"`{n}`" not in MODEL_FORMAT)
    assert not missing, f"functions without documentation in docs/model-format.md: {missing}"


def raised_codes(*folders: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for m in CODE.finditer(path.read_text(encoding="utf-8")):
                if m.group(1) not in NOT_CODES:
                    found.setdefault(m.group(1), set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_check_code_is_documented():
    codes = raised_codes("solvers", "formalize/verify")
    assert len(codes) > 100 and "undeclared-symbol" in codes and "ungrounded-number" in codes
    missing = {c: sorted(where) for c, where in codes.items() if f"`{c}`" not in SEMANTICS}
    assert not missing, f"codes raised but not explained in docs/semantics.md: {missing}"


def test_every_llm_setting_is_in_the_readme():
    from formalize.llm import config

    keys = {"model", "api_base", "api_key", "api_key_env", *config._TUNING}
    hidden = {"backoff_initial", "backoff_max"}  # retry pacing, documented in config.py only
    missing = sorted(k for k in keys - hidden if k not in README)
    assert not missing, f"configuration keys the README does not name: {missing}"
    env = [v for k, v in vars(config).items() if k.startswith("ENV_")]
    assert "FORMALIZE_MODEL" in env
    assert not [v for v in env if v not in README], "an environment variable the README omits"


# layer, mount and step names written like codes, not diagnostics
CODE_MODE_NOT_CODES = {"utf-8", "latin-1", "cp-sat", "cpsat-text", "formalize-work",
                       "formalize-root", "audit-hook", "solver-guard", "built-in", "allow-list",
                       "repair-infeasible", "repair-unbounded"}


def test_every_code_mode_and_program_code_is_documented():
    found: dict[str, set[str]] = {}
    for folder in ("formalize/codemode", "formalize/program"):
        for path in (ROOT / folder).glob("*.py"):
            for code in re.findall(r'"([a-z]+(?:-[a-z0-9]+)+)"', path.read_text(encoding="utf-8")):
                if code not in CODE_MODE_NOT_CODES:
                    found.setdefault(code, set()).add(path.name)
    assert {"forbidden-import", "memory-limit", "llm-error"} <= set(found)
    missing = {c: sorted(w) for c, w in found.items() if f"`{c}`" not in SEMANTICS}
    assert not missing, f"code-mode/program codes not explained in docs/semantics.md: {missing}"
