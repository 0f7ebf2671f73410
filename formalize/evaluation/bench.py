"""Benchmark runner: a dataset of plain-words problems with labelled optima, run and scored.

::

    report = run_bench("nl4opt", model="openai/gpt-4.1", mode="ir", concurrency=8)
    report.summary            # per dataset and per category: execution, accuracy, tokens, cost
    run_bench("nl4opt", model="reference")   # the library's hand-written models, no LLM

Datasets are in the normalized format of the shared dataset collection (one JSON object a line:
``id``, ``text``, ``answer``, ``answer_status``, ``benchmark``, ``version``, ``meta``). A name
resolves to ``problems/benchmarks/<name>/normalized.jsonl`` (the sets whose licence allows
shipping them), else to ``path``: a ``normalized.jsonl`` file, a dataset directory holding one, a
datasets root holding ``<benchmark>-<version>/`` directories (``version`` picks which one), or a
folder of problem folders (``problem.txt`` + ``meta.json``/``expected.json`` + ``model.json``).
``library`` is the verified library itself (problems/datasets, every benchmark; each problem keeps
its own dataset label) and ``library/<benchmark>`` one benchmark of it.

Modes: ``ir`` and ``code`` run the formalization program (LLM → verified model → solver);
``direct`` asks the LLM for the optimal objective value with no tools ("standard prompting");
``model="reference"`` solves the library's reference formal models (problems/datasets, matched by
dataset id, directly or through the cross-version comparisons; or a ``model.json`` shipped with the
problem) with no LLM at all — an audit of the evaluator and of the labels: the report carries the
label audit (formalize.evaluation.library: agree / disagree with the correction's reason / cannot
express / incomplete text, per dataset). ``labels="corrected"`` scores any run against the library's
corrections (problems/datasets/corrections.jsonl) where one applies, keeping the original in
``label_original``, and leaves unscored the problems whose text the library found to lack data.

Scoring (per problem, recomputed from the raw record at summary time, so a results file can be
re-scored with another tolerance):

- a numeric label is matched when the run's status is optimal/feasible and
  ``|objective - label| <= max(tol * |label|, 1e-6)``; ``tol`` is ``tolerance`` (default 1e-6)
  and, separately, 0.05 (the ORLM convention); where the text asks for its answer rounded ("rounded
  to the nearest dollar", "to two decimal places": ``scoring.answer_rounding``, kept in the
  record's ``answer_rounding``), objective and label are compared so rounded;
- a null label (the source marks the problem infeasible, or gives no value) is matched only when
  the run ends ``infeasible``; a feasibility label (examples without objective) when a feasible
  point is found; labels the source could not parse are not scored;
- *executed*: the run produced a definite solver outcome (optimal, feasible, infeasible or
  unbounded) — for ``direct``, a parseable answer;
- problems without a reference model (``model="reference"``) are listed as
  ``no-reference`` (or ``cannot-express`` when the library records that the format cannot express
  them, ``incomplete-text`` when it records that the text omits data the problem needs) and left
  out of every rate.

Results go to a JSONL file, one line per problem written with a single ``os.write`` on an
``O_APPEND`` descriptor followed by ``fsync``: a run killed at any moment resumes
(``resume=True``) with nothing lost and nothing counted twice (records are keyed by problem id, the
last one wins; a cut-off last line is removed on resume).
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import math
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from formalize.evaluation.executors import LocalExecutor, portable_client, rebuilt_client
from formalize.evaluation.results_file import ResultsFile, read_results
from formalize.evaluation.scoring import (
    CANNOT_EXPRESS,
    DEFINITE,
    INCOMPLETE_TEXT,
    NO_REFERENCE,
    NULL_LABELS,
    ORLM_TOLERANCE,
    SOLVED,
    Rounding,
    answer_rounding,
    is_correct,
)
from formalize.llm.config import ConfigError

__all__ = [
    "BenchReport",
    "Dataset",
    "GroupStats",
    "Problem",
    "Summary",
    "is_correct",
    "load_dataset",
    "read_results",
    "run_bench",
    "summarize",
]

REPO = Path(__file__).resolve().parents[2]
BENCH_DIR = REPO / "problems" / "benchmarks"
REFERENCE_DIR = REPO / "problems" / "datasets"
EXAMPLES_DIR = REPO / "problems" / "examples"
ENV_DATASETS = "FORMALIZE_DATASETS"  # a datasets root (<benchmark>-<version>/, comparisons/)

MODES = ("ir", "code", "direct")
REFERENCE = "reference"
LABELS = ("original", "corrected")
LIBRARY = "library"  # the dataset name of the whole library (problems/datasets); library/<benchmark>
CATEGORY_FIELDS = ("difficulty", "type", "problem_type", "question_type", "problem_class")
# the version taken when a datasets root holds several and none is asked for
DEFAULT_VERSIONS = {"nl4opt": "cpmpy", "mamo_easylp": "original", "mamo_complexlp": "original",
                    "optibench": "resocratic", "industryor": "v2_hf", "nlp4lp": "original",
                    "complexor": "coe"}
# error kinds of an LLM call worth running again on resume (the record is then replaced)
TRANSIENT = {"timeout", "rate_limit", "server_error", "connection", "bad_response"}


# =============================================================================== datasets
@dataclass
class Problem:
    """One benchmark problem: text, label and (when the library has one) a reference model."""

    id: str
    text: str
    answer: float | None
    answer_status: str
    benchmark: str
    version: str
    categories: dict[str, str] = field(default_factory=dict)
    reference: Path | dict | None = None  # model.json path or an inline model document
    data_dir: Path | None = None  # where the reference model's data files live
    reference_id: str | None = None  # the library problem whose model (or verdict) is attached
    # the library's verdict when it has no model: (cannot-express | incomplete-text, its reason)
    no_model: tuple[str, str] | None = None
    dataset: str = ""  # benchmark-version of this problem when a dataset mixes them (the library)
    label_original: float | None = None  # with corrected labels: the dataset's own label
    label_status_original: str | None = None
    # the reference's folder carried along (relative path -> bytes; ``reference`` then relative
    # to it) for workers that do not see this machine's files (Ray client): _BenchJob.portable
    files: dict[str, bytes] | None = None

    @property
    def rounding(self) -> Rounding | None:
        """The rounding the text asks of its answer (scoring compares so rounded), or None."""
        return answer_rounding(self.text)


@dataclass
class Dataset:
    """Problems of one benchmark version, with where they came from."""

    name: str
    benchmark: str
    version: str
    source: str
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)
    clusters: list[dict] | None = None  # cross-version clusters ({"ids": {...}, "all_agree": b})

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def label(self) -> str:
        """``benchmark-version`` (or the name when they are unknown)."""
        return f"{self.benchmark}-{self.version}" if self.version else self.benchmark or self.name


def _float(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _categories(meta: Any) -> dict[str, str]:
    if not isinstance(meta, dict):
        return {}
    low = {str(k).lower(): v for k, v in meta.items()}
    return {f: str(low[f]) for f in CATEGORY_FIELDS
            if isinstance(low.get(f), (str, int)) and str(low[f]).strip()}


def _split_source(source: str) -> tuple[str, str]:
    bench, _, version = source.partition("-")
    return bench, version


def _read_jsonl(path: Path) -> list[Problem]:
    problems: list[Problem] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{n}: not valid JSON ({exc.msg} at column {exc.colno}); "
                                  "each line must be one JSON object") from None
            missing = [k for k in ("id", "text") if not r.get(k)]
            if missing:
                raise ConfigError(f"{path}:{n}: the record lacks {', '.join(missing)} (the "
                                  "normalized format needs id, text, answer, answer_status)")
            answer = _float(r.get("answer"))
            status = str(r.get("answer_status") or ("ok" if answer is not None else "missing"))
            bench, version = r.get("benchmark"), r.get("version")
            if not bench and r.get("source"):
                bench, version = _split_source(str(r["source"]))
            ref = r.get("reference_model")
            if isinstance(ref, str):
                ref = (path.parent / ref).resolve()
            problems.append(Problem(
                id=str(r["id"]), text=str(r["text"]), answer=answer, answer_status=status,
                benchmark=str(bench or ""), version=str(version or ""),
                categories=_categories(r.get("meta")), reference=ref,
                data_dir=path.parent if ref is not None else None))
    return problems


def _read_folders(root: Path, pattern: str = "*/problem.txt") -> list[Problem]:
    """A folder of problem folders: problem.txt, meta.json or expected.json, model.json."""
    problems = []
    for folder in sorted(p.parent for p in root.glob(pattern)):
        meta: dict[str, Any] = {}
        if (folder / "meta.json").is_file():
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            answer, status = _float(meta.get("answer")), str(meta.get("answer_status") or "ok")
        elif (folder / "expected.json").is_file():
            exp = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
            answer = _float(exp.get("objective"))
            st = exp.get("status")
            status = ("infeasible" if st == "infeasible" else
                      "feasible" if answer is None and st in SOLVED else
                      "ok" if answer is not None else "missing")
            meta = {"problem_class": exp.get("class")} if exp.get("class") else {}
        else:
            continue
        bench, version = _split_source(str(meta.get("dataset") or ""))
        model = folder / "model.json"
        pid = str(meta.get("id") or f"{root.name}:{folder.name}")
        problems.append(Problem(
            id=pid, text=(folder / "problem.txt").read_text(encoding="utf-8").strip(),
            answer=answer, answer_status=status,
            benchmark=str(meta.get("benchmark") or bench or root.name), version=version,
            categories=_categories(meta), reference=model if model.is_file() else None,
            data_dir=folder, reference_id=pid if model.is_file() else None,
            no_model=_no_model(meta), dataset=str(meta.get("dataset") or "")))
    return problems


def _no_model(meta: dict[str, Any]) -> tuple[str, str] | None:
    """The library's verdict on a problem it has no model for: the format cannot express it, or
    its text lacks data the problem needs; with the reason."""
    lib = meta.get("library")
    if isinstance(lib, dict) and lib.get("status") in (CANNOT_EXPRESS, INCOMPLETE_TEXT):
        default = ("the model format cannot express it" if lib["status"] == CANNOT_EXPRESS
                   else "the text omits data the problem needs")
        return str(lib["status"]), str(lib.get("reason") or default)
    return None


def _datasets_roots(path: Path | None) -> list[Path]:
    roots = []
    if path is not None:
        roots.append(path)
    if os.environ.get(ENV_DATASETS):
        roots.append(Path(os.environ[ENV_DATASETS]))
    return roots


def _shipped() -> list[str]:
    return sorted(p.parent.name for p in BENCH_DIR.glob("*/normalized.jsonl"))


def _first_version(path: Path) -> str:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                return str(json.loads(line).get("version") or "")
    return ""


def _locate(name: str, path: str | os.PathLike[str] | None, version: str | None) -> tuple[Path, str]:
    """The file or folder holding the dataset, and its kind ('jsonl' or 'folders')."""
    if path is not None:
        p = Path(path).expanduser()
        if p.is_file():
            return p, "jsonl"
        if not p.is_dir():
            raise ConfigError(f"--path {p}: no such file or directory (give a normalized.jsonl, a "
                              "dataset directory, or a datasets root with <benchmark>-<version>/)")
        if (p / "normalized.jsonl").is_file():
            return p / "normalized.jsonl", "jsonl"
        if any(p.glob("*/problem.txt")):
            return p, "folders"
        return _in_root(p, name, version), "jsonl"
    if name == "examples":
        return EXAMPLES_DIR, "folders"
    if name == LIBRARY or name.startswith(LIBRARY + "/"):
        sub = name[len(LIBRARY) + 1:]
        root = REFERENCE_DIR / sub if sub else REFERENCE_DIR
        if sub and not (root / "ATTRIBUTION.md").is_file():
            have = sorted(p.parent.name for p in REFERENCE_DIR.glob("*/ATTRIBUTION.md"))
            raise ConfigError(f"{name}: the library has no benchmark {sub!r} (it has: "
                              f"{', '.join(have)}); write library/<benchmark> or library")
        return root, "library"
    shipped = BENCH_DIR / name / "normalized.jsonl"
    if shipped.is_file():
        have = _first_version(shipped)
        if version is None or version == have:
            return shipped, "jsonl"
        for root in _datasets_roots(None):
            if (root / f"{name}-{version}" / "normalized.jsonl").is_file():
                return root / f"{name}-{version}" / "normalized.jsonl", "jsonl"
        raise ConfigError(
            f"{name}: the shipped set (problems/benchmarks/{name}) carries the {have!r} labels, not "
            f"{version!r}; pass --path <datasets root> holding {name}-{version}/normalized.jsonl "
            f"(or set {ENV_DATASETS})")
    for root in _datasets_roots(None):
        try:
            return _in_root(root, name, version), "jsonl"
        except ConfigError:
            pass
    raise ConfigError(
        f"{name}: not a dataset shipped with formalize (shipped: {', '.join(_shipped() + ['examples'])}). "
        f"Sets whose licence forbids redistribution load from your own copy: pass --path to its "
        f"normalized.jsonl, its directory, or a datasets root (or set {ENV_DATASETS})")


def _in_root(root: Path, name: str, version: str | None) -> Path:
    if version is not None:
        cand = root / f"{name}-{version}" / "normalized.jsonl"
        if cand.is_file():
            return cand
    elif (root / name / "normalized.jsonl").is_file():
        return root / name / "normalized.jsonl"
    found = sorted(p.parent.name[len(name) + 1:] for p in root.glob(f"{name}-*/normalized.jsonl"))
    if version is None and found:
        default = DEFAULT_VERSIONS.get(name)
        pick = default if default in found else found[0] if len(found) == 1 else None
        if pick is not None:
            return root / f"{name}-{pick}" / "normalized.jsonl"
        raise ConfigError(f"{root}: {name} has versions {', '.join(found)}; choose one with --version")
    if found:
        raise ConfigError(f"{root}: no {name}-{version}/normalized.jsonl; versions there: "
                          f"{', '.join(found)}")
    raise ConfigError(f"{root}: no dataset {name!r} (expected {name}-<version>/normalized.jsonl, "
                      f"{name}/normalized.jsonl, or a normalized.jsonl file)")


def _clusters_for(benchmark: str, located: Path, path: str | os.PathLike[str] | None) -> list[dict] | None:
    """The cross-version clusters of a benchmark, from the first place that has them."""
    cands: list[Path] = []
    if path is not None:
        p = Path(path)
        cands += [p / "comparisons" / f"{benchmark}.jsonl", p.parent / "comparisons" / f"{benchmark}.jsonl"]
    cands += [located.parent.parent / "comparisons" / f"{benchmark}.jsonl",
              BENCH_DIR / benchmark / "agreement.jsonl"]
    cands += [r / "comparisons" / f"{benchmark}.jsonl" for r in _datasets_roots(None)]
    for c in cands:
        if c.is_file():
            return [json.loads(line) for line in c.read_text(encoding="utf-8").splitlines() if line.strip()]
    return None


@lru_cache(maxsize=1)
def _reference_index() -> dict[str, Path]:
    """Dataset id -> the library folder (problems/datasets) with its hand-written reference model
    or its verdict that it has none (cannot-express, incomplete-text)."""
    out: dict[str, Path] = {}
    for meta in REFERENCE_DIR.glob("*/*/meta.json"):
        m = json.loads(meta.read_text(encoding="utf-8"))
        if m.get("id") and ((meta.parent / "model.json").is_file() or _no_model(m)):
            out[str(m["id"])] = meta.parent
    return out


def _attach_references(problems: list[Problem], clusters: list[dict] | None) -> None:
    index = _reference_index()
    by_cluster: dict[str, list[str]] = {}
    for c in clusters or []:
        ids = list((c.get("ids") or {}).values())
        for i in ids:
            by_cluster[i] = ids
    for p in problems:
        if p.reference is not None or p.no_model is not None:
            continue
        for cand in [p.id, *by_cluster.get(p.id, [])]:
            if cand in index:
                folder = index[cand]
                p.reference_id, p.data_dir = cand, folder
                if (folder / "model.json").is_file():
                    p.reference = folder / "model.json"
                else:
                    p.no_model = _no_model(json.loads(
                        (folder / "meta.json").read_text(encoding="utf-8")))
                break


def load_dataset(name: str, *, path: str | os.PathLike[str] | None = None,
                 version: str | None = None, agreed_only: bool = False) -> Dataset:
    """Load a benchmark by name (shipped) or from ``path``; see the module docstring.

    ``version`` picks the label version (the ``<benchmark>-<version>`` directory of a datasets
    root). ``agreed_only`` keeps the problems that occur in two or more versions with the same
    answer in every one (from ``comparisons/<benchmark>.jsonl`` or the shipped
    ``agreement.jsonl``)."""
    located, kind = _locate(name, path, version)
    if kind == "library":
        return _load_library(name, located, version, agreed_only)
    problems = _read_jsonl(located) if kind == "jsonl" else _read_folders(located)
    if not problems:
        raise ConfigError(f"{located}: holds no problems")
    bench = problems[0].benchmark or name
    ver = problems[0].version
    if version is not None and ver and ver != version:
        raise ConfigError(f"{located}: holds version {ver!r}, not {version!r}; point --path at the "
                          f"{bench}-{version} directory or drop --version")
    clusters = _clusters_for(bench, located, path)
    ds = Dataset(name=name, benchmark=bench, version=ver, source=str(located), problems=problems,
                 clusters=clusters)
    if agreed_only:
        if clusters is None:
            raise ConfigError(
                f"--agreed-only needs the cross-version comparisons of {bench}: pass --path <datasets "
                f"root> holding comparisons/{bench}.jsonl (or set {ENV_DATASETS})")
        agreed = {i for c in clusters if c.get("all_agree") and len(c.get("ids") or {}) >= 2
                  for i in c["ids"].values()}
        before = len(ds.problems)
        ds.problems = [p for p in ds.problems if p.id in agreed]
        ds.notes.append(f"agreed labels only: kept {len(ds.problems)} of {before}")
    _attach_references(ds.problems, clusters)
    return ds


def _load_library(name: str, root: Path, version: str | None, agreed_only: bool) -> Dataset:
    """The verified library (problems/datasets) or one benchmark of it, each problem with its own
    dataset label (its reference model, or the library's verdict that it has none, attached)."""
    if version is not None:
        raise ConfigError(f"{name}: the library carries the labels of the version each text was taken "
                          "from; --version does not apply (run the benchmark by name with --path)")
    pattern = "*/problem.txt" if root != REFERENCE_DIR else "*/*/problem.txt"
    problems = _read_folders(root, pattern)
    if not problems:
        raise ConfigError(f"{root}: holds no problems")
    ds = Dataset(name=name, benchmark=name, version="", source=str(root), problems=problems)
    if agreed_only:
        before = len(ds.problems)
        keep = set()
        for folder in (root.glob(pattern)):
            meta = json.loads((folder.parent / "meta.json").read_text(encoding="utf-8"))
            if meta.get("labels_all_agree") and len(meta.get("label_versions") or {}) >= 2:
                keep.add(str(meta["id"]))
        ds.problems = [p for p in ds.problems if p.id in keep]
        ds.notes.append(f"agreed labels only: kept {len(ds.problems)} of {before}")
    modelled = sum(p.reference is not None for p in ds.problems)
    cannot = sum(p.no_model is not None and p.no_model[0] == CANNOT_EXPRESS for p in ds.problems)
    lacking = sum(p.no_model is not None and p.no_model[0] == INCOMPLETE_TEXT for p in ds.problems)
    ds.notes.append(f"library: {len(ds.problems)} problem(s), {modelled} with a reference model, "
                    f"{cannot} the format cannot express, {lacking} whose text lacks data, "
                    f"{len(ds.problems) - modelled - cannot - lacking} not modelled yet")
    return ds


def _correct_labels(ds: Dataset) -> None:
    """Score against the library's corrections (problems/datasets/corrections.jsonl) where one
    applies: to the problem itself, or to another version of it whose text is the same. A problem
    whose text the library found to lack data the answer needs (incomplete-text) is not scored."""
    from formalize.evaluation.library import load_corrections, same_text

    corrections = load_corrections(REFERENCE_DIR)
    index = _reference_index()
    applied, differing, lacking = 0, 0, 0
    for p in ds.problems:
        if p.no_model is not None and p.no_model[0] == INCOMPLETE_TEXT:
            if p.reference_id not in (None, p.id) and not same_text(
                    (index[p.reference_id] / "problem.txt").read_text(encoding="utf-8"), p.text):
                continue
            p.label_original, p.label_status_original = p.answer, p.answer_status
            p.answer, p.answer_status = None, INCOMPLETE_TEXT
            lacking += 1
            continue
        c = corrections.get(p.id) or (corrections.get(p.reference_id) if p.reference_id else None)
        if c is None:
            continue
        if c["id"] != p.id:
            lib_text = (index[c["id"]] / "problem.txt").read_text(encoding="utf-8")
            if not same_text(lib_text, p.text):
                differing += 1
                continue
        p.label_original, p.label_status_original = p.answer, p.answer_status
        if c["our_status"] == "optimal":
            p.answer, p.answer_status = float(c["our_optimum"]), "ok"
        else:  # infeasible or unbounded: the corrected label is that outcome
            p.answer, p.answer_status = None, str(c["our_status"])
        applied += 1
    note = (f"labels: corrected — {applied} problem(s) scored against the library's correction "
            "(problems/datasets/corrections.jsonl), the others against their own label")
    if differing:
        note += f"; {differing} correction(s) not applied: this version's text differs from the library's"
    if lacking:
        note += f"; {lacking} problem(s) not scored: the text omits data the problem needs (incomplete-text)"
    ds.notes.append(note)


# =============================================================================== direct answers
DIRECT_PROMPT = """Solve the following optimization problem. Reason step by step, doing all the
calculations yourself, then end your answer with one line of JSON giving the optimal objective
value: {{"objective": <number>}}; if the problem has no feasible solution write
{{"status": "infeasible"}}.

Problem:
\"\"\"
{text}
\"\"\""""

_NUMBER = re.compile(r"(?P<num>-?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)"
                     r"(?:(?P<mult>[kKmM])\b|\s*(?P<word>thousand|million|mn|billion|bn)\b)?",
                     re.IGNORECASE)
_MULTIPLIER = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "mn": 1e6, "billion": 1e9,
               "bn": 1e9}


def parse_direct(text: str) -> tuple[str, float | None]:
    """(status, objective) of a direct answer: optimal with a value, infeasible, or unparseable.
    The answer object is found as compare mode finds it (`verdicts.parse_answer`: the last object
    with an "objective" or "status", read strictly — a key given twice is unparseable)."""
    from formalize.evaluation.verdicts import parse_answer
    from formalize.llm.client import DuplicateKeyError

    try:
        doc = parse_answer(text or "", keys=("objective", "status"))
    except DuplicateKeyError:
        return "unparseable", None
    if not isinstance(doc, dict):
        return "unparseable", None
    if str(doc.get("status") or "").strip().lower() in ("infeasible", "no solution", "none"):
        return "infeasible", None
    v = doc.get("objective")
    if isinstance(v, str):
        m = _NUMBER.search(v.replace("\u2212", "-"))
        v = None
        if m is not None:
            f = _float(m.group("num").replace(",", ""))
            suffix = (m.group("mult") or m.group("word") or "").lower()
            v = f * _MULTIPLIER.get(suffix, 1.0) if f is not None else None
    f = _float(v)
    return ("optimal", f) if f is not None else ("unparseable", None)


async def _direct(client: Any, p: Problem, sample: int = 0) -> dict:
    started = time.perf_counter()
    try:
        resp = await client.acomplete(DIRECT_PROMPT.format(text=p.text), sample=sample)
    except AssertionError:  # a test double ran out of answers
        raise
    except Exception as exc:  # an LLM failure is the answer's outcome, recorded
        kind = getattr(exc, "kind", None)
        return {"status": "error", "objective": None, "executed": False, "tokens": 0, "cost": 0.0,
                "seconds": time.perf_counter() - started, "error": str(exc)[:500],
                "error_kind": kind or type(exc).__name__, "retry": kind in TRANSIENT}
    status, obj = parse_direct(resp.text)
    return {"status": status, "objective": obj, "executed": status != "unparseable",
            "tokens": 0 if resp.cached else resp.total_tokens,
            "prompt_tokens": 0 if resp.cached else resp.prompt_tokens or 0,
            "completion_tokens": 0 if resp.cached else resp.completion_tokens or 0,
            "cost": resp.cost or 0.0, "seconds": time.perf_counter() - started,
            "answer_tail": (resp.text or "")[-300:]}


# =============================================================================== workers
def _solve_reference(reference: Any, data_dir: str | None, time_limit: float | None) -> dict:
    """Solve one reference model (runs in a worker process); plain data in and out."""
    import solvers
    from solvers import ModelError, load_model

    started = time.perf_counter()
    try:
        model = load_model(reference if isinstance(reference, dict) else Path(reference),
                           data_dirs=[Path(data_dir)] if data_dir else None)
        sol = solvers.solve(model, time_limit=time_limit)
    except ModelError as exc:
        return {"status": "error", "objective": None, "seconds": time.perf_counter() - started,
                "error": "; ".join(str(d) for d in exc.diagnostics)[:1000]}
    return {"status": sol.status.value, "objective": sol.objective,
            "seconds": time.perf_counter() - started, "error": sol.message if not sol.ok else None}


def _loop_client(base: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """An LLMClient whose synchronous ``complete`` runs ``acomplete`` on the runner's event loop.

    The program is synchronous and runs in a worker thread; its calls travel over the loop's
    async HTTP (one connection pool, no thread per socket)."""
    from formalize.llm.client import LLMClient

    class LoopClient(LLMClient):
        def complete(self, messages: Any, **kwargs: Any) -> Any:
            fut = asyncio.run_coroutine_threadsafe(self.acomplete(messages, **kwargs), loop)
            return fut.result()

    c = LoopClient(base.settings, cache=None if base.no_cache else base.cache, no_cache=base.no_cache)
    c.usage = base.usage  # one account for the whole run
    return c


def _pipeline(p: Problem, client: Any, mode: str, samples: int, settings: dict) -> dict:
    """Run the formalization program on one problem (worker thread); a record fragment."""
    from formalize import api

    started = time.perf_counter()
    try:
        res = api.solve(p.text, client, samples=samples, mode=mode, **settings)
    except AssertionError:  # a test double ran out of answers: a bug in the test, not a result
        raise
    except Exception as exc:  # an LLM failure ends this problem, not the run
        kind = getattr(exc, "kind", None)
        return {"status": "error", "objective": None, "error": f"{type(exc).__name__}: {exc}"[:1000],
                "error_kind": kind or type(exc).__name__, "retry": kind in TRANSIENT,
                "seconds": time.perf_counter() - started}
    f = res.formalization
    u = res.usage
    out = {"status": res.status, "objective": res.objective,
           "repair_rounds": f.repair_rounds if f is not None else 0,
           "llm_calls": u.calls, "cached_calls": u.cached_calls, "prompt_tokens": u.prompt_tokens,
           "completion_tokens": u.completion_tokens, "tokens": u.total_tokens, "cost": u.cost,
           "unpriced_calls": u.unpriced_calls, "confidence": res.confidence,
           "seconds": time.perf_counter() - started}
    if res.solution is None and f is not None:
        errs = [str(d) for d in f.diagnostics if d.severity == "error"]
        out["error"] = ("no verified model: " + "; ".join(errs))[:1000] if errs else "no solution"
    return out


def _warm_worker() -> None:
    """Import the verification and solver stack in a worker process before the run starts."""
    import solvers.checks  # noqa: F401
    import solvers.lower  # noqa: F401
    import solvers.solve_api  # noqa: F401
    from formalize.verify import grounding  # noqa: F401


# =============================================================================== summary
@dataclass
class GroupStats:
    """Metrics of one group of problems (all, a dataset, or one value of a category field)."""

    group: str
    value: str
    n: int = 0
    skipped: int = 0  # no reference model
    scored: int = 0
    executed: int = 0
    correct: int = 0  # at the run's tolerance
    correct_orlm: int = 0  # at 5 %
    infeasible_labels: int = 0
    infeasible_correct: int = 0
    repair_rounds: float | None = None  # mean
    tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0  # sum of per-problem wall times
    direct_scored: int = 0
    direct_correct: int = 0
    direct_correct_orlm: int = 0
    direct_executed: int = 0

    @staticmethod
    def _rate(k: int, n: int) -> float | None:
        return k / n if n else None

    @property
    def attempted(self) -> int:
        return self.n - self.skipped

    @property
    def execution_rate(self) -> float | None:
        return self._rate(self.executed, self.attempted)

    @property
    def accuracy(self) -> float | None:
        return self._rate(self.correct, self.scored)

    @property
    def accuracy_orlm(self) -> float | None:
        return self._rate(self.correct_orlm, self.scored)

    @property
    def direct_accuracy(self) -> float | None:
        return self._rate(self.direct_correct, self.direct_scored)

    @property
    def direct_accuracy_orlm(self) -> float | None:
        return self._rate(self.direct_correct_orlm, self.direct_scored)

    def as_row(self) -> dict[str, Any]:
        return {"group": self.group, "value": self.value, "problems": self.n,
                "no_reference": self.skipped, "scored": self.scored,
                "execution_rate": self.execution_rate, "accuracy": self.accuracy,
                "accuracy_5pct": self.accuracy_orlm,
                "infeasible_labels": self.infeasible_labels,
                "infeasible_correct": self.infeasible_correct,
                "mean_repair_rounds": self.repair_rounds, "tokens": self.tokens,
                "cost_usd": self.cost, "seconds": self.seconds,
                "direct_scored": self.direct_scored, "direct_accuracy": self.direct_accuracy,
                "direct_accuracy_5pct": self.direct_accuracy_orlm}


@dataclass
class Summary:
    """Per-group metrics of a results file, scored at ``tolerance`` and at 5 %."""

    groups: list[GroupStats]
    tolerance: float
    mode: str = ""
    model: str = ""
    wall_seconds: float | None = None
    compare: bool = False

    @property
    def overall(self) -> GroupStats:
        return self.groups[0]

    def rows(self) -> list[dict[str, Any]]:
        return [g.as_row() for g in self.groups]

    def to_csv(self) -> str:
        buf = io.StringIO()
        rows = self.rows()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()

    def _cells(self, g: GroupStats) -> list[str]:
        cells = [f"{g.group}={g.value}" if g.group != "all" else "all", str(g.n), str(g.scored),
                 _pct(g.execution_rate), _pct(g.accuracy), _pct(g.accuracy_orlm),
                 f"{g.infeasible_correct}/{g.infeasible_labels}" if g.infeasible_labels else "–",
                 "–" if g.repair_rounds is None else f"{g.repair_rounds:.2f}", f"{g.tokens:,}",
                 f"{g.cost:.4f}", f"{g.seconds:.1f}"]
        if self.compare:
            cells[6:6] = [_pct(g.direct_accuracy), _pct(g.direct_accuracy_orlm)]
        if any(x.skipped for x in self.groups):
            cells.insert(2, str(g.skipped))
        return cells

    def _headers(self) -> list[str]:
        h = ["group", "problems", "scored", "executed", f"acc@{self.tolerance:g}", "acc@5%",
             "infeasible labels", "repairs", "tokens", "cost $", "time s"]
        if self.compare:
            h[6:6] = [f"direct@{self.tolerance:g}", "direct@5%"]
        if any(x.skipped for x in self.groups):
            h.insert(2, "no reference")
        return h

    def to_markdown(self) -> str:
        head = self._headers()
        lines = [f"Benchmark results — mode {self.mode}, model {self.model}, tolerance "
                 f"{self.tolerance:g} (and 5%)", "", "| " + " | ".join(head) + " |",
                 "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(self._cells(g)) + " |" for g in self.groups]
        if self.wall_seconds is not None:
            lines += ["", f"Wall time of the run: {self.wall_seconds:.1f} s."]
        return "\n".join(lines) + "\n"

    def __rich__(self) -> Any:
        from rich.table import Table

        t = Table(title=f"formalize bench — mode {self.mode}, model {self.model}",
                  caption=None if self.wall_seconds is None else f"wall {self.wall_seconds:.1f} s")
        for i, h in enumerate(self._headers()):
            t.add_column(h, justify="left" if i == 0 else "right")
        for g in self.groups:
            t.add_row(*self._cells(g), style="bold" if g.group == "all" else None)
        return t

    def _repr_html_(self) -> str:
        """Jupyter: the table (as on the terminal) and the bar chart."""
        from formalize.evaluation.plots import html_plot

        head = "".join(f"<th>{html.escape(h)}</th>" for h in self._headers())
        body = "".join(
            ("<tr style='font-weight:bold'>" if g.group == "all" else "<tr>")
            + "".join(f"<td>{html.escape(c)}</td>" for c in self._cells(g)) + "</tr>"
            for g in self.groups)
        wall = "" if self.wall_seconds is None else f", wall {self.wall_seconds:.1f} s"
        return (f"<p><b>formalize bench</b> — mode {html.escape(self.mode)}, model "
                f"{html.escape(self.model)}, tolerance {self.tolerance:g} (and 5%){wall}</p>"
                f"<table><tr>{head}</tr>{body}</table>"
                + html_plot(Summary.figure, self, "execution rate and accuracy per group"))

    def figure(self) -> Any:
        """A bar chart of execution rate and accuracies per group (a matplotlib Figure on the
        Agg canvas; pyplot and the caller's backend are left alone). Groups of one kind (all,
        dataset, a category field) are fenced and named above the bars; a tick says how many
        problems a group scored (of how many); a rate with nothing to count is marked "n/a", not drawn as 0."""
        from matplotlib.transforms import blended_transform_factory

        from formalize.evaluation.plots import figure

        groups = self.groups
        labels = [("all" if g.group == "all" else g.value) + "\n"
                  + (f"{g.scored} scored" if g.scored == g.n else f"{g.scored} of {g.n} scored")
                  for g in groups]
        series = [("executed", [g.execution_rate for g in groups]),
                  (f"correct at {self.tolerance:g}", [g.accuracy for g in groups]),
                  ("correct at 5%", [g.accuracy_orlm for g in groups])]
        if self.compare:
            series.append(("direct answer at 5%", [g.direct_accuracy_orlm for g in groups]))
        width = 0.8 / len(series)
        fig = figure(max(7.0, 1.15 * len(groups) + 3), 4.6)
        ax = fig.subplots()
        for k, (name, vals) in enumerate(series):
            xs = [i + (k - (len(series) - 1) / 2) * width for i in range(len(groups))]
            ax.bar(xs, [100 * (v or 0.0) for v in vals], width, label=name)
            for x, v in zip(xs, vals):
                if v is None:
                    ax.text(x, 1.5, "n/a", ha="center", va="bottom", rotation=90, fontsize=7,
                            color="#666666")
        ax.set_xticks(range(len(groups)), labels, rotation=30, ha="right",
                      rotation_mode="anchor", fontsize=9)
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.set_ylabel("% of problems")
        ax.set_ylim(0, 105)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        above = blended_transform_factory(ax.transData, ax.transAxes)
        start = 0
        for i in range(1, len(groups) + 1):  # fence and name each run of one kind
            if i < len(groups) and groups[i].group == groups[start].group:
                continue
            if start > 0:
                ax.axvline(start - 0.5, color="#999999", linestyle="--", linewidth=0.8)
            kind = groups[start].group.replace("_", " ")
            ax.text((start + i - 1) / 2, 1.01, kind, transform=above, ha="center", va="bottom",
                    fontsize=8, color="#555555")
            start = i
        ax.set_title(f"formalize bench: mode {self.mode}, model {self.model}", pad=18)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        fig.tight_layout()
        return fig

    def plot(self, path: str | os.PathLike[str]) -> Path:
        """The bar chart of :meth:`figure` as a PNG."""
        from formalize.evaluation.plots import savefig

        return savefig(self.figure(), path)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def summarize(records: Iterable[dict], tolerance: float = 1e-6, *, mode: str = "", model: str = "",
              wall_seconds: float | None = None) -> Summary:
    """Score records (from :func:`read_results`) per dataset and per category."""
    recs = list(records)
    compare = any(r.get("direct") for r in recs) and any(r.get("mode") != "direct" for r in recs)
    keys: list[tuple[str, str]] = [("all", "all")]
    for r in recs:
        for k in [("dataset", r.get("dataset") or "?"),
                  *sorted((f, str(v)) for f, v in (r.get("categories") or {}).items())]:
            if k not in keys:
                keys.append(k)
    groups = {k: GroupStats(*k) for k in keys}
    repairs: dict[tuple[str, str], list[int]] = {k: [] for k in keys}
    for r in recs:
        ks = [("all", "all"), ("dataset", r.get("dataset") or "?"),
              *((f, str(v)) for f, v in (r.get("categories") or {}).items())]
        for k in ks:
            _add(groups[k], repairs[k], r, tolerance)
    for k, g in groups.items():
        g.repair_rounds = sum(repairs[k]) / len(repairs[k]) if repairs[k] else None
    return Summary(list(groups.values()), tolerance, mode=mode, model=model,
                   wall_seconds=wall_seconds, compare=compare)


def _add(g: GroupStats, repairs: list[int], r: dict, tol: float) -> None:
    g.n += 1
    if r.get("status") in (NO_REFERENCE, CANNOT_EXPRESS, INCOMPLETE_TEXT):
        g.skipped += 1
        return
    label, lstat = r.get("label"), str(r.get("label_status") or "ok")
    status, obj = str(r.get("status")), r.get("objective")
    rnd = r.get("answer_rounding")
    g.executed += bool(r.get("executed"))
    ok = is_correct(label, lstat, status, obj, tol, rnd)
    if ok is not None:
        g.scored += 1
        g.correct += ok
        g.correct_orlm += bool(is_correct(label, lstat, status, obj, ORLM_TOLERANCE, rnd))
        if label is None and lstat in NULL_LABELS:
            g.infeasible_labels += 1
            g.infeasible_correct += ok
    if r.get("repair_rounds") is not None and r.get("mode") in ("ir", "code"):
        repairs.append(int(r["repair_rounds"]))
    g.tokens += int(r.get("tokens") or 0)
    g.cost += float(r.get("cost") or 0.0)
    g.seconds += float(r.get("seconds") or 0.0)
    d = r.get("direct")
    if d and r.get("mode") != "direct":
        g.tokens += int(d.get("tokens") or 0)
        g.cost += float(d.get("cost") or 0.0)
        dok = is_correct(label, lstat, str(d.get("status")), d.get("objective"), tol, rnd)
        if dok is not None:
            g.direct_scored += 1
            g.direct_correct += dok
            g.direct_correct_orlm += bool(is_correct(label, lstat, str(d.get("status")),
                                                     d.get("objective"), ORLM_TOLERANCE, rnd))
        g.direct_executed += bool(d.get("executed"))


# =============================================================================== the runner
@dataclass
class BenchReport:
    """What a run did: its records (this run and resumed ones), summary and files."""

    dataset: Dataset
    records: list[dict]
    summary: Summary
    out: Path
    wall_seconds: float
    ran: int  # problems run now
    resumed: int  # problems taken from an earlier run of the same file
    reports: dict[str, Path] = field(default_factory=dict)
    audit: Any = None  # formalize.evaluation.library.Audit of a reference run

    def __rich__(self) -> Any:
        return self.summary.__rich__()

    def _repr_html_(self) -> str:
        """Jupyter: the summary with its chart, then the label audit of a reference run."""
        audit = self.audit._repr_html_() if self.audit is not None else ""
        return self.summary._repr_html_() + audit


def _model_name(model: Any) -> str:
    if model is None:
        return ""
    if isinstance(model, str):
        return model
    settings = getattr(model, "settings", None)
    return getattr(settings, "model", None) or type(model).__name__


def _make_client(model: Any, *, api_base: str | None, no_cache: bool, purpose: str) -> Any:
    from formalize.llm.client import make_client
    from formalize.llm.config import NoModelConfigured

    try:
        return make_client(model, no_cache=no_cache, api_base=api_base)
    except NoModelConfigured as exc:
        raise ConfigError(
            f"this benchmark needs a model ({purpose}); set one with --model (e.g. --model "
            "openai/gpt-4.1), or run --model reference to audit the labels with the library's "
            f"reference models (no LLM).\n{exc}") from None


def _select(ds: Dataset, ids: Sequence[str] | None, limit: int | None) -> list[Problem]:
    probs = ds.problems
    if ids:
        want = [str(i) for i in ids]
        by_id = {p.id: p for p in probs}
        # accept bare source ids ("17") as well as full ones ("nl4opt-cpmpy:17")
        by_short = {p.id.split(":", 1)[-1]: p for p in probs}
        unknown = [i for i in want if i not in by_id and i not in by_short]
        if unknown:
            raise ConfigError(f"--ids: not in {ds.label}: {', '.join(unknown[:10])}"
                              + (f" (+{len(unknown) - 10} more)" if len(unknown) > 10 else ""))
        seen: set[str] = set()
        probs = []
        for i in want:
            p = by_id.get(i) or by_short[i]
            if p.id not in seen:
                seen.add(p.id)
                probs.append(p)
    if limit is not None:
        probs = probs[:max(0, limit)]
    return probs


def progress_bar(enabled: bool | None) -> Any:
    """A rich progress bar with ETA on stderr (shown on a terminal unless ``enabled`` says)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from formalize.render import console as safe_console

    console = safe_console(stderr=True, highlight=True)
    if enabled is None:
        enabled = console.is_terminal
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[acc]}"), TimeElapsedColumn(), TextColumn("ETA"),
                    TimeRemainingColumn(), console=console, disable=not enabled, transient=False)


def _pool(workers: int | None, n_solves: int, concurrency: int, cpus: int | None = None) -> Executor:
    """A process pool for solves (a thread pool when there are too few to pay its start-up);
    ``workers`` None: one process per CPU (``cpus``, default this machine's)."""
    if workers is None:
        workers = min(cpus or os.cpu_count() or 1, concurrency) if n_solves >= 32 else 0
    if workers <= 0:
        return ThreadPoolExecutor(max_workers=max(1, min(concurrency, 4)))
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))


def run_bench(dataset: str | Dataset, model: Any = None, mode: str = "ir", samples: int = 1,
              limit: int | None = None, ids: Sequence[str] | None = None, concurrency: int = 8,
              tolerance: float = 1e-6, out: str | os.PathLike[str] = "results.jsonl",
              resume: bool = False, compare: bool = False, *, path: str | os.PathLike[str] | None = None,
              version: str | None = None, agreed_only: bool = False,
              report_dir: str | os.PathLike[str] | None = None, compare_model: Any = None,
              strategy: str = "steps", max_repairs: int = 3, time_limit: float | None = None,
              api_base: str | None = None, no_cache: bool = False, overwrite: bool = False,
              workers: int | None = None, progress: bool | None = None,
              on_record: Callable[[dict], None] | None = None, labels: str = "original",
              plot: bool = True, executor: Any = None,
              task_timeout: float | None = None) -> BenchReport:
    """Run a benchmark and score it; see the module docstring.

    ``model``: an LLM model string or :class:`~formalize.llm.client.LLMClient`, or ``"reference"``.
    ``compare``: also ask the LLM (``compare_model``, default ``model``) for a direct answer to
    every problem and report its accuracy beside the pipeline's. ``workers``: processes for the
    reference solves (None: as many as CPUs when there are 32+ solves, else in-process threads).
    ``labels``: ``original`` (the dataset's) or ``corrected`` (the library's correction where
    problems/datasets/corrections.jsonl has one). A reference run also gets the label audit
    (``report.audit``; agree / disagree / cannot express per dataset). ``plot=False`` skips the PNG.
    ``executor``: where problems run (:mod:`formalize.evaluation.executors`: a ``LocalExecutor``,
    the default, or a ``RayExecutor``); this process alone writes ``out`` either way.
    ``task_timeout``: seconds a problem may run; past it the problem is recorded with status
    ``timeout`` (not retried on resume).
    Returns a :class:`BenchReport`; the records are also in ``out`` (JSONL)."""
    if task_timeout is not None and not task_timeout > 0:
        raise ConfigError(f"task_timeout must be > 0 seconds, got {task_timeout}")
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if samples < 1:
        raise ConfigError(f"samples must be >= 1, got {samples}")
    if concurrency < 1:
        raise ConfigError(f"concurrency must be >= 1, got {concurrency}")
    if not tolerance > 0:
        raise ConfigError(f"tolerance must be > 0, got {tolerance}")
    if labels not in LABELS:
        raise ConfigError(f"labels must be one of {', '.join(LABELS)}, got {labels!r}")
    ds = dataset if isinstance(dataset, Dataset) else load_dataset(
        dataset, path=path, version=version, agreed_only=agreed_only)
    if labels == "corrected":
        _correct_labels(ds)
    reference = isinstance(model, str) and model == REFERENCE
    if reference and mode == "direct":
        raise ConfigError("--mode direct asks an LLM; it cannot run with --model reference")
    client = None if reference else _make_client(model, api_base=api_base, no_cache=no_cache,
                                                 purpose=f"mode {mode}")
    direct_client = None
    if compare and mode != "direct":
        cm = compare_model if compare_model is not None else (None if reference else client)
        if cm is None:
            raise ConfigError("--compare with --model reference needs --compare-model (the LLM "
                              "whose direct answers are scored beside the reference models)")
        direct_client = _make_client(cm, api_base=api_base, no_cache=no_cache, purpose="--compare")
    model_name = REFERENCE if reference else _model_name(client)
    run_mode = REFERENCE if reference else mode

    selected = _select(ds, ids, limit)
    out_path = Path(out)
    if out_path.is_dir():
        raise ConfigError(f"--out {out_path} is a folder: give the results file (e.g. "
                          f"{out_path / 'results.jsonl'})")
    if not resume and out_path.exists() and out_path.stat().st_size > 0 and not overwrite:
        raise ConfigError(f"{out_path} exists: pass --resume to continue that run, --overwrite to "
                          "start again, or another --out")
    rf = ResultsFile(out_path).open()  # its lock first: no other run writes (or repairs) it now
    try:
        header, done = read_results(out_path, repair=resume) if resume else (None, {})
        run_key = {"dataset": ds.label, "mode": run_mode, "model": model_name,
                   "samples": samples, "labels": labels}
        if resume and header is not None:
            header.setdefault("labels", "original")  # a results file from before --labels
            clash = {k: (header.get(k), v) for k, v in run_key.items() if header.get(k) != v}
            if clash:
                raise ConfigError(f"{out_path}: --resume of a different run ("
                                  + ", ".join(f"{k} was {a!r}, now {b!r}"
                                              for k, (a, b) in clash.items())
                                  + "); use another --out")
    except BaseException:
        rf.close()
        raise
    final = {i for i, r in done.items() if not r.get("retry")
             and (not compare or mode == "direct"
                  or (r.get("direct") is not None and not r["direct"].get("retry")))}
    todo = [p for p in selected if p.id not in final]
    wanted = {p.id for p in selected}

    if not resume or header is None:
        if not resume:
            rf.truncate()  # --overwrite (or an empty file): start again, keeping the lock
        rf.write({"type": "run", **run_key, "source": ds.source, "tolerance": tolerance,
                  "compare": compare, "strategy": strategy if mode == "ir" else None,
                  "notes": ds.notes, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})

    started = time.perf_counter()
    settings: dict[str, Any] = {"max_repairs": max_repairs, "time_limit": time_limit}
    if mode == "ir":
        settings["strategy"] = strategy
    job = _BenchJob(ds.label, mode, reference, model_name, samples, settings, client,
                    direct_client, workers=workers)
    runner = executor if executor is not None else LocalExecutor()
    try:
        _run_coroutine(_run_all(todo, ds, rf, job, executor=runner, concurrency=concurrency,
                                tolerance=tolerance, task_timeout=task_timeout,
                                written=set(final), show=progress, on_record=on_record))
    finally:
        rf.close()
    wall = time.perf_counter() - started
    _, after = read_results(out_path)
    records = [after[p.id] for p in selected if p.id in after and p.id in wanted]
    summary = summarize(records, tolerance, mode=run_mode, model=model_name, wall_seconds=wall)
    report = BenchReport(ds, records, summary, out_path, wall, ran=len(todo),
                         resumed=len(selected) - len(todo))
    if reference:
        from formalize.evaluation.library import audit, library_metas, load_corrections

        report.audit = audit(records, tolerance, corrections=load_corrections(REFERENCE_DIR),
                             metas=library_metas(REFERENCE_DIR))
    report.reports = write_reports(summary, report_dir, out_path, audit=report.audit, plot=plot)
    return report


def _run_coroutine(coro: Any) -> Any:
    """``asyncio.run(coro)``; from inside a running event loop (Jupyter), in a worker thread
    with a loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as ex:
        return ex.submit(asyncio.run, coro).result()


def write_reports(summary: Summary, report_dir: str | os.PathLike[str] | None,
                  out: Path, audit: Any = None, plot: bool = True) -> dict[str, Path]:
    """Markdown, CSV and PNG of a summary (and the label audit of a reference run), in
    ``report_dir`` or beside ``out``."""
    base = Path(report_dir) / out.stem if report_dir is not None else out.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": base.with_name(base.name + ".summary.md"),
             "csv": base.with_name(base.name + ".summary.csv"),
             "plot": base.with_name(base.name + ".summary.png")}
    _atomic_write(paths["markdown"], summary.to_markdown())
    _atomic_write(paths["csv"], summary.to_csv())
    if audit is not None:
        paths["audit"] = base.with_name(base.name + ".audit.md")
        _atomic_write(paths["audit"], audit.to_markdown())
    try:
        if not plot:
            raise ImportError
        summary.plot(paths["plot"])
    except ImportError:  # matplotlib is an optional dependency
        paths.pop("plot")
    return paths


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class _BenchJob:
    """What every problem of a run shares (picklable: a Ray worker gets a copy, its LLM clients
    rebuilt there from their settings); makes the workers and the records made without one."""

    ds_label: str
    mode: str
    reference: bool
    model_name: str
    samples: int
    settings: dict
    client: Any = None
    direct_client: Any = None
    workers: int | None = None  # local executor: --workers (processes for solves)

    def key(self, p: Problem) -> str:
        return p.id

    def worker(self, spec: Any) -> _BenchWorker:
        return _BenchWorker(self, spec)

    def base(self, p: Problem) -> dict:
        """The record's fields known before the problem runs."""
        base = {"type": "problem", "id": p.id, "dataset": p.dataset or self.ds_label,
                "benchmark": p.benchmark, "version": p.version, "categories": p.categories,
                "mode": REFERENCE if self.reference else self.mode,
                "model": self.model_name, "label": p.answer, "label_status": p.answer_status}
        if p.label_status_original is not None:
            base["label_original"] = p.label_original
            base["label_status_original"] = p.label_status_original
        if p.rounding is not None:
            base["answer_rounding"] = p.rounding.to_json()
        if self.reference and p.reference_id is not None:
            base["reference_id"] = p.reference_id
        return base

    def timed_out(self, p: Problem, seconds: float) -> dict:
        return {**self.base(p), "status": "timeout", "objective": None, "executed": False,
                "error": f"the problem ran past its time budget of {seconds:g} s (--task-timeout)",
                "error_kind": "task-timeout", "retry": False, "seconds": seconds}

    def lost(self, p: Problem, why: str) -> dict:
        return {**self.base(p), "status": "error", "objective": None, "executed": False,
                "error": f"not run: {why}", "error_kind": "worker-lost", "retry": True,
                "seconds": 0.0}

    def portable(self, p: Problem) -> Problem:
        """The problem with its reference model's folder inside it (for workers on a cluster
        that does not see this machine's files; the executor asks)."""
        if not self.reference or not isinstance(p.reference, Path) or p.files is not None:
            return p
        folder = p.data_dir if p.data_dir and p.reference.is_relative_to(p.data_dir) \
            else p.reference.parent
        return replace(p, files=_folder_files(folder, p.id), data_dir=None,
                       reference=p.reference.relative_to(folder))

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for k in ("client", "direct_client"):
            state[k] = portable_client(state[k])
        return state

    def __setstate__(self, state: dict) -> None:
        for k in ("client", "direct_client"):
            state[k] = rebuilt_client(state[k])
        self.__dict__.update(state)


SHIP_LIMIT = 64 * 2**20  # bytes of one problem's folder carried to a cluster with it


def _folder_files(folder: Path, pid: str) -> dict[str, bytes]:
    """The regular files under ``folder`` by relative path (a usage error past SHIP_LIMIT)."""
    out: dict[str, bytes] = {}
    size = 0
    for f in sorted(folder.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts:
            size += f.stat().st_size
            if size > SHIP_LIMIT:
                raise ConfigError(f"{pid}: the reference model's folder {folder} holds more than "
                                  f"{SHIP_LIMIT // 2**20} MB, too much to send with the problem "
                                  "to a ray:// cluster: put the datasets on the cluster's nodes "
                                  "(a shared file system) and run the driver there (--address "
                                  "auto)")
            out[f.relative_to(folder).as_posix()] = f.read_bytes()
    return out


def _unpack(files: dict[str, bytes], into: Path) -> Path:
    """Write a problem's carried folder under ``into`` (once); its path."""
    if into.is_dir():
        return into
    import tempfile

    part = Path(tempfile.mkdtemp(prefix=into.name + ".", dir=into.parent))
    for rel, data in files.items():
        target = (part / rel).resolve()
        if not target.is_relative_to(part.resolve()):
            raise ValueError(f"a carried file escapes its folder: {rel!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    try:
        part.rename(into)
    except OSError:  # unpacked meanwhile by another item of the same problem
        import shutil

        shutil.rmtree(part, ignore_errors=True)
    return into


class _BenchWorker:
    """Runs problems of one job in this process: the LLM calls on this event loop (bounded by
    the executor), the programs in threads, verification and solves in a process pool sized to
    the worker's CPUs when there are many."""

    def __init__(self, job: _BenchJob, spec: Any) -> None:
        self.job, self.spec = job, spec
        self.settings = dict(job.settings)
        self.threads: ThreadPoolExecutor | None = None
        self.solves: Executor | None = None
        self.work: Executor | None = None
        self.lclient: Any = None
        self.unpacked: Path | None = None  # where carried problem folders are written

    async def start(self) -> None:
        job, spec = self.job, self.spec
        loop = asyncio.get_running_loop()
        # local: --workers (None: a process per CPU of the machine when there are many
        # problems); a Ray worker: its own process is its first CPU, one more process for each
        # further CPU (a second process on the same CPU only competes with it: measured slower)
        workers = job.workers if spec.cpus is None else spec.cpus - 1
        self.threads = ThreadPoolExecutor(max_workers=spec.concurrency, thread_name_prefix="bench")
        if job.reference:
            self.solves = _pool(workers, spec.n_items, spec.concurrency, spec.cpus)
        if job.client is not None and job.mode != "direct":
            self.lclient = _loop_client(job.client, loop)
        # the programs' verification and solves go to a process pool when there are many: the LLM
        # calls keep this process busy, and the GIL would serialize the rest behind them
        warm = []
        many = (workers or spec.n_items >= 32) if spec.cpus is None else workers
        if self.lclient is not None and job.mode == "ir" and many:
            self.work = _pool(workers, max(spec.n_items, 32), spec.concurrency, spec.cpus)
            warm = [loop.run_in_executor(self.work, _warm_worker)
                    for _ in range(getattr(self.work, "_max_workers", 1))]
            self.settings["executor"] = self.work
        for c in (job.client, job.direct_client):  # import each door's library off the loop, once
            if c is not None and hasattr(c, "warm"):
                await asyncio.to_thread(c.warm)
        if warm:
            await asyncio.gather(*warm)

    async def run(self, p: Problem) -> dict:
        job = self.job
        loop = asyncio.get_running_loop()
        if job.reference:
            if p.no_model is not None:
                frag = {"status": p.no_model[0], "objective": None, "note": p.no_model[1]}
            elif p.reference is None:
                frag: dict[str, Any] = {"status": NO_REFERENCE, "objective": None,
                                        "note": "no reference model"}
            else:
                ref = p.reference if isinstance(p.reference, dict) else str(p.reference)
                data = str(p.data_dir) if p.data_dir else None
                if p.files is not None:  # carried from the driver (Ray client)
                    if self.unpacked is None:
                        import tempfile

                        self.unpacked = Path(tempfile.mkdtemp(prefix="formalize-problems-"))
                    import hashlib

                    key = hashlib.sha256(p.id.encode()).hexdigest()[:24]
                    folder = await asyncio.to_thread(_unpack, p.files, self.unpacked / key)
                    ref, data = str(folder / p.reference), str(folder)
                frag = await loop.run_in_executor(
                    self.solves, _solve_reference, ref, data, self.settings.get("time_limit"))
                frag["repair_rounds"] = 0
        elif job.mode == "direct":
            frag = await _direct(job.client, p)
        else:
            frag = await loop.run_in_executor(self.threads, _pipeline, p, self.lclient, job.mode,
                                              job.samples, self.settings)
        rec = {**job.base(p), **frag}
        if job.direct_client is not None:
            rec["direct"] = await _direct(job.direct_client, p)
        rec["executed"] = (rec.get("executed") if job.mode == "direct"
                           else rec.get("status") in DEFINITE)
        return rec

    async def stop(self) -> None:
        if self.threads is not None:
            self.threads.shutdown(wait=False, cancel_futures=True)
        for pool in (self.solves, self.work):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        if self.unpacked is not None:
            import shutil

            shutil.rmtree(self.unpacked, ignore_errors=True)
            self.unpacked = None


async def _run_all(todo: list[Problem], ds: Dataset, rf: ResultsFile, job: _BenchJob, *,
                   executor: Any, concurrency: int, tolerance: float, task_timeout: float | None,
                   written: set[str], show: bool | None,
                   on_record: Callable[[dict], None] | None) -> None:
    """The driver: problems to the executor, each finished record written once (a record whose
    key this run already wrote is dropped), the progress bar fed by finished problems."""
    correct = [0, 0]
    prog = progress_bar(show)
    with prog:
        task = prog.add_task(f"{ds.label} {job.mode} ({executor.name})", total=len(todo), acc="")
        async for p, rec in executor.map(job, todo, concurrency=concurrency, timeout=task_timeout):
            if p.id in written:
                continue
            written.add(p.id)
            await asyncio.to_thread(rf.write, rec)
            ok = is_correct(p.answer, p.answer_status, str(rec.get("status")),
                            rec.get("objective"), tolerance, p.rounding)
            if ok is not None:
                correct[0] += ok
                correct[1] += 1
            prog.update(task, advance=1, acc=f"acc {correct[0]}/{correct[1]}")
            if on_record is not None:
                on_record(rec)


def print_report(report: BenchReport, file: Any = None) -> None:
    """The summary table and where the files are (rich, to ``file`` or stdout)."""
    from formalize.render import console as safe_console

    console = safe_console(file=file or sys.stdout)
    if not console.is_terminal:
        console.width = 160
    console.print(report.summary)
    for note in report.dataset.notes:
        console.print(note, style="dim", markup=False)
    skipped = report.summary.overall.skipped
    if skipped:
        console.print(f"{skipped} problem(s) have no reference model (not scored).")
    if report.audit is not None:
        console.print(report.audit)
    console.print(f"{report.ran} problem(s) run now, {report.resumed} taken from the earlier run; "
                  f"results: {report.out}", markup=False)
    for kind, p in report.reports.items():
        console.print(f"{kind}: {p}", markup=False)
