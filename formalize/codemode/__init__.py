"""Code mode: the LLM writes Python that *builds* a Pyomo, PuLP or CP-SAT model; we check it
with an AST allow-list, run it contained in a separate process, harvest the built model and
solve it with our own backends (HiGHS via highspy, CP-SAT)."""

from formalize.codemode.allowlist import check_code
from formalize.codemode.harvest import solve_code, solve_run, user_values
from formalize.codemode.sandbox import CodeRun, run_code

__all__ = ["CodeRun", "check_code", "run_code", "solve_code", "solve_run", "user_values"]
