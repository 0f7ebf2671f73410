"""`formalize compare`: the LLM's own direct answers against solver ground truth.

    formalize compare problem.txt|model.json [--model M] [--variants values,objective] [--json] [--out DIR]
    formalize compare --family knapsack --sizes 5,10,20,40,80 --seeds 3 [--model M] [--out DIR]

Registered by `formalize.cli.main` through :func:`register`; imports nothing heavy at module level.
Exit codes: 0 the comparison ran (whatever the verdicts), 1 the model has errors, 2 usage or
configuration, 4 the LLM failed or no verified model came out of the pipeline, 5 the ground truth
disagrees with the checker (a bug: please report it).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from formalize.cli.options import add_time_limit

EXIT_OK, EXIT_USAGE, EXIT_LLM, EXIT_INTERNAL = 0, 2, 4, 5


def register(sub: Any) -> None:
    """Add the `compare` sub-command to the `formalize` sub-parsers."""
    p = sub.add_parser(
        "compare", help="the LLM answering directly (no tools) vs solver ground truth",
        description="Score the LLM's own step-by-step answers (values + objective, or the "
                    "objective only) against the verified model's solver optimum, on one problem "
                    "or over a problem family's sizes (scale sweep).")
    p.add_argument("path", nargs="?", default=None,
                   help="problem.txt (ground truth via the verified pipeline) or model.json/.yaml "
                        "(ground truth from the model; the LLM sees the folder's problem.txt)")
    p.add_argument("--family", default=None,
                   help="scale sweep over a problem family (knapsack, transportation, assignment, "
                        "production, scheduling)")
    p.add_argument("--sizes", default="5,10,20,40,80", help="sweep sizes, comma-separated")
    p.add_argument("--seeds", type=int, default=3, help="instances per size (seeds 0..n-1)")
    p.add_argument("--model", "-m", default=None, help="LLM, e.g. openai/gpt-4.1 or ollama/qwen2.5:14b")
    p.add_argument("--api-base", default=None, help="OpenAI-compatible endpoint (local servers)")
    p.add_argument("--variants", default="values,objective",
                   help="direct-answer variants: values (every variable + objective), objective")
    p.add_argument("--data", action="append", default=[], metavar="FILE",
                   help="attached data file (repeatable)")
    p.add_argument("--tolerance", type=float, default=1e-6, help="relative tolerance of 'correct'")
    p.add_argument("--backend", choices=["auto", "highs", "cpsat"], default="auto")
    add_time_limit(p)
    p.add_argument("--concurrency", type=int, default=1, help="parallel LLM calls in a sweep")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--out", default=None, metavar="DIR", help="write JSON, CSV and PNG files here")
    p.add_argument("--no-cache", action="store_true", help="bypass the LLM response cache")
    p.set_defaults(func=cmd_compare)


def _usage(msg: str) -> int:
    print(f"formalize compare: {msg}", file=sys.stderr)
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
    variants = [v.strip() for v in a.variants.split(",") if v.strip()]
    known = ("values", "objective")
    bad = [v for v in variants if v not in known]
    if bad or not variants:
        return _usage(f"--variants: unknown {bad or variants}; choose from {', '.join(known)}")
    if (a.path is None) == (a.family is None):
        return _usage("give either a problem (problem.txt / model.json) or --family NAME")
    if a.family is not None:
        try:
            sizes = _ints(a.sizes, "sizes")
        except ValueError as exc:
            return _usage(str(exc))
        if a.seeds < 1:
            return _usage(f"--seeds must be at least 1, got {a.seeds}")
        from formalize.evaluation.families import FAMILIES

        if a.family not in FAMILIES:
            return _usage(f"unknown family {a.family!r}; known: {', '.join(FAMILIES)}")
    from pathlib import Path

    if a.path is not None and not Path(a.path).is_file():
        return _usage(f"{a.path}: no such file (give problem.txt or model.json)")

    from formalize.llm.client import make_client

    # resolves the LLM: a missing model is a ConfigError (exit 2)
    client = make_client(a.model, no_cache=a.no_cache, api_base=a.api_base)
    from rich.console import Console

    from formalize.evaluation.compare import CompareError, GroundTruthError, compare, sweep

    out = Console(stderr=a.json, highlight=False)
    err = Console(stderr=True, highlight=False)
    try:
        if a.family is not None:
            def progress(done: int, total: int, point: Any) -> None:
                if not a.json:
                    verdicts = ", ".join(f"{x.variant}: {x.verdict}" for x in point.answers)
                    err.print(f"[dim]… {done}/{total}[/dim] size {point.size} seed {point.seed}: "
                              f"{verdicts}", markup=True)

            try:
                result: Any = sweep(a.family, sizes, a.seeds, client, variants=variants,
                                    tol=a.tolerance, backend=a.backend, time_limit=a.time_limit,
                                    concurrency=a.concurrency, progress=progress)
            except (ValueError, TypeError) as exc:  # bad size for the family
                return _usage(str(exc))
        else:
            result = compare(a.path, client, variants=variants, data=a.data, tol=a.tolerance,
                             backend=a.backend, time_limit=a.time_limit)
    except GroundTruthError as exc:
        print(f"formalize compare: the ground truth does not check out: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except CompareError as exc:
        print(f"formalize compare: {exc}", file=sys.stderr)
        return EXIT_LLM
    files = result.save(a.out) if a.out else {}
    if a.json:
        doc = result.to_dict()
        doc["files"] = {k: str(v) for k, v in files.items()}
        print(json.dumps(doc, indent=2, default=str))
    else:
        out.print(result)
        for kind, path in files.items():
            err.print(f"wrote {kind}: {path}", markup=False)
    return EXIT_OK
