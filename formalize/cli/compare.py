"""`formalize compare`: the LLM's own direct answers against solver ground truth.

    formalize compare problem.txt|model.json [--model M] [--variants values,objective] [--json] [--out DIR]
        [--plot OUT.png]
    formalize compare model.json --answer ANSWER.json [--answer ...]   # score given answers, no LLM
    formalize compare --family knapsack-strong [--sizes 5,10,20] --seeds 3 [--model M] [--out DIR]
        [--variants values,objective,trace] [--stop-after-failures K] [--stop-after-seconds S]
        [--timeout S] [--verbose] [--resume | --overwrite]
        [--executor ray [--address A] [--workers N] [--task-timeout S]]

Registered by `formalize.cli.main` through :func:`register`; imports nothing heavy at module level.
Exit codes: 0 the comparison ran (whatever the verdicts), 1 the model has errors, 2 usage or
configuration, 4 the LLM failed or no verified model came out of the pipeline, 5 the ground truth
disagrees with the checker (a bug: please report it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from formalize.cli.options import (
    add_backend,
    add_executor,
    add_plot,
    add_time_limit,
    executor_from,
    plot_path_error,
)

EXIT_OK, EXIT_USAGE, EXIT_LLM, EXIT_INTERNAL = 0, 2, 4, 5
DEFAULT_TOLERANCE = 1e-6
VARIANT_NAMES = ("values", "objective", "trace")
RECORDS = "sweep.jsonl"  # = formalize.evaluation.sweep.RECORDS (not imported: --help stays light)


def _families_epilog() -> str:
    """The family list for --help: what a size means, the default ladder, the trace procedure."""
    from formalize.evaluation.families import FAMILIES

    lines = ["problem families (--family NAME; --sizes: what n means, default ladder):"]
    for name, fam in FAMILIES.items():
        tags = []
        if fam.hard:
            tags.append("hard")
        if fam.trace:
            tags.append(f"trace: {fam.trace}")
        tag = f" [{', '.join(tags)}]" if tags else ""
        lines.append(f"  {name}{tag}")
        lines.append(f"      n = {fam.size_meaning}; default sizes "
                     f"{','.join(map(str, fam.default_sizes))}")
    lines += [
        "",
        "variants (--variants): values = every variable of the model and the objective;",
        "  objective = the optimal objective only; trace = run the family's procedure by hand",
        "  and report every intermediate state (checked step by step).",
        f"an answer is correct when its objective is within --tolerance (default "
        f"{DEFAULT_TOLERANCE:g}, relative) of the optimum.",
        "",
        "a recorded run against an OpenAI-compatible endpoint (a slow model: long timeout;",
        "its own cache, so that a rerun resumes with the recorded seconds):",
        "  FORMALIZE_CACHE_DIR=runs/ks/cache formalize compare --family knapsack-strong \\",
        "    --seeds 2 --variants values,objective --model openai/relay \\",
        "    --api-base http://127.0.0.1:8801/v1 --timeout 7200 --stop-after-failures 2 \\",
        "    --verbose --out runs/ks",
    ]
    return "\n".join(lines)


_EPILOG = "\0families\0"  # replaced by the family list when help is shown (no import before)


class _Help(argparse.RawDescriptionHelpFormatter):
    def add_text(self, text: str | None) -> None:
        super().add_text(_families_epilog() if text == _EPILOG else text)


def register(sub: Any) -> None:
    """Add the `compare` sub-command to the `formalize` sub-parsers."""
    p = sub.add_parser(
        "compare", help="the LLM answering directly (no tools) vs solver ground truth",
        description="Score the LLM's own step-by-step answers (values + objective, the objective "
                    "only, or a hand-run procedure's trace) against the verified model's solver "
                    "optimum, on one problem or over a problem family's sizes (scale sweep), "
                    "with the model's seconds and output tokens beside the solver's time.",
        epilog=_EPILOG, formatter_class=_Help)
    p.add_argument("path", nargs="?", default=None,
                   help="problem.txt (ground truth via the verified pipeline) or model.json/.yaml "
                        "(ground truth from the model; the LLM sees the folder's problem.txt)")
    p.add_argument("--family", default=None,
                   help="scale sweep over a problem family (list below)")
    p.add_argument("--sizes", default=None,
                   help="sweep sizes, comma-separated; what a size n means depends on the "
                        "family (list below); default: the family's ladder")
    p.add_argument("--seeds", type=int, default=3, help="instances per size (seeds 0..n-1)")
    p.add_argument("--model", "-m", default=None, help="LLM, e.g. openai/gpt-4.1 or ollama/qwen2.5:14b")
    p.add_argument("--api-base", default=None, help="OpenAI-compatible endpoint (local servers)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="seconds to wait for one answer (overrides FORMALIZE_TIMEOUT; default "
                        "120): raise it for a model that thinks long")
    p.add_argument("--variants", default=None,
                   help="direct-answer variants, comma-separated: values, objective, trace "
                        "(default values,objective)")
    p.add_argument("--answer", action="append", default=[], metavar="ANSWER.json",
                   help="score this answer instead of asking an LLM (repeatable; no model "
                        "needed): a person's plan or another program's, in the answer format "
                        "{\"values\": {var: {index: value}}, \"objective\": n} (scored by the "
                        "checker) or {\"objective\": n}; needs model.json for the ground truth")
    p.add_argument("--data", action="append", default=[], metavar="FILE",
                   help="attached data file (repeatable)")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                   help=f"relative tolerance of 'correct' (default {DEFAULT_TOLERANCE:g})")
    add_backend(p)
    add_time_limit(p)
    p.add_argument("--concurrency", type=int, default=1, help="parallel LLM calls in a sweep")
    add_executor(p)
    p.add_argument("--workers", type=int, default=None,
                   help="--family with --executor ray: Ray workers (default: the cluster's CPUs "
                        "/ --worker-cpus)")
    p.add_argument("--order-seed", type=int, default=0,
                   help="seed of the shuffled request order of a sweep (default 0)")
    p.add_argument("--stop-after-failures", type=int, default=None, metavar="K",
                   help="size ladder: run sizes in order and stop after a size at which at "
                        "least K answers were not correct")
    p.add_argument("--stop-after-seconds", type=float, default=None, metavar="S",
                   help="size ladder with a time budget: start no new size once the sweep has "
                        "run S seconds (the size under way finishes; --resume counts the "
                        "earlier runs' time)")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="print every instance's verdicts, seconds and tokens")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write JSON, CSV, Markdown and PNG files here; a sweep also streams "
                        f"its records to DIR/{RECORDS} as they come (ground truth per "
                        "instance, then each answer)")
    p.add_argument("--resume", action="store_true",
                   help=f"--family: continue the sweep recorded in --out DIR/{RECORDS}: "
                        "recorded ground truths and answers are reused, the rest asked (sizes "
                        "and seeds may be added)")
    p.add_argument("--overwrite", action="store_true",
                   help=f"--family: start again when --out DIR/{RECORDS} exists")
    p.add_argument("--task-timeout", type=float, default=None, metavar="SECONDS",
                   help="--family with --executor ray: seconds one instance (its ground truth "
                        "and answers) may take; past it the instance is recorded as timed out")
    add_plot(p, "the figure (one problem: objectives and violated constraints per answer; "
                "--family: accuracy and cost against size)")
    p.add_argument("--no-cache", action="store_true", help="bypass the LLM response cache")
    p.set_defaults(func=cmd_compare)


def _safe(text: str) -> str:
    from solvers.safe_text import safe_text

    return safe_text(text)


def _usage(msg: str) -> int:
    print(_safe(f"formalize compare: {msg}"), file=sys.stderr)
    return EXIT_USAGE


def _ints(text: str, what: str) -> list[int]:
    try:
        vals = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--{what} must be comma-separated integers, got {text!r}") from None
    if not vals:
        raise ValueError(f"--{what} is empty")
    return vals


def cmd_compare(a: argparse.Namespace) -> int:
    """Run a comparison or a sweep; print it and write files."""
    if a.answer:
        if a.family is not None:
            return _usage("--answer scores answers to one problem; it does not go with --family")
        if a.model or a.api_base or a.variants:
            return _usage("--answer scores the given answers and asks no LLM: drop --model, "
                          "--api-base and --variants (each file's content says its variant)")
        if a.path is None or not a.path.lower().endswith((".json", ".yaml", ".yml")):
            return _usage("--answer needs the formal model for the ground truth: give "
                          "model.json or model.yaml")
    variants = [v.strip() for v in (a.variants or "values,objective").split(",") if v.strip()]
    bad = [v for v in variants if v not in VARIANT_NAMES]
    if bad or not variants:
        return _usage(f"--variants: unknown {bad or variants}; choose from "
                      f"{', '.join(VARIANT_NAMES)}")
    if (a.path is None) == (a.family is None):
        return _usage("give either a problem (problem.txt / model.json) or --family NAME")
    if a.timeout is not None and not a.timeout > 0:
        return _usage(f"--timeout must be a positive number of seconds, got {a.timeout}")
    if a.stop_after_failures is not None and a.stop_after_failures < 1:
        return _usage(f"--stop-after-failures must be at least 1, got {a.stop_after_failures}")
    if a.stop_after_seconds is not None and not a.stop_after_seconds > 0:
        return _usage(f"--stop-after-seconds must be a positive number of seconds, got "
                      f"{a.stop_after_seconds}")
    plot_error = plot_path_error(a.plot)
    if plot_error:
        return _usage(plot_error)
    sizes: list[int] = []
    if a.family is not None:
        from formalize.evaluation.families import FAMILIES

        if a.family not in FAMILIES:
            return _usage(f"unknown family {a.family!r}; known: {', '.join(FAMILIES)}")
        fam = FAMILIES[a.family]
        try:
            sizes = _ints(a.sizes, "sizes") if a.sizes is not None else list(fam.default_sizes)
        except ValueError as exc:
            return _usage(str(exc))
        if a.seeds < 1:
            return _usage(f"--seeds must be at least 1, got {a.seeds}")
        if "trace" in variants and fam.trace is None:
            with_trace = ", ".join(n for n, f in FAMILIES.items() if f.trace)
            return _usage(f"family {a.family!r} has no hand-run procedure for --variants trace; "
                          f"families with one: {with_trace}")
    elif "trace" in variants:
        return _usage("the trace variant needs --family (a family with a hand-run procedure)")
    if a.path is not None and not Path(a.path).is_file():
        return _usage(f"{a.path}: no such file (give problem.txt or model.json)")

    from formalize.evaluation.compare import (
        CompareError,
        GroundTruthError,
        compare,
        score_answers,
        sweep,
    )

    if a.answer:
        try:
            result: Any = score_answers(
                a.path, a.answer, data=a.data, tol=a.tolerance, backend=a.backend,
                time_limit=a.time_limit,
                name="answers " + ", ".join(Path(x).name for x in a.answer))
        except GroundTruthError as exc:
            print(_safe(f"formalize compare: the ground truth does not check out: {exc}"),
                  file=sys.stderr)
            return EXIT_INTERNAL
        except CompareError as exc:
            return _usage(str(exc))
        return _report(a, result)

    if a.executor != "local" and a.family is None:
        return _usage("--executor ray applies to a sweep (--family); one problem runs here")
    if (a.resume or a.overwrite) and a.family is None:
        return _usage("--resume and --overwrite apply to a sweep (--family) and its records in "
                      "--out DIR")
    if a.resume and a.out is None:
        return _usage(f"--resume needs --out DIR (the folder holding the sweep's {RECORDS})")
    if a.resume and a.overwrite:
        return _usage("--resume continues the recorded sweep and --overwrite starts it again: "
                      "give one")
    if a.out is not None and Path(a.out).exists() and not Path(a.out).is_dir():
        return _usage(f"--out {a.out} is a file: give a folder (the JSON, CSV, Markdown and PNG "
                      f"files{' and the records ' + RECORDS if a.family else ''} go there)")
    if a.task_timeout is not None and (a.family is None or a.executor == "local"):
        return _usage("--task-timeout bounds one instance of a sweep on Ray (--family with "
                      "--executor ray); a local run bounds each answer with --timeout")
    if a.task_timeout is not None and not a.task_timeout > 0:
        return _usage(f"--task-timeout must be a positive number of seconds, got {a.task_timeout}")
    executor = executor_from(a)  # Ray not installed: a usage error saying how to install it

    from formalize.llm.client import make_client

    # resolves the LLM: a missing model is a ConfigError (exit 2)
    client = make_client(a.model, no_cache=a.no_cache, api_base=a.api_base)
    if a.timeout is not None:
        client.settings = client.settings.with_(timeout=a.timeout)
    try:
        if a.family is not None:
            from formalize.evaluation.bench import progress_bar

            bar = progress_bar(False if a.json else None)  # instances done, ETA (a terminal)
            task = bar.add_task(f"{a.family} ({a.executor})", total=len(sizes) * a.seeds, acc="")
            scored: dict[tuple[int, int], tuple[int, int]] = {}

            asked: list[bool] = []

            def on_answer(point: Any, ans: Any, done: int, total: int) -> None:
                asked.append(True)
                if a.json:
                    return
                tokens = f", {ans.output_tokens} output tokens" if ans.output_tokens else ""
                of = f"{done}/{total}" if total is not None else f"{done}"
                bar.console.print(f"[dim]… answer {of}[/dim] size {point.size} seed "
                                  f"{point.seed} {ans.variant}: {ans.verdict} "
                                  f"({ans.seconds:.1f} s{tokens})", markup=True)

            def progress(done: int, total: int, point: Any) -> None:
                scored[point.size, point.seed] = (sum(x.correct for x in point.answers),
                                                  len(point.answers))
                right, n = (sum(v[k] for v in scored.values()) for k in (0, 1))
                if not asked:  # taken from the records: no rate sample (the ETA is this run's)
                    bar.reset(task, total=total, completed=done, acc=f"{right}/{n} right")
                else:
                    bar.update(task, completed=done, total=total, acc=f"{right}/{n} right")

            records = Path(a.out) / RECORDS if a.out else None
            before = _stat(records)
            if a.resume and records is not None and before is None:
                print(_safe(f"formalize compare: no records at {records} yet: --resume "
                            "starts the sweep there"), file=sys.stderr)
            try:
                with bar, _resume_hint(records, before):
                    result = sweep(a.family, sizes, a.seeds, client, variants=variants,
                                   tol=a.tolerance, backend=a.backend, time_limit=a.time_limit,
                                   concurrency=a.concurrency, on_answer=on_answer,
                                   progress=progress, order_seed=a.order_seed,
                                   stop_after_failures=a.stop_after_failures,
                                   stop_after_seconds=a.stop_after_seconds,
                                   executor=executor,
                                   results=records,
                                   resume=a.resume, overwrite=a.overwrite,
                                   task_timeout=a.task_timeout)
            except (ValueError, TypeError) as exc:  # bad size, a records file in the way
                return _usage(str(exc))
        else:
            result = compare(a.path, client, variants=variants, data=a.data, tol=a.tolerance,
                             backend=a.backend, time_limit=a.time_limit)
    except GroundTruthError as exc:
        print(_safe(f"formalize compare: the ground truth does not check out: {exc}"), file=sys.stderr)
        return EXIT_INTERNAL
    except CompareError as exc:
        print(_safe(f"formalize compare: {exc}"), file=sys.stderr)
        return EXIT_LLM
    return _report(a, result)


def _stat(path: Path | None) -> tuple | None:
    try:
        st = path.stat() if path is not None else None
    except OSError:
        return None
    return None if st is None else (st.st_ino, st.st_size, st.st_mtime_ns)


@contextlib.contextmanager
def _resume_hint(records: Path | None, before: tuple | None) -> Iterator[None]:
    """On a failure or Ctrl-C of a sweep that has written its records: say where they are and
    how to continue (the error itself is reported by the caller)."""
    try:
        yield
    except BaseException:
        if records is not None and _stat(records) not in (None, before):
            print(_safe(f"formalize compare: the sweep's records so far are in {records}: run "
                        "the same command with --resume to continue it (nothing recorded is "
                        "asked or solved again)"), file=sys.stderr)
        raise


def _report(a: argparse.Namespace, result: Any) -> int:
    """Print a comparison or sweep (table or --json) and write its files (--out, --plot)."""
    from formalize.render import console

    out = console(stderr=a.json)
    err = console(stderr=True)
    files = result.save(a.out) if a.out else {}
    if a.out and getattr(a, "family", None) is not None:
        files["records"] = Path(a.out) / RECORDS
    if a.plot:
        files["plot"] = result.plot(a.plot)
    if a.json:
        doc = result.to_dict()
        doc["files"] = {k: str(v) for k, v in files.items()}
        print(json.dumps(doc, indent=2, default=str))
    else:
        out.print(result)
        if a.verbose and hasattr(result, "rich_instances"):
            out.print(result.rich_instances())
        for kind, path in files.items():
            err.print(f"wrote {kind}: {path}", markup=False)
    return EXIT_OK
