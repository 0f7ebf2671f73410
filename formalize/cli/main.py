"""The `formalize` command: check, solve and export formal models; solve problems in plain words.

    formalize check model.json [--text problem.txt] [--json]
    formalize solve model.json [--json]                  # a formal model: no LLM
    formalize solve problem.txt --model M [--show-model] [--save-model out.json] [--json]
    formalize export model.json --to lp|mps|pyomo|pulp|latex|text|json [-o FILE]

Exit codes:
  0  success: solved (optimal or feasible), `check` found no errors, or the export was written
  1  the model has errors (load, schema, static checks, data) — the located messages say where
  2  usage or configuration error (bad arguments, a missing file, no LLM model configured)
  3  solved, but there is no solution: infeasible (the conflicting constraints are shown) or
     unbounded
  4  the LLM failed (provider error after retries) or no verified model came out of the repairs
  5  internal error or solver failure (please report it; FORMALIZE_DEBUG=1 shows the traceback)
  6  the time limit ran out: the best solution found so far is shown with its gap, or the
     output says that none was found (which says nothing about feasibility)
  130  interrupted (Ctrl-C): a solve in progress stops within a second and its best solution
     so far is shown with its gap; a second Ctrl-C leaves at once

Every solve has a time limit (`--time-limit`; default 300 s or FORMALIZE_TIME_LIMIT, "none" for
no limit) counted from loading the model, and reports its incumbent, bound and gap on stderr
while it runs (`--quiet` turns that off). Results (tables, exports, `check`'s summary line) go
to stdout; diagnostics, progress and errors to stderr, never as a traceback. With `--json` (check, solve), stdout holds exactly one JSON
document, also on failure (`{"status": "error", "exit_code": ..., "error": ...,
"diagnostics": [...]}`). Output cut short by a closed pipe (`| head`) is not an error. Heavy
modules load only inside the commands, so `formalize --help` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from formalize.cli.options import add_backend, add_time_limit

EXIT_OK, EXIT_MODEL, EXIT_USAGE, EXIT_NO_SOLUTION, EXIT_LLM, EXIT_INTERNAL = 0, 1, 2, 3, 4, 5
EXIT_TIME_LIMIT, EXIT_INTERRUPTED = 6, 130
EXPORTS = ("lp", "mps", "pyomo", "pulp", "latex", "text", "json")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="formalize",
        description="The LLM abstracts, solvers execute: plain-words optimization problems to "
                    "verified formal models, solved by HiGHS, CP-SAT and SCIP.",
        epilog="Exit codes: 0 solved/ok, 1 model errors, 2 usage/config, 3 infeasible/unbounded, "
               "4 LLM failure, 5 internal error or solver failure, 6 time limit (best solution so "
               "far shown), 130 interrupted (Ctrl-C; best solution so far shown).",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="static diagnostics of a formal model (no solve)")
    c.add_argument("model", help="model file (.json/.yaml)")
    add_backend(c, default=None, help="also check what this backend accepts (auto, highs, cpsat, scip)")
    c.add_argument("--data", action="append", default=[], metavar="FILE",
                   help="data file the model reads (repeatable)")
    c.add_argument("--text", default=None, metavar="PROBLEM.txt",
                   help="also check the model against its problem text, as the program does: every "
                        "number traced to the text, the text's unused numbers, checks for valid but "
                        "wrong models (those that need a solution solve the model)")
    c.add_argument("--no-solve", action="store_true",
                   help="with --text: skip the checks that need a solution")
    add_time_limit(c)  # with --text: that solve's limit
    c.add_argument("--quiet", "-q", action="store_true",
                   help="with --text: no solver progress on stderr")
    c.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    _max_instances_flag(c)

    s = sub.add_parser(
        "solve", help="solve a problem text (via an LLM) or a formal model (no LLM)",
        epilog="No --plot here: a solution is a table of values (with binding constraints and "
               "duals in Jupyter), not a figure. Figures come from `formalize compare --plot "
               "OUT.png` and `formalize bench --plot OUT.png`.")
    s.add_argument("path", help="problem.txt (plain words) or model.json/.yaml (formal model)")
    s.add_argument("--model", "-m", default=None,
                   help="LLM, e.g. openai/gpt-4.1 or ollama/qwen2.5:14b")
    s.add_argument("--api-base", default=None, help="OpenAI-compatible endpoint (local servers)")
    s.add_argument("--data", action="append", default=[], metavar="FILE",
                   help="attached data file (repeatable)")
    s.add_argument("--samples", type=int, default=1, help="k independent formalizations with a vote")
    s.add_argument("--mode", choices=["ir", "code"], default="ir",
                   help="formal model (ir) or model-building code")
    s.add_argument("--strategy", choices=["steps", "single"], default="steps",
                   help="read+structure calls, or one call")
    s.add_argument("--max-repairs", type=int, default=3, help="bounded repair rounds (default 3)")
    add_backend(s)
    add_time_limit(s)
    s.add_argument("--quiet", "-q", action="store_true",
                   help="no progress on stderr (steps, and the solver's incumbent, bound and gap)")
    s.add_argument("--progress-every", type=float, default=None, metavar="SECONDS",
                   help="seconds between solver progress lines (default: 1 on a terminal, where "
                        "the line is updated in place; 5 otherwise)")
    s.add_argument("--show-model", action="store_true", help="print the formal model")
    s.add_argument("--save-model", default=None, metavar="OUT.json",
                   help="write the verified model")
    s.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    s.add_argument("--no-cache", action="store_true", help="bypass the LLM response cache")
    _max_instances_flag(s)

    e = sub.add_parser(
        "export", help="export a formal model",
        description="Export a formal model. lp/mps: the solver file (stdout or -o FILE). "
                    "pyomo/pulp: the library's model — printed, or written with -o by suffix "
                    "(pyomo: .lp .mps .nl .gms; pulp: .lp .mps .json). latex/text/json: renderings.")
    e.add_argument("model", help="model file (.json/.yaml)")
    e.add_argument("--to", required=True, choices=EXPORTS)
    e.add_argument("--output", "-o", default=None, help="output file (default: stdout)")
    e.add_argument("--names", default=None, metavar="FILE.json",
                   help="lp/mps: also write the name map (file name -> original name) as JSON")
    e.add_argument("--data", action="append", default=[], metavar="FILE",
                   help="data file the model reads (repeatable)")
    _max_instances_flag(e)

    for extra in _extra_commands():
        extra(sub)
    return p


MAX_INSTANCES_HELP = ("largest set, variable, param table, constraint or generator the model may "
                      "build (default 10,000,000, or $FORMALIZE_MAX_INSTANCES)")  # = solvers.limits


def _max_instances_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-instances", type=int, default=None, metavar="N", help=MAX_INSTANCES_HELP)


def _extra_commands() -> list[Callable[[Any], None]]:
    """Sub-commands defined elsewhere (comparison mode, benchmarks) — registered lazily."""
    out = []
    try:
        from formalize.cli.compare import register as reg_compare

        out.append(reg_compare)
    except ImportError:
        pass
    try:
        from formalize.cli.bench import register as reg_bench

        out.append(reg_bench)
    except ImportError:
        pass
    return out


class _Usage(Exception):
    """A usage error: wrong argument values, a missing file (exit 2)."""


def _console(stderr: bool = False) -> Any:
    from formalize.render import console

    return console(stderr=stderr)


def _print_diags(diags: Any, err: Any) -> None:
    for d in diags:
        style = {"error": "red", "warning": "yellow"}.get(d.severity, "dim")
        err.print(str(d), style=style, markup=False, highlight=False, soft_wrap=True)


def _need_file(path: str, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise _Usage(f"{path}: no such file ({what})")
    if not p.is_file():
        raise _Usage(f"{path}: not a file ({what})")
    return p


def _read_text(path: str, what: str) -> str:
    """A problem text the user named: a usage error unless it is a readable UTF-8 file in bounds."""
    from solvers import ModelError
    from solvers.document import read_text_file

    _need_file(path, what)
    try:
        return read_text_file(path)
    except ModelError as exc:
        raise _Usage(exc.diagnostics[0].message + f" ({exc.diagnostics[0].hint})") from None


def _need_data(paths: list[str]) -> None:
    """Each --data file exists and may be read (a regular file, not under /proc, /sys or /dev,
    within max_data_bytes): else a usage error naming the rule."""
    from solvers.data_files import Refused, check_given_file

    for d in paths:
        if not os.path.lexists(d):
            raise _Usage(f"{d}: no such file (--data file)")
        try:
            check_given_file(d)
        except Refused as r:
            raise _Usage(f"{d}: refused as a --data file: {r.args[0]}") from None


def _load(path: str, data: list[str]) -> Any:
    from solvers import load_model

    _need_file(path, "give a model file, .json or .yaml")
    _need_data(data)
    return load_model(path, data_files=data or None)


def cmd_check(a: argparse.Namespace) -> int:
    """`formalize check`: every static diagnostic, located; with `--text`, the text-aware
    verifier's findings too (grounding, unused text numbers, wrong-but-valid checks). Exit 1
    when there is an error (advice alone is not one)."""
    from solvers import ModelError
    from solvers.checks import check_model

    text = None
    if a.text is not None:
        text = _read_text(a.text, "give the problem text the model was written for")
    model, res, report, sol = None, None, None, None
    try:
        model = _load(a.model, a.data)
        res = check_model(model, backend=a.backend)
        cls, diags = res.problem_class, list(res.diagnostics)
    except ModelError as exc:  # the document does not even load: its diagnostics are the answer
        cls, diags = None, exc.diagnostics
    if text is not None and model is not None:
        report, sol, solve_diags = _text_report(model, res, text, a)
        diags += solve_diags + report.diagnostics()
    ok = not any(d.severity == "error" for d in diags)
    if a.json:
        doc: dict[str, Any] = {"ok": ok, "problem_class": cls, "diagnostics": [d.to_dict() for d in diags]}
        if text is not None:
            doc["text"] = report.to_dict() if report is not None else None
            doc["solution"] = ({"status": sol.status.value, "objective": sol.objective}
                               if sol is not None else None)
        print(json.dumps(doc, indent=2, default=str))
    else:
        _print_diags(diags, _console(stderr=True))
        n_err = sum(d.severity == "error" for d in diags)
        n_warn = sum(d.severity == "warning" for d in diags)
        line = (f"{a.model}: {'ok' if ok else 'errors'} — class {cls or 'unknown'}, "
                f"{n_err} error(s), {n_warn} warning(s)")
        if report is not None:
            g = report.grounding
            line += (f"; text: {len(g.text_numbers)} numbers, {len(g.unused)} unused, "
                     f"{len(g.acknowledged)} acknowledged")
            if sol is not None:
                line += f"; solved ({sol.status.value}" + (
                    f", objective {sol.objective:.10g}" if sol.objective is not None and sol.ok else "") + \
                    ") for the solution checks"
        _console().print(line, style="green" if ok else "red", markup=False, soft_wrap=True)
    return EXIT_OK if ok else EXIT_MODEL


def _text_report(model: Any, res: Any, text: str, a: argparse.Namespace) -> tuple[Any, Any, list]:
    """The text-aware report of a loaded model; the model is solved for the solution checks when
    it has no error (unless --no-solve). Returns (report, solution or None, solve diagnostics)."""
    import solvers
    from formalize.verify.report import check_text
    from solvers import ModelError

    sol, extra = None, []
    clean = res is not None and res.ok
    if clean and not a.no_solve:
        target = res.lowered if res.lowered is not None else model
        backend = res.lowered_for if res.lowered is not None else (a.backend or "auto")
        progress = None if a.quiet else _ProgressLine(_console(stderr=True), None, steps=False)
        try:
            sol = solvers.solve(target, backend=backend, time_limit=a.time_limit,
                                progress=None if progress is None else (
                                    lambda p: progress("solver", str(p))))
        except ModelError as exc:  # what only a backend finds: reported like the rest
            extra = list(exc.diagnostics)
        finally:
            if progress is not None:
                progress.end()
    report = check_text(model, text, lowered=res.lowered if clean else None,
                        solution=sol if sol is not None and sol.ok else None)
    return report, sol, extra


def _status_exit(status: str) -> int:
    if status in ("optimal", "feasible"):
        return EXIT_OK
    if status in ("infeasible", "unbounded"):
        return EXIT_NO_SOLUTION
    if status == "time_limit":
        return EXIT_TIME_LIMIT
    if status == "interrupted":
        return EXIT_INTERRUPTED
    return EXIT_INTERNAL


class _ProgressLine:
    """Progress on stderr: program steps as lines (not with --json: `steps=False`); the solver's
    numbers (step "solver") at most every `every` seconds — on a terminal one line updated in
    place, else a line each time."""

    def __init__(self, err: Any, every: float | None, steps: bool = True):
        self.err = err
        self.steps = steps
        self.tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
        self.every = every if every is not None else (1.0 if self.tty else 5.0)
        self.last = -1e300
        self.live = False

    def __call__(self, step: str, detail: str) -> None:
        import time

        from solvers.safe_text import safe_line

        detail = safe_line(detail)  # a code-mode program's or a solver's text: one safe line
        if step == "solver":
            now = time.monotonic()
            if now - self.last < self.every:
                return
            self.last = now
            if self.tty:
                sys.stderr.write("\r\x1b[K… " + detail)
                sys.stderr.flush()
                self.live = True
            else:
                print("… " + detail, file=sys.stderr, flush=True)
            return
        if not self.steps:
            return
        self.end()
        from rich.text import Text

        self.err.print(Text.assemble((f"… {step} ", "dim"), detail))

    def end(self) -> None:
        """Finish an in-place line before anything else is printed."""
        if self.live:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.live = False


def _check_solve_args(a: argparse.Namespace) -> tuple[Path, bool]:
    path = _need_file(a.path, "give problem.txt or model.json")
    _need_data(a.data)
    if a.samples < 1:
        raise _Usage(f"--samples must be at least 1, got {a.samples}")
    if a.max_repairs < 0:
        raise _Usage(f"--max-repairs must be 0 or more, got {a.max_repairs}")
    if a.progress_every is not None and not a.progress_every > 0:
        raise _Usage(f"--progress-every must be a positive number of seconds, got {a.progress_every}")
    if a.save_model and Path(a.save_model).is_dir():
        raise _Usage(f"--save-model {a.save_model}: is a directory; give a file name")
    is_model = path.suffix.lower() in (".json", ".yaml", ".yml")
    if not is_model:
        _read_text(a.path, "give problem.txt or model.json")  # readable UTF-8 before any LLM call
    return path, is_model


def cmd_solve(a: argparse.Namespace) -> int:
    """`formalize solve`: a formal model straight to the solver, or plain words through the LLM."""
    path, is_model = _check_solve_args(a)
    from formalize import api

    err = _console(stderr=True)
    progress = None if a.quiet else _ProgressLine(err, a.progress_every, steps=not a.json)
    try:
        if is_model:
            res = api.solve(path, data=a.data, backend=a.backend, time_limit=a.time_limit,
                                progress=progress)
        else:
            res = api.solve(path, _make_client(a), data=a.data, samples=a.samples,
                                mode=a.mode, strategy=a.strategy, max_repairs=a.max_repairs,
                                backend=a.backend, time_limit=a.time_limit, progress=progress)
    finally:
        if progress is not None:
            progress.end()
    f = res.formalization
    model = f.model if f is not None else None
    verified = model is not None and f is not None and f.ok
    if a.save_model and verified:
        Path(a.save_model).write_text(model.to_json() + "\n", encoding="utf-8")
    code = _solve_exit(res, is_model)
    if a.json:
        doc = res.to_dict()
        doc["exit_code"] = code
        print(json.dumps(doc, indent=2, default=str))
        return code
    out = _console()
    if a.show_model and model is not None:
        from solvers.render import to_text

        out.print(to_text(model), markup=False, highlight=False, soft_wrap=True)
    if res.solution is None and f is not None:
        _print_diags(f.diagnostics, err)
    out.print(res)
    if a.save_model and not verified:
        why = next((s.detail for s in reversed(f.trace) if s.name == "lift"), None) if f is not None else None
        err.print(f"formalize: no verified model to save in {a.save_model}" + (f" ({why})" if why and model is None else ""),
                  markup=False, soft_wrap=True)
    return code


def _solve_exit(res: Any, is_model: bool) -> int:
    f = res.formalization
    if res.solution is None:
        return EXIT_MODEL if is_model else EXIT_LLM
    if f is not None and not is_model and not f.ok and res.solution.status.value == "error":
        return EXIT_LLM
    return _status_exit(res.solution.status.value)


def _make_client(a: argparse.Namespace) -> Any:
    from formalize.llm.client import make_client

    return make_client(a.model, no_cache=a.no_cache, api_base=a.api_base)


def _emit(text: str, output: str | None) -> None:
    """An export to its file as it is, or to stdout with control and bidi characters neutralized."""
    if output:
        Path(output).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    else:
        from solvers.safe_text import safe_text

        text = safe_text(text)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_export(a: argparse.Namespace) -> int:
    """`formalize export`: LP/MPS files, Pyomo/PuLP models, LaTeX/text/JSON renderings."""
    model = _load(a.model, a.data)
    to = a.to
    if a.names and to not in ("lp", "mps"):
        raise _Usage("--names goes with --to lp or --to mps")
    out = Path(a.output) if a.output else None
    if out is not None and out.is_dir():
        raise _Usage(f"--output {a.output}: is a directory; give a file name")
    if to in ("latex", "text", "json"):
        from solvers import render

        as_json = (lambda m: m.to_json()) if a.output else (  # stdout: every non-ASCII escaped
            lambda m: json.dumps(m.to_dict(), indent=2))
        text = {"latex": render.to_latex, "text": render.to_text, "json": as_json}[to](model)
        _emit(text, a.output)
        return EXIT_OK
    from solvers import export

    if to in ("lp", "mps"):
        writer = export.write_lp if to == "lp" else export.write_mps
        if out is not None:
            writer(model, out, names=a.names)
        else:
            import tempfile

            with tempfile.TemporaryDirectory() as d:
                p = writer(model, Path(d) / f"model.{to}", names=a.names)
                _emit(p.read_text(encoding="utf-8"), None)
        return EXIT_OK
    suffix = out.suffix.lower() if out is not None else ""
    if to == "pyomo":
        m = export.to_pyomo(model)
        if suffix in (".lp", ".mps", ".nl", ".gms"):
            if not export.write_pyomo(m, out):
                print(_safe("formalize: Pyomo's readable labels of two index values collide; "
                            f"{a.output} uses Pyomo's generic names (x1, c_u_x2_, ...)"), file=sys.stderr)
        else:
            import io

            buf = io.StringIO()
            m.pprint(ostream=buf)
            _emit(buf.getvalue(), a.output)
        return EXIT_OK
    prob = export.to_pulp(model)
    if suffix == ".lp":
        prob.writeLP(str(out))
    elif suffix == ".mps":
        prob.writeMPS(str(out))
    elif suffix == ".json":
        (prob.toJson if hasattr(prob, "toJson") else prob.to_json)(str(out))
    else:
        _emit(str(prob), a.output)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": cmd_check, "solve": cmd_solve, "export": cmd_export}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (argparse errors included)."""
    parser = _parser()
    try:
        a = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error argparse already printed (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if not a.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    fn = COMMANDS.get(a.command) or getattr(a, "func", None)
    if fn is None:  # pragma: no cover - a registered sub-command without a handler
        print(f"formalize: {a.command}: no handler", file=sys.stderr)
        return EXIT_INTERNAL
    as_json = bool(getattr(a, "json", False)) and a.command in COMMANDS
    limit_env = "FORMALIZE_MAX_INSTANCES"  # solvers.limits.ENV["max_instances"]
    saved = os.environ.get(limit_env)
    if getattr(a, "max_instances", None) is not None:
        if a.max_instances <= 0:
            return _fail(EXIT_USAGE, f"formalize: --max-instances must be positive, got {a.max_instances}",
                         as_json)
        os.environ[limit_env] = str(a.max_instances)  # for this command (worker processes too)
    try:
        return int(fn(a) or 0)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:  # (a single Ctrl-C during a solve returns its Solution instead)
        from solvers.backends.contract import stop_all, wait_for_solvers

        stop_all()  # solves still running in other threads
        print("formalize: interrupted", file=sys.stderr, flush=True)
        if not wait_for_solvers(1.0):  # a second Ctrl-C left a solver running: leave now
            with contextlib.suppress(Exception):
                sys.stdout.flush()
            os._exit(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except _Usage as exc:
        return _fail(EXIT_USAGE, f"formalize: {exc}", as_json)
    except Exception as exc:  # every failure becomes a message, never a bare traceback
        return _report(exc, as_json)
    finally:
        if saved is None:
            os.environ.pop(limit_env, None)
        else:
            os.environ[limit_env] = saved


def _silence_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (captured): nothing to do
        pass


def _safe(text: str) -> str:
    from solvers.safe_text import safe_text

    return safe_text(text)


def _fail(code: int, message: str, as_json: bool, diagnostics: list | None = None) -> int:
    print(_safe(message), file=sys.stderr)
    if as_json:
        print(json.dumps({"status": "error", "exit_code": code, "error": message,
                          "diagnostics": [d.to_dict() for d in diagnostics or []]}, indent=2))
    return code


def _report(exc: Exception, as_json: bool = False) -> int:
    """Map an exception to its message and exit code (see the module docstring)."""
    from solvers.diagnostics import ModelError

    if isinstance(exc, ModelError):
        return _fail(EXIT_MODEL, "\n".join(str(d) for d in exc.diagnostics), as_json,
                     exc.diagnostics)
    try:
        from formalize.llm.client import LLMError, LLMOutputError
        from formalize.llm.config import ConfigError
    except ImportError:  # pragma: no cover
        ConfigError = LLMError = LLMOutputError = ()  # type: ignore[assignment,misc]
    if isinstance(exc, ConfigError):
        return _fail(EXIT_USAGE, f"formalize: {exc}", as_json)
    if isinstance(exc, (LLMError, LLMOutputError)):
        return _fail(EXIT_LLM, f"formalize: LLM failure: {exc}", as_json)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        return _fail(EXIT_USAGE, f"formalize: {where}{exc.strerror or exc}", as_json)
    if os.environ.get("FORMALIZE_DEBUG"):
        import traceback

        traceback.print_exc()
    return _fail(EXIT_INTERNAL, f"formalize: internal error: {type(exc).__name__}: {exc} "
                 "(set FORMALIZE_DEBUG=1 for the traceback)", as_json)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
