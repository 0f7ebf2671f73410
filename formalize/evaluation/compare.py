"""Comparison mode: the same LLM, asked to do the numeric iteration itself, against solver truth.

For one problem (:func:`compare`) or a scale sweep over a problem family
(:func:`formalize.evaluation.sweep.sweep`, re-exported here):

1. ground truth (:mod:`formalize.evaluation.truth`) — a given formal model (a family
   generator's, a ``problems/`` folder's) or the verified pipeline's, solved by ``solvers``,
   confirmed by the checker and, for families, by an independently derived optimum;
2. the LLM, with no tools, answers directly (:mod:`formalize.evaluation.direct`), each request a
   fresh conversation: variant ``"values"`` gives a value for every variable of the verified
   model and the objective; ``"objective"`` only the objective ("standard prompting");
   ``"trace"`` runs a named procedure by hand and reports every intermediate state
   (:mod:`formalize.evaluation.traces`);
3. each answer is scored (:mod:`formalize.evaluation.verdicts`): by the independent checker
   (feasibility, every violated constraint instance with its amount, claimed vs recomputed
   objective, the gap to the optimum) or, for a trace, step by step;
4. a verdict per answer (see :data:`VERDICTS`), with the model's seconds and output tokens
   beside the solver's time; tables, CSV and plots (:mod:`formalize.evaluation.plots`).

Nothing here claims any LLM's accuracy: the numbers are whatever the scored answers give.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formalize.evaluation.direct import ask_direct, direct_prompt, make_client
from formalize.evaluation.fmt import num as _fmt
from formalize.evaluation.fmt import pct as _pct
from formalize.evaluation.fmt import secs as _secs
from formalize.evaluation.fmt import to_csv
from formalize.evaluation.sweep import (
    DEFAULT_VARIANTS,
    SweepPoint,
    SweepReport,
    family_backend,
    sweep,
)
from formalize.evaluation.truth import CompareError, GroundTruth, GroundTruthError, ground_truth
from formalize.evaluation.verdicts import (
    COLORS,
    MPL_COLORS,
    VARIANTS,
    VERDICTS,
    DirectAnswer,
    flat_answer,
    parse_answer,
    relative_gap,
    score_objective,
    score_trace,
    score_values,
)
from formalize.llm.client import DuplicateKeyError, LLMClient, Usage
from solvers import Model, load_model

__all__ = [
    "VARIANTS", "VERDICTS", "Comparison", "CompareError", "DirectAnswer", "GroundTruth",
    "GroundTruthError", "SweepPoint", "SweepReport", "ask_direct", "compare", "direct_prompt",
    "ground_truth", "parse_answer", "relative_gap", "score_objective", "score_trace",
    "score_answers", "score_values", "sweep",
]


# --------------------------------------------------------------------------- one problem


@dataclass
class Comparison:
    """Ground truth beside the LLM's direct answers for one problem."""

    text: str
    model: Model
    truth: GroundTruth
    answers: list[DirectAnswer]
    llm: str
    usage: Usage = field(default_factory=Usage)
    pipeline: Any = None  # the Formalization when the verified pipeline built the model
    text_source: str = "text"
    labels: list[str] = field(default_factory=list)  # column names of given answers (files)

    @property
    def title(self) -> str:
        """What is compared: the LLM answering directly, or the given answers."""
        if self.labels:
            return f"{self.model.name}: solver vs {self.llm}"
        return f"{self.model.name}: solver vs {self.llm} answering directly"

    def headings(self) -> list[str]:
        """The answers' column names: the given answers' labels, else 'direct: <variant>'."""
        return list(self.labels) if self.labels else [f"direct: {a.variant}" for a in self.answers]

    def answer(self, variant: str) -> DirectAnswer:
        """The answer of one variant."""
        for a in self.answers:
            if a.variant == variant:
                return a
        raise KeyError(f"no {variant!r} answer; variants: {[a.variant for a in self.answers]}")

    def to_dict(self) -> dict[str, Any]:
        return {"problem": self.model.name, "llm": self.llm, "text_source": self.text_source,
                "ground_truth": self.truth.to_dict(),
                "answers": [a.to_dict() for a in self.answers], "usage": self.usage.as_dict(),
                "pipeline": self.pipeline.to_dict() if self.pipeline is not None else None}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def rows(self) -> list[tuple[str, list[str]]]:
        """(row label, [ground truth, answer 1, ...]) cells of the side-by-side table."""
        gt, ans = self.truth, self.answers
        return [
            ("verdict", [f"{gt.status} (solver)"] + [a.verdict for a in ans]),
            ("objective claimed", [_fmt(gt.objective)] + [_fmt(a.claimed_objective) for a in ans]),
            ("objective from its values", [_fmt(gt.objective)] + [
                _fmt(a.recomputed_objective) if a.variant == "values" else "n/a" for a in ans]),
            ("gap to optimum", ["0"] + [_pct(a.gap) if a.gap is not None else "—" for a in ans]),
            ("feasible", ["yes" if gt.checked else "—"] + [
                {True: "yes", False: "no", None: "—"}[a.feasible] for a in ans]),
            ("violations", ["0" if gt.checked else "—"] + [
                str(a.n_violations) if a.variant == "values" else "n/a" for a in ans]),
            ("steps right (trace)", ["n/a"] + [
                f"{a.fidelity:.1%}" if a.fidelity is not None else "n/a" for a in ans]),
            ("output tokens", ["—"] + [str(a.output_tokens) if a.output_tokens is not None
                                       else "—" for a in ans]),
            ("seconds", [_secs(gt.seconds)] + [_secs(a.seconds) for a in ans]),
        ]

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        t = Table(title=self.title, header_style="bold")
        t.add_column("")
        t.add_column(f"ground truth\n({self.truth.source})", justify="right")
        for heading in self.headings():
            t.add_column(heading, justify="right")
        for label, cells in self.rows():
            styled: list[Any] = [cells[0]]
            for a, c in zip(self.answers, cells[1:]):
                styled.append(Text(c, style=COLORS.get(a.verdict, "")) if label == "verdict" else c)
            t.add_row(label, *styled)
        parts: list[Any] = [t]
        for a, heading in zip(self.answers, self.headings()):
            name = heading if self.labels else a.variant
            parts.append(Text.assemble((f"{name}: ", "bold"),
                                       (a.detail, COLORS.get(a.verdict, ""))))
            for v in a.violations[:10]:
                parts.append(Text(f"   {v['label']} violated by {_fmt(v['amount'])}: "
                                  f"{_fmt(v['lhs'])} {v['sense']} {_fmt(v['rhs'])}", style="red"))
            if len(a.violations) > 10:
                parts.append(Text(f"   … {len(a.violations) - 10} more", style="red"))
        return Group(*parts)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.headings())
        body = ""
        for label, cells in self.rows():
            tds = f"<td>{html.escape(cells[0])}</td>"
            for a, c in zip(self.answers, cells[1:]):
                color = MPL_COLORS.get(a.verdict, "") if label == "verdict" else ""
                tds += f"<td style='color:{color}'>{html.escape(c)}</td>" if color else \
                    f"<td>{html.escape(c)}</td>"
            body += f"<tr><th style='text-align:left'>{html.escape(label)}</th>{tds}</tr>"
        details = "".join(f"<li><b>{html.escape(h if self.labels else a.variant)}</b>: "
                          f"{html.escape(a.detail)}</li>"
                          for a, h in zip(self.answers, self.headings()))
        from formalize.evaluation.plots import build_comparison_figure, html_plot

        return (f"<p><b>{html.escape(self.title)}</b></p><table><tr><th></th><th>ground truth "
                f"({html.escape(self.truth.source)})</th>{head}</tr>{body}</table><ul>{details}</ul>"
                + html_plot(build_comparison_figure, self, "objectives and violations per answer"))

    def to_csv(self) -> str:
        """One row per answer."""
        return to_csv([{"problem": self.model.name, **flat_answer(a)} for a in self.answers])

    def plot(self, path: str | Path) -> Path:
        """A PNG: objectives (optimum, claimed, recomputed) and violations per answer."""
        from formalize.evaluation.plots import comparison_figure

        return comparison_figure(self, path)

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write comparison.json, comparison.csv and comparison.png into `directory`."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        out = {"json": d / "comparison.json", "csv": d / "comparison.csv"}
        out["json"].write_text(self.to_json() + "\n", encoding="utf-8")
        out["csv"].write_text(self.to_csv(), encoding="utf-8")
        out["png"] = self.plot(d / "comparison.png")
        return out


def compare(text_or_model: Any, model: str | LLMClient | None = None, *,
            formal_model: Any = None, variants: Sequence[str] = DEFAULT_VARIANTS,
            data: Sequence[str | Path] = (), known_optimum: float | None = None,
            tol: float = 1e-6, missing: str = "zero", backend: str = "auto",
            time_limit: float | None = None, no_cache: bool = False, samples: int = 1,
            strategy: str = "steps", max_repairs: int = 3, **params: Any) -> Comparison:
    """Compare the solver's answer with the LLM's own direct answers on one problem.

    `text_or_model`: the problem in plain words, a problem.txt path, a model.json/.yaml path (its
    folder's problem.txt is the text the LLM sees; without one, the model's rendering), a model
    dict / Model, or a family instance. `formal_model` (a dict, path or Model) gives the ground
    truth model directly; otherwise the verified pipeline (`formalize.api.solve`) builds it
    with the same LLM (`samples`, `strategy`, `max_repairs` go to it). `variants`: "values",
    "objective" and/or "trace" (for an instance of a family with a hand-run procedure).
    `model`: LLM string or client; `params` go to every LLM call. `missing`: see
    :func:`score_values`. Raises :class:`CompareError` when no ground truth comes out.
    """
    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants:
        raise ValueError(f"unknown variant(s) {bad or list(variants)}; known: {', '.join(VARIANTS)}")
    text, fm, files, source = _resolve_input(text_or_model, formal_model, data)  # ModelError: located
    family = getattr(text_or_model, "family", "") if source == "family generator" else ""
    truth_extra: dict[str, Any] = {}
    if family:
        if known_optimum is None:
            known_optimum = text_or_model.known_optimum
        backend = family_backend(family, backend)
        truth_extra = {"optimum_method": getattr(text_or_model, "optimum_method", ""),
                       "bound": getattr(text_or_model, "bound", None),
                       "bound_kind": getattr(text_or_model, "bound_kind", "")}
    trace_proc = _trace_procedure(family) if "trace" in variants else None
    if "trace" in variants and trace_proc is None:
        raise ValueError("the 'trace' variant needs a family instance whose family has a "
                         "hand-run procedure (knapsack, knapsack-*, productmix, tsp)")
    client = make_client(model, no_cache=no_cache)
    from formalize.evaluation.direct import warm_client

    warm_client(client)  # start-up out of the first answer's seconds
    usage = Usage()
    pipeline = None
    if fm is None:
        from formalize import api

        res = api.solve(text or "", client, data=files, samples=samples, backend=backend,
                        time_limit=time_limit, strategy=strategy, max_repairs=max_repairs,
                        **params)
        f = res.formalization
        if f is None or f.model is None or not f.ok or res.solution is None:
            diags = "\n".join(f"  {d}" for d in (f.diagnostics if f is not None else []))
            raise CompareError("the verified pipeline produced no verified, solved model, so "
                               "there is no ground truth to compare with" + (f":\n{diags}" if diags else ""))
        usage = usage + f.usage
        fm, pipeline = f.model, f
        truth = ground_truth(fm, source="verified pipeline", solution=res.solution, tol=tol)
    else:
        gt_source = "family generator" if source == "family generator" else "given model"
        truth = ground_truth(fm, source=gt_source, known_optimum=known_optimum, backend=backend,
                             time_limit=time_limit, tol=tol, **truth_extra)
    if text is None:
        from solvers.render import to_text

        text = (f"{fm.description}\n\n" if fm.description else "") + to_text(fm)
        source = "model rendering"
    answers = []
    for v in variants:
        if v == "objective" and fm.sense == "feasibility":
            continue  # no objective to ask for
        answers.append(ask_direct(client, v, text, fm, truth, data=files, tol=tol,
                                  missing=missing, usage=usage,
                                  procedure=trace_proc if v == "trace" else None,
                                  model_doc=text_or_model.model if v == "trace" else None,
                                  **params))
    return Comparison(text=text, model=fm, truth=truth, answers=answers,
                      llm=client.settings.model, usage=usage, pipeline=pipeline,
                      text_source=source)


ANSWER_FILE_LIMIT = 64 * 1024 * 1024  # bytes of one answer file


def score_answers(text_or_model: Any, answers: Sequence[str | Path | dict], *,
                  formal_model: Any = None, data: Sequence[str | Path] = (),
                  known_optimum: float | None = None, tol: float = 1e-6, missing: str = "zero",
                  backend: str = "auto", time_limit: float | None = None,
                  name: str = "given answers") -> Comparison:
    """Score answers someone already has — a person's plan, another program's output — against
    the solver's ground truth, exactly as :func:`compare` scores the LLM's: no LLM is asked.

    Each answer is a dict or a JSON file / text in the answer format of the direct prompts:
    ``{"values": {var: {index: value}}, "objective": n}`` is scored as a ``values`` answer (the
    independent checker: feasibility, every violated constraint instance, the gap), one with
    only ``{"objective": n}`` (or ``{"status": "infeasible"}``) as an ``objective`` answer.
    The ground truth needs a formal model (a model.json/.yaml path, a Model or dict, or
    `formal_model`). Raises :class:`CompareError` with what to fix.
    """
    if not answers:
        raise CompareError("no answer to score: give at least one answer (a JSON file or dict)")
    text, fm, files, source = _resolve_input(text_or_model, formal_model, data)
    if fm is None:
        raise CompareError("scoring given answers needs the formal model for the ground truth: "
                           "give model.json/.yaml (or formal_model=); a problem text alone "
                           "would need an LLM to formalize it")
    truth = ground_truth(fm, source="given model", known_optimum=known_optimum,
                         backend=backend, time_limit=time_limit, tol=tol)
    if text is None:
        from solvers.render import to_text

        text = (f"{fm.description}\n\n" if fm.description else "") + to_text(fm)
        source = "model rendering"
    scored, labels = [], []
    for k, given in enumerate(answers):
        raw, where = _answer_text(given, k)
        try:
            doc = parse_answer(raw, fm.variables)
        except DuplicateKeyError as exc:  # read as strictly as the LLM's answers
            raise CompareError(f"{where}: {exc}; give every key once") from None
        if doc is None:
            raise CompareError(f"{where}: no JSON object with \"values\", \"objective\" or "
                               f"\"status\" (the answer format: {{\"values\": {{...}}, "
                               f"\"objective\": n}} or {{\"objective\": n}})")
        has_values = "values" in doc or any(
            str(key).split("[", 1)[0].strip() in fm.variables for key in doc)
        ans = (score_values(raw, fm, truth, tol=tol, missing=missing) if has_values
               else score_objective(raw, truth, tol=tol))
        ans.seconds = None  # type: ignore[assignment]  # nobody was timed: shown as "—"
        scored.append(ans)
        labels.append(f"{Path(where).name} ({ans.variant})")
    return Comparison(text=text, model=fm, truth=truth, answers=scored, llm=name,
                      text_source=source, labels=labels)


def _answer_text(given: str | Path | dict, k: int) -> tuple[str, str]:
    """(the answer as text, what to call it in a message)."""
    if isinstance(given, dict):
        return json.dumps(given), f"answer {k + 1}"
    p = Path(given) if isinstance(given, Path) or (
        isinstance(given, str) and "\n" not in given and len(given) < 4096
        and not given.lstrip().startswith("{")) else None
    if p is None:
        return str(given), f"answer {k + 1}"
    try:
        if p.stat().st_size > ANSWER_FILE_LIMIT:
            raise CompareError(f"{p}: {p.stat().st_size} bytes; an answer file is at most "
                               f"{ANSWER_FILE_LIMIT} bytes")
        return p.read_bytes().decode("utf-8"), str(p)
    except FileNotFoundError:
        raise CompareError(f"{p}: no such answer file") from None
    except UnicodeDecodeError as exc:
        raise CompareError(f"{p}: not UTF-8 (byte {exc.start}); save the answer as UTF-8 "
                           f"JSON") from None
    except OSError as exc:
        raise CompareError(f"{p}: cannot read it ({exc.strerror})") from None


def _resolve_input(text_or_model: Any, formal_model: Any,
                   data: Sequence[str | Path]) -> tuple[str | None, Model | None, list[Path], str]:
    """(problem text, given formal model, data files, where the text came from)."""
    data_paths = [Path(p) for p in data]
    model: Model | None = None
    if formal_model is not None:
        model = load_model(formal_model)
    src = text_or_model
    if isinstance(src, (Model, dict)):
        return None, load_model(src), data_paths, "model"
    if hasattr(src, "text") and hasattr(src, "model") and hasattr(src, "known_optimum"):
        return src.text, model or load_model(src.model), data_paths, "family generator"
    p = Path(src) if isinstance(src, (str, Path)) and len(str(src)) < 4096 and "\n" not in str(src) \
        else None
    if p is not None and _is_file(p):
        if p.suffix.lower() in (".json", ".yaml", ".yml"):
            m = load_model(p)
            text_file = p.parent / "problem.txt"
            files = _model_files(m, p.parent)
            if text_file.is_file():
                return text_file.read_text(encoding="utf-8"), m, data_paths + files, "problem.txt"
            return None, m, data_paths + files, "model"
        return p.read_text(encoding="utf-8"), model, data_paths, p.name
    if p is not None and p.suffix.lower() in (".json", ".yaml", ".yml", ".txt"):
        raise CompareError(f"{src}: no such file (give problem.txt, model.json or the text itself)")
    return str(src), model, data_paths, "text"


def _is_file(p: Path) -> bool:
    try:
        return p.is_file()
    except OSError:  # text too long to be a file name
        return False


def _model_files(model: Model, base: Path) -> list[Path]:
    """Data files a model reads (so the LLM answering directly sees the same data)."""
    names: list[str] = []
    for spec in [*model.sets.values(), *model.params.values()]:
        ref = getattr(spec, "from_", None)
        if ref is not None and ref.file not in names:
            names.append(ref.file)
    return [base / n for n in names if (base / n).is_file()]


def _trace_procedure(family: str) -> str | None:
    from formalize.evaluation.families import FAMILIES

    fam = FAMILIES.get(family)
    return fam.trace if fam is not None else None
