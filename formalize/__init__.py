"""formalize — the LLM abstracts, solvers execute.

`formalize.solve(text)` turns a problem in plain words into a verified formal model with an LLM
and solves it with HiGHS or CP-SAT; `formalize.formalize(text)` stops at the verified model.
Heavy modules (litellm, the solvers) load on first use, so `import formalize` stays fast.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"
__all__ = ["formalize", "solve", "compare", "score_answers", "Formalization", "Result",
           "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("formalize", "solve"):
        from formalize import api

        return getattr(api, name)
    if name in ("Formalization", "Result"):
        from formalize.program import results

        return getattr(results, name)
    if name in ("compare", "score_answers"):
        from formalize.evaluation import compare

        return getattr(compare, name)
    raise AttributeError(f"module 'formalize' has no attribute {name!r}")
