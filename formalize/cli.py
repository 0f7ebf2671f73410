"""The `formalize` command.

Exit codes:
  0  success: solved (optimal or feasible), or `check` found no errors
  1  the model has errors (load, schema, static checks, data) — the located messages say where
  2  usage or configuration error (bad arguments, no LLM model configured)
  3  solved, but there is no solution: infeasible, unbounded, or a limit hit without one
  4  the LLM failed (provider error after retries) or no verified model came out of the repairs
  5  internal error (a bug: please report it; FORMALIZE_DEBUG=1 shows the traceback)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_MODEL, EXIT_USAGE, EXIT_NO_SOLUTION, EXIT_LLM, EXIT_INTERNAL = 0, 1, 2, 3, 4, 5


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="formalize",
        description="The LLM abstracts, solvers execute: plain-words optimization problems to "
                    "verified formal models, solved by HiGHS and CP-SAT.",
        epilog="Exit codes: 0 solved/ok, 1 model errors, 2 usage/config, 3 infeasible/unbounded/"
               "no solution, 4 LLM failure, 5 internal error.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="static diagnostics of a formal model (no solve)")
    c.add_argument("model", help="model file (.json/.yaml)")
    c.add_argument("--backend", choices=["auto", "highs", "cpsat"], default=None)
    c.add_argument("--data", action="append", default=[], metavar="FILE", help="data file (repeatable)")
    c.add_argument("--json", action="store_true", help="machine-readable output")

    s = sub.add_parser("solve", help="solve a problem text (via an LLM) or a formal model (no LLM)")
    s.add_argument("path", help="problem.txt (plain words) or model.json/.yaml (formal model)")
    s.add_argument("--model", "-m", default=None, help="LLM, e.g. openai/gpt-4.1 or ollama/qwen2.5:14b")
    s.add_argument("--api-base", default=None, help="OpenAI-compatible endpoint (local servers)")
    s.add_argument("--data", action="append", default=[], metavar="FILE", help="attached data file (repeatable)")
    s.add_argument("--samples", type=int, default=1, help="k independent formalizations with a vote")
    s.add_argument("--mode", choices=["ir", "code"], default="ir", help="formal model (ir) or model-building code")
    s.add_argument("--strategy", choices=["steps", "single"], default="steps", help="read+structure calls, or one call")
    s.add_argument("--max-repairs", type=int, default=3)
    s.add_argument("--backend", choices=["auto", "highs", "cpsat"], default="auto")
    s.add_argument("--time-limit", type=float, default=None, help="solver time limit, seconds")
    s.add_argument("--show-model", action="store_true", help="print the formal model")
    s.add_argument("--save-model", default=None, metavar="OUT.json", help="write the verified model")
    s.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    s.add_argument("--no-cache", action="store_true", help="bypass the LLM response cache")

    e = sub.add_parser("export", help="export a formal model")
    e.add_argument("model", help="model file (.json/.yaml)")
    e.add_argument("--to", required=True, choices=["lp", "mps", "pyomo", "pulp", "latex", "text", "json"])
    e.add_argument("--output", "-o", default=None, help="output file (default: stdout; lp/mps need a file or print it)")
    e.add_argument("--data", action="append", default=[], metavar="FILE")

    for extra in _extra_commands():
        extra(sub)
    return p


def _extra_commands():
    """Sub-commands defined elsewhere (comparison mode, benchmarks) — registered lazily."""
    out = []
    try:
        from .compare_cli import register as reg_compare

        out.append(reg_compare)
    except ImportError:
        pass
    try:
        from .bench_cli import register as reg_bench

        out.append(reg_bench)
    except ImportError:
        pass
    return out


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _print_diags(diags, err) -> None:
    for d in diags:
        style = {"error": "red", "warning": "yellow"}.get(d.severity, "dim")
        err.print(str(d), style=style, markup=False)


def _load(path: str, data: list[str]):
    from solvers import load_model

    return load_model(path, data_dirs=[Path(d).parent for d in data] or None)


def cmd_check(a: argparse.Namespace) -> int:
    from solvers.checks import check_model

    res = check_model(_load(a.model, a.data), backend=a.backend)
    if a.json:
        print(json.dumps({"ok": res.ok, "problem_class": res.problem_class,
                          "diagnostics": [d.to_dict() for d in res.diagnostics]}, indent=2))
    else:
        err = _console()
        _print_diags(res.diagnostics, err)
        n_err = len(res.errors)
        n_warn = len(res.warnings)
        style = "green" if res.ok else "red"
        err.print(f"{a.model}: {'ok' if res.ok else 'errors'} — class {res.problem_class}, "
                  f"{n_err} error(s), {n_warn} warning(s)", style=style, markup=False)
    return EXIT_OK if res.ok else EXIT_MODEL


def _status_exit(status: str) -> int:
    return EXIT_OK if status in ("optimal", "feasible") else EXIT_NO_SOLUTION if status in (
        "infeasible", "unbounded", "time_limit") else EXIT_INTERNAL


def cmd_solve(a: argparse.Namespace) -> int:
    from . import program

    path = Path(a.path)
    if not path.is_file():
        raise _Usage(f"{a.path}: no such file (give problem.txt or model.json)")
    is_model = path.suffix.lower() in (".json", ".yaml", ".yml")
    out = _console(stderr=a.json)
    err = _console(stderr=True)
    progress = None
    if not is_model and not a.json:
        def progress(step: str, detail: str) -> None:
            err.print(f"[dim]… {step}[/dim] {detail}")
    if is_model:
        res = program.solve(path, data=a.data, backend=a.backend, time_limit=a.time_limit)
    else:
        res = program.solve(path, _make_client(a), data=a.data, samples=a.samples, mode=a.mode,
                            strategy=a.strategy, max_repairs=a.max_repairs, backend=a.backend,
                            time_limit=a.time_limit, progress=progress)
    f = res.formalization
    if a.save_model and f is not None and f.model is not None:
        Path(a.save_model).write_text(f.model.to_json(), encoding="utf-8")
    if a.json:
        print(json.dumps(res.to_dict(), indent=2, default=str))
    else:
        if a.show_model and f is not None and f.model is not None:
            from solvers.render import to_text

            out.print(to_text(f.model), markup=False, highlight=False)
        if res.solution is None and f is not None:
            _print_diags(f.diagnostics, err)
        out.print(res)
    if res.solution is None:
        return EXIT_LLM if not is_model else EXIT_MODEL
    if f is not None and not is_model and not f.ok and res.solution.status.value == "error":
        return EXIT_LLM
    return _status_exit(res.solution.status.value)


def _make_client(a: argparse.Namespace):
    from .config import resolve_model
    from .llm import LLMClient

    settings = resolve_model(a.model)
    if a.api_base:
        settings = settings.with_(api_base=a.api_base, api_key=settings.api_key or "none")
    return LLMClient(settings, no_cache=a.no_cache)


def cmd_export(a: argparse.Namespace) -> int:
    model = _load(a.model, a.data)
    to = a.to
    if to in ("latex", "text", "json"):
        from solvers import render

        text = {"latex": lambda: render.to_latex(model), "text": lambda: render.to_text(model),
                "json": lambda: model.to_json()}[to]()
        if a.output:
            Path(a.output).write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
        return EXIT_OK
    from solvers import export

    if to in ("lp", "mps"):
        target = a.output or None
        if target is None:
            import tempfile

            with tempfile.TemporaryDirectory() as d:
                p = Path(d) / f"model.{to}"
                (export.write_lp if to == "lp" else export.write_mps)(model, p)
                sys.stdout.write(p.read_text())
        else:
            (export.write_lp if to == "lp" else export.write_mps)(model, target)
        return EXIT_OK
    if to == "pyomo":
        m = export.to_pyomo(model)
        if a.output:
            with open(a.output, "w") as fh:
                m.pprint(ostream=fh)
        else:
            m.pprint()
        return EXIT_OK
    prob = export.to_pulp(model)
    print(prob)
    return EXIT_OK


class _Usage(Exception):
    pass


COMMANDS = {"check": cmd_check, "solve": cmd_solve, "export": cmd_export}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    a = parser.parse_args(argv)
    if not a.command:
        parser.print_help()
        return EXIT_USAGE
    fn = COMMANDS.get(a.command) or getattr(a, "func", None)
    try:
        return int(fn(a) or 0)
    except _Usage as exc:
        print(f"formalize: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("formalize: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure becomes a message, never a bare traceback
        return _report(exc)


def _report(exc: Exception) -> int:
    from solvers.diagnostics import ModelError

    if isinstance(exc, ModelError):
        for d in exc.diagnostics:
            print(str(d), file=sys.stderr)
        return EXIT_MODEL
    try:
        from .config import ConfigError
        from .llm import LLMError, LLMOutputError
    except ImportError:  # pragma: no cover
        ConfigError = LLMError = LLMOutputError = ()  # type: ignore[assignment,misc]
    if isinstance(exc, ConfigError):
        print(f"formalize: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(exc, (LLMError, LLMOutputError)):
        print(f"formalize: LLM failure: {exc}", file=sys.stderr)
        return EXIT_LLM
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
        print(f"formalize: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if os.environ.get("FORMALIZE_DEBUG"):
        import traceback

        traceback.print_exc()
    print(f"formalize: internal error: {type(exc).__name__}: {exc} "
          "(set FORMALIZE_DEBUG=1 for the traceback)", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
