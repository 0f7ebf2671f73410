"""The verifier's text-aware side: a model checked against its problem text.

`grounding` traces every number of the model to the text and lists the text's unused numbers;
`idle`, `units` and `fixed` are checks aimed at models that are valid but wrong; `report`
runs them together (`check_text`, used by `formalize check --text` and by the program).

Severity contract (docs/semantics.md, "Text-aware codes"): codes in `ERROR_CODES` must be
repaired; codes in `ADVICE_CODES` are listed in every round and in the result, and are asked
about on the first complete model only; `INFO_CODES` report. Plain constants here, so that the
program can read them without importing the checks.
"""

ERROR_CODES = frozenset({"ungrounded-number", "wrong-derivation", "acknowledged-not-in-text"})
ADVICE_CODES = frozenset({"unused-number", "unstated-derivation", "idle-member", "mixed-units",
                          "fixed-by-equalities"})
INFO_CODES = frozenset({"acknowledged-number", "modelling-constant"})

__all__ = ["ADVICE_CODES", "ERROR_CODES", "INFO_CODES"]
