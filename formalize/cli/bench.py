"""``formalize bench``: run a benchmark and print its scored summary (see formalize.evaluation.bench).

Registered by formalize.cli.main through :func:`register`; importing this module imports nothing heavy.
"""

from __future__ import annotations

import argparse

from formalize.cli.options import (
    add_executor,
    add_plot,
    add_time_limit,
    executor_from,
    plot_path_error,
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``bench`` sub-command to the formalize command's sub-parsers."""
    b = sub.add_parser(
        "bench", help="run a benchmark dataset and score it against its labels",
        description="Run a benchmark (shipped: nl4opt, mamo_easylp, mamo_complexlp, optibench, "
                    "examples, the verified library: library or library/<benchmark>; others via "
                    "--path) through the pipeline, an LLM's direct answers, or the library's "
                    "reference models (--model reference, no LLM: also prints the label audit), "
                    "and score it.",
        epilog="Results are appended per problem to --out; a killed run continues with --resume. "
               "No accuracy figure exists for a model until this command measured it.")
    b.add_argument("dataset", help="dataset name (nl4opt, mamo_easylp, optibench, examples, ...)")
    b.add_argument("--path", default=None,
                   help="your copy: a normalized.jsonl, a dataset directory, a datasets root with "
                        "<benchmark>-<version>/ directories, or a folder of problem folders")
    b.add_argument("--version", default=None,
                   help="label version: which <benchmark>-<version> directory (orlm, sirl, ...)")
    b.add_argument("--agreed-only", action="store_true",
                   help="only problems whose label is the same in every version")
    b.add_argument("--model", "-m", default=None,
                   help="LLM (e.g. openai/gpt-4.1), or 'reference' for the library's reference models")
    b.add_argument("--api-base", default=None, help="OpenAI-compatible endpoint (local servers)")
    b.add_argument("--mode", choices=["ir", "code", "direct"], default="ir",
                   help="formal model (ir), model-building code, or the LLM's own answer (direct)")
    b.add_argument("--strategy", choices=["steps", "single"], default="steps",
                   help="ir mode: read+structure calls, or one call")
    b.add_argument("--samples", type=int, default=1, help="k formalizations per problem with a vote")
    b.add_argument("--max-repairs", type=int, default=3)
    add_time_limit(b)
    b.add_argument("--limit", type=int, default=None, help="only the first n problems")
    b.add_argument("--ids", nargs="+", default=None, metavar="ID",
                   help="only these problem ids (full 'nl4opt-cpmpy:17' or bare '17')")
    b.add_argument("--concurrency", type=int, default=8, help="problems in flight at once")
    b.add_argument("--workers", type=int, default=None,
                   help="local: processes for verification and solves (default: CPUs when 32+ "
                        "problems); ray: Ray workers (default: the cluster's CPUs / --worker-cpus)")
    add_executor(b)
    b.add_argument("--task-timeout", type=_positive, default=None, metavar="SECONDS",
                   help="time budget of one problem; past it the problem is recorded with status "
                        "'timeout' (not retried)")
    b.add_argument("--labels", choices=["original", "corrected"], default="original",
                   help="score against the dataset's labels, or the library's corrections where "
                        "problems/datasets/corrections.jsonl has one (a text the library found to "
                        "lack data the problem needs is then not scored)")
    b.add_argument("--tolerance", type=float, default=1e-6,
                   help="relative tolerance of a correct objective (5%% is always reported too), "
                        "compared after the rounding the text asks of its answer ('rounded to the "
                        "nearest dollar')")
    b.add_argument("--out", default="results.jsonl", help="results file (JSONL, one line a problem)")
    b.add_argument("--resume", action="store_true", help="continue the run recorded in --out")
    b.add_argument("--overwrite", action="store_true", help="start again when --out exists")
    b.add_argument("--compare", action="store_true",
                   help="also score the LLM's direct answers (objective only, no tools)")
    b.add_argument("--compare-model", default=None,
                   help="the LLM for --compare (default: --model; needed with --model reference)")
    b.add_argument("--report", default=None, metavar="DIR",
                   help="where the Markdown/CSV/PNG summary go (default: beside --out)")
    b.add_argument("--no-cache", action="store_true", help="bypass the LLM response cache")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.add_argument("--no-plot", action="store_true", help="no PNG chart beside the summary")
    add_plot(b, "the summary's bar chart (execution rate and accuracy per group)")
    b.set_defaults(func=cmd_bench)


def _positive(value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        v = -1.0
    if not v > 0:
        raise argparse.ArgumentTypeError(f"give a positive number of seconds, got {value!r}")
    return v


def cmd_bench(a: argparse.Namespace) -> int:
    """Run ``formalize bench``; exit 0 when the run completed (whatever its accuracy)."""
    import sys

    plot_error = plot_path_error(a.plot)
    if plot_error:
        from solvers.safe_text import safe_text

        print(safe_text(f"formalize bench: {plot_error}"), file=sys.stderr)
        return 2
    from formalize.evaluation.bench import print_report, run_bench

    executor = executor_from(a)
    report = run_bench(
        a.dataset, model=a.model, mode=a.mode, samples=a.samples, limit=a.limit, ids=a.ids,
        concurrency=a.concurrency, tolerance=a.tolerance, out=a.out, resume=a.resume,
        compare=a.compare, path=a.path, version=a.version, agreed_only=a.agreed_only,
        report_dir=a.report, compare_model=a.compare_model, strategy=a.strategy,
        max_repairs=a.max_repairs, time_limit=a.time_limit, api_base=a.api_base,
        no_cache=a.no_cache, overwrite=a.overwrite, workers=a.workers,
        progress=False if a.no_progress else None, labels=a.labels, plot=not a.no_plot,
        executor=executor, task_timeout=a.task_timeout)
    if a.plot:
        report.reports["--plot"] = report.summary.plot(a.plot)
    print_report(report)
    return 0
