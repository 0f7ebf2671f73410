"""Scale sweeps: direct answers scored over the sizes and seeds of a problem family, with the
model's cost (seconds, output tokens) beside the solver's time, requests in a fair (shuffled,
seeded) order, and an optional size ladder that stops where answers fail."""

from __future__ import annotations

import contextlib
import html
import json
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formalize.evaluation.direct import ask_direct, fair_order, make_client, warm_client
from formalize.evaluation.fmt import jnum, median, num, pct, secs, to_csv
from formalize.evaluation.results_file import ResultsFile, read_results
from formalize.evaluation.truth import GroundTruth, ground_truth
from formalize.evaluation.verdicts import VARIANTS, DirectAnswer, flat_answer
from formalize.llm.client import LLMClient, Usage
from formalize.llm.config import ConfigError
from solvers import Model, load_model

DEFAULT_VARIANTS = ("values", "objective")
RECORDS = "sweep.jsonl"
"""The name of a sweep's streamed records file in its output folder (``compare --out DIR``)."""
KNOWN_OPTIMUM_TIME_LIMIT = 120.0
"""Solver time limit (s) for an instance whose optimum is known independently (when none is
given): past it, the known optimum is the reference and the solver's best point is checked."""


@dataclass
class SweepPoint:
    """One generated instance of a sweep with its ground truth and scored answers."""

    family: str
    size: int
    seed: int
    truth: GroundTruth
    answers: list[DirectAnswer]
    dims: dict[str, int] = field(default_factory=dict)
    fingerprint: str = ""  # of the generated instance (text and model), kept in its record

    def answer(self, variant: str) -> DirectAnswer | None:
        return next((a for a in self.answers if a.variant == variant), None)

    def to_dict(self, response: bool = True) -> dict[str, Any]:
        return {"family": self.family, "size": self.size, "seed": self.seed,
                "dims": self.dims, "ground_truth": self.truth.to_dict(),
                "answers": [a.to_dict(response) for a in self.answers]}


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


@dataclass
class SweepReport:
    """Direct answers scored over sizes and seeds of one problem family."""

    family: str
    sizes: list[int]
    seeds: list[int]
    variants: list[str]
    llm: str
    points: list[SweepPoint]
    usage: Usage = field(default_factory=Usage)  # the whole sweep's: resumed answers' too
    usage_resumed: Usage = field(default_factory=Usage)  # of the answers taken from the records
    seconds: float = 0.0
    client_startup_s: float = 0.0  # the client's one-time start-up, kept out of answer times
    earlier_seconds: float = 0.0  # a resumed sweep: what its earlier runs took (in the budget)
    order_seed: int = 0
    stopped: str = ""  # why the size ladder stopped early ("" when every size ran)
    notes: list[str] = field(default_factory=list)
    tol: float = 1e-6

    @property
    def sizes_run(self) -> list[int]:
        return [s for s in self.sizes if any(p.size == s for p in self.points)]

    def table(self) -> list[dict[str, Any]]:
        """Per variant and size: n, correct rate, mean gap (answers with a gap: feasible values
        answers from their own values, objective answers with a number, trace results), mean
        violations (values answers the checker could score), infeasible and unparseable rates,
        trace fidelity (mean share of steps right), the model's median seconds and output
        tokens per answer, the solver's median seconds, and the instances' mean integrality
        gap."""
        rows = []
        for v in self.variants:
            for s in self.sizes_run:
                pts = [p for p in self.points if p.size == s]
                ans = [a for p in pts for a in p.answers if a.variant == v]
                if not ans:
                    continue
                gaps = [a.gap for a in ans if a.gap is not None]
                parsed = [a for a in ans if a.verdict != "unparseable" and a.feasible is not None]
                fid = [a.fidelity for a in ans if a.fidelity is not None]
                tokens = [float(a.output_tokens) for a in ans if a.output_tokens is not None]
                igaps = [p.truth.integrality_gap for p in pts
                         if p.truth.integrality_gap is not None]
                n = len(ans)
                rows.append({
                    "variant": v, "size": s, "n": n,
                    "correct_rate": sum(a.verdict == "correct" for a in ans) / n,
                    "mean_gap": _mean(gaps),
                    "mean_violations": (_mean([float(a.n_violations) for a in parsed])
                                        if v == "values" else None),
                    "infeasible_rate": sum(a.verdict == "infeasible" for a in ans) / n,
                    "unparseable_rate": sum(a.verdict == "unparseable" for a in ans) / n,
                    "fidelity": _mean(fid) if v == "trace" else None,
                    "model_seconds": median([a.seconds for a in ans]),
                    "output_tokens": median(tokens),
                    "solver_seconds": median([p.truth.seconds for p in pts]),
                    "integrality_gap": _mean(igaps),
                })
        return rows

    def instances(self) -> list[dict[str, Any]]:
        """One row per instance: optimum and who proves it, bound and integrality gap, solver
        seconds, and per variant its verdict, gap, steps right, seconds and output tokens."""
        out = []
        for p in self.points:
            row: dict[str, Any] = {
                "size": p.size, "seed": p.seed,
                "dims": " x ".join(f"{v} {k}" for k, v in p.dims.items()),
                "optimum": jnum(p.truth.objective), "proven_by": p.truth.proven_by,
                "bound": jnum(p.truth.bound), "bound_kind": p.truth.bound_kind,
                "integrality_gap": jnum(p.truth.integrality_gap),
                "solver_seconds": p.truth.seconds}
            for v in self.variants:
                a = p.answer(v)
                row[f"{v}_verdict"] = a.verdict if a else None
                row[f"{v}_gap"] = jnum(a.gap) if a else None
                if v == "trace":
                    row["trace_fidelity"] = a.fidelity if a else None
                    first = (a.trace or {}).get("first_wrong") if a else None
                    row["trace_first_wrong"] = (f"step {first['step']} ({first['label']})"
                                                if first else None)
                row[f"{v}_seconds"] = a.seconds if a else None
                row[f"{v}_output_tokens"] = a.output_tokens if a else None
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "sizes": self.sizes, "sizes_run": self.sizes_run,
                "seeds": self.seeds, "variants": self.variants, "llm": self.llm,
                "tolerance": self.tol, "seconds": self.seconds,
                "earlier_seconds": self.earlier_seconds,
                "client_startup_s": self.client_startup_s, "order_seed": self.order_seed,
                "stopped": self.stopped, "notes": self.notes, "usage": self.usage.as_dict(),
                "usage_resumed": self.usage_resumed.as_dict(),
                "table": self.table(), "instances": self.instances(),
                "points": [p.to_dict() for p in self.points]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def table_csv(self) -> str:
        return to_csv(self.table())

    def instances_csv(self) -> str:
        return to_csv(self.instances())

    def answers_csv(self) -> str:
        return to_csv([{"family": p.family, "size": p.size, "seed": p.seed,
                        "optimum": p.truth.objective, "solver_seconds": p.truth.seconds,
                        "integrality_gap": p.truth.integrality_gap, **flat_answer(a)}
                       for p in self.points for a in p.answers])

    # -- rendering ------------------------------------------------------------------------------
    _HEAD = ["variant", "size", "n", "correct", "gap", "viol.", "steps right", "unparsed",
             "model s", "tokens", "solver s", "bound gap"]

    def _cells(self, r: dict[str, Any]) -> list[str]:
        fid = r["fidelity"]
        return [r["variant"], str(r["size"]), str(r["n"]), f"{r['correct_rate']:.0%}",
                pct(r["mean_gap"]),
                f"{r['mean_violations']:.2f}" if r["mean_violations"] is not None else "—",
                ("100%" if fid == 1 else f"{fid:.1%}") if fid is not None else "—",
                f"{r['unparseable_rate']:.0%}", secs(r["model_seconds"]),
                num(r["output_tokens"]) if r["output_tokens"] is not None else "—",
                secs(r["solver_seconds"]), pct(r["integrality_gap"])]

    def _grid(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of the table, without columns that say nothing here (all "—", or
        "unparsed" all 0 %)."""
        rows = [self._cells(r) for r in self.table()]
        keep = [k for k, h in enumerate(self._HEAD)
                if not rows or not all(r[k] in ("—", "0%" if h == "unparsed" else "—")
                                       for r in rows)]
        return [self._HEAD[k] for k in keep], [[r[k] for k in keep] for r in rows]

    def _instance_head(self) -> list[str]:
        return ["size", "seed", "optimum", "bound gap", "solver s", *self.variants]

    def _instance_cells(self, p: SweepPoint, sep: str = "\n") -> list[tuple[str, str]]:
        """(text, verdict or "") cells of one instance row: per variant its verdict (with the
        gap or the steps right and the first wrong step), seconds and output tokens."""
        cells = [(str(p.size), ""), (str(p.seed), ""), (num(p.truth.objective), ""),
                 (pct(p.truth.integrality_gap), ""), (secs(p.truth.seconds), "")]
        for v in self.variants:
            a = p.answer(v)
            if a is None:
                cells.append(("not asked", ""))
                continue
            what = a.verdict
            if a.gap is not None and a.verdict != "correct" and abs(a.gap) > 1e-12:
                what += f" {pct(a.gap)}"
            if a.fidelity is not None and a.verdict != "correct":
                first = (a.trace or {}).get("first_wrong")
                what += f" ({a.fidelity:.1%} steps right" + (
                    f"; 1st wrong: step {first['step']}, {first['label']}" if first else "") + ")"
            cost = f"{secs(a.seconds)} s"
            if a.output_tokens is not None:
                cost += f", {a.output_tokens} tok"
            cells.append((f"{what}{sep}{cost}", a.verdict))
        return cells

    def title(self) -> str:
        return (f"{self.family}: {self.llm} answering directly vs the solver "
                f"({len(self.points)} instances, {len(self.seeds)} per size)")

    def legend(self) -> str:
        """What the columns mean (printed under the table)."""
        return (f"correct: objective within {self.tol:g} relative of the optimum (trace: every "
                f"step right); model s, tokens: the model's seconds and output tokens per answer "
                f"(medians); solver s: build + solve; bound gap: relaxation bound vs optimum")

    _COST = ("model s", "tokens", "solver s", "bound gap")

    def __rich_console__(self, console: Any, options: Any) -> Any:
        """The table, split into accuracy and cost tables when the console is narrow."""
        from rich import box
        from rich.table import Table
        from rich.text import Text

        head, rows = self._grid()

        def table(title: str, cols: list[int]) -> Table:
            t = Table(title=title, header_style="bold", box=box.SIMPLE_HEAD, padding=(0, 1),
                      pad_edge=False)
            for k in cols:
                t.add_column(head[k], justify="left" if head[k] == "variant" else "right",
                             min_width=9 if head[k] == "variant" else None, overflow="fold")
            for r in rows:
                t.add_row(*[r[k] for k in cols])
            return t

        width = sum(max(len(h), *(len(r[k]) for r in rows)) + 2
                    for k, h in enumerate(head)) if rows else 0
        if width <= options.max_width:
            yield table(self.title(), list(range(len(head))))
        else:
            keys = [k for k, h in enumerate(head) if h in ("variant", "size")]
            acc = [k for k, h in enumerate(head) if h not in self._COST]
            yield table(self.title() + ": accuracy", acc)
            yield table("cost", keys + [k for k, h in enumerate(head) if h in self._COST])
        yield Text(self.legend(), style="dim")
        if self.client_startup_s:
            yield Text(f"client start-up {self.client_startup_s:.2f} s (not in the answers' "
                       f"seconds)", style="dim")
        if self.stopped:
            yield Text(self.stopped, style="yellow")
        for n in self.notes:
            yield Text(n, style="yellow")

    def rich_instances(self) -> Any:
        """A rich table with one row per instance and the verdict of every answer."""
        from rich import box
        from rich.table import Table
        from rich.text import Text

        from formalize.evaluation.verdicts import COLORS

        t = Table(title=f"{self.family}: per instance", header_style="bold",
                  box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
        for h in self._instance_head():
            t.add_column(h, justify="left" if h in self.variants else "right")
        for p in self.points:
            t.add_row(*[Text(c, style=COLORS.get(v, "")) if v else c
                        for c, v in self._instance_cells(p)])
        return t

    def _repr_html_(self) -> str:
        cols, rows = self._grid()
        head = "".join(f"<th>{html.escape(h)}</th>" for h in cols)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                       for r in rows)
        from formalize.evaluation.plots import build_sweep_figure, html_plot

        return (f"<p>{html.escape(self.title())}</p><table><tr>{head}</tr>{body}</table>"
                f"<p><small>{html.escape(self.legend())}</small></p>"
                + html_plot(build_sweep_figure, self, "accuracy and cost against size"))

    def to_markdown(self, verbose: bool = True) -> str:
        """The table (and with `verbose` the per-instance table) as Markdown, with how it was
        obtained."""
        cols, rows = self._grid()
        lines = [f"**{self.title()}**", "",
                 "| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        if verbose:
            head = self._instance_head()
            lines += ["", "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
            lines += ["| " + " | ".join(c for c, _ in self._instance_cells(p, sep="; ")) + " |"
                      for p in self.points]
        lines += ["", self.legend() + ".", "",
                  f"Requests: {sum(len(p.answers) for p in self.points)}, each a fresh "
                      f"conversation, in a shuffled order (seed {self.order_seed}); client "
                      f"start-up {self.client_startup_s:.2f} s kept out of the answer times."]
        if self.stopped:
            lines += ["", self.stopped]
        lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def plot(self, path: str | Path) -> Path:
        """A PNG: accuracy (correct, gap, violations or trace steps) and cost (seconds beside
        the solver's, output tokens, integrality gap) against size."""
        from formalize.evaluation.plots import sweep_figure

        return sweep_figure(self, path)

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write sweep.json, sweep.csv (the table), instances.csv, answers.csv, sweep.md and
        sweep.png into `directory`."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        out = {"json": d / "sweep.json", "csv": d / "sweep.csv",
               "instances_csv": d / "instances.csv", "answers_csv": d / "answers.csv",
               "markdown": d / "sweep.md"}
        out["json"].write_text(self.to_json() + "\n", encoding="utf-8")
        out["csv"].write_text(self.table_csv(), encoding="utf-8")
        out["instances_csv"].write_text(self.instances_csv(), encoding="utf-8")
        out["answers_csv"].write_text(self.answers_csv(), encoding="utf-8")
        out["markdown"].write_text(self.to_markdown(), encoding="utf-8")
        out["png"] = self.plot(d / "sweep.png")
        return out


def family_backend(family: str, backend: str) -> str:
    """The family's own backend under "auto" (its scheduling model is meant for CP-SAT: "auto"
    picks HiGHS with a slow big-M reformulation)."""
    from formalize.evaluation.families import FAMILIES

    fam = FAMILIES.get(family)
    if backend != "auto" or fam is None:
        return backend
    own = getattr(fam, "backend", None) or "auto"
    return "cpsat" if own == "auto" and fam.problem_class == "CP" else own


class SweepRecords:
    """A sweep's append-only results file (:mod:`formalize.evaluation.results_file`): a run
    header, one ``instance`` record per instance (id ``size:seed``: dims, ground truth, the
    variants asked, notes; or ``status: timeout``) written as soon as its ground truth is known,
    and one ``answer`` record per answer (id ``size:seed:variant``) written as it arrives — each
    once. With ``resume``, a recorded instance keeps its ground truth (no solve again), a
    recorded answer is not asked again, and an instance recorded as timed out is not run again.
    Without a path nothing is written and nothing resumed."""

    RUN_KEYS = ("family", "variants", "llm", "tolerance", "backend", "missing", "params",
                "order_seed")
    FLAGS = {"family": "--family", "variants": "--variants", "llm": "--model",
             "tolerance": "--tolerance", "backend": "--backend", "order_seed": "--order-seed"}

    def __init__(self, path: str | Path | None, run: dict[str, Any], *, resume: bool = False,
                 overwrite: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.done: dict[str, dict] = {}
        self.file: ResultsFile | None = None
        self.resumed_answers = 0
        self.resumed_usage = Usage()  # the recorded accounting of the answers reused
        self.orders: set[int] = set()  # request positions ("order") recorded or given out
        self.earlier_s = 0.0  # seconds the sweep ran before this run (its latest record's)
        self._t0 = time.perf_counter()
        if self.path is None:
            if resume:
                raise ConfigError("resume needs the results file of the earlier run (--out DIR "
                                  f"holding {RECORDS})")
            return
        if self.path.exists() and not self.path.is_file():
            raise ConfigError(f"{self.path} is not a file (a folder?): the sweep's records go "
                              "there; move it away or use another --out")
        existed = self.path.exists() and self.path.stat().st_size > 0
        if existed and not resume and not overwrite:
            raise ConfigError(f"{self.path} exists: pass --resume to continue that sweep, "
                              "--overwrite to start again, or another --out")
        self.file = ResultsFile(self.path).open()  # its lock first: nobody else writes it now
        try:
            header = self._resumed(run) if resume else None
            if header is None:
                self.file.truncate()
                self.done = {}
                self.file.write({"type": "run", "kind": "sweep", **run,
                                 "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        except BaseException:
            self.close()
            raise

    def _resumed(self, run: dict[str, Any]) -> dict | None:
        """The header and records of the file to resume (None: nothing recorded yet)."""
        assert self.path is not None
        header, self.done = read_results(self.path, repair=True, types=("instance", "answer"))
        if header is None:
            if self.done:
                raise ConfigError(
                    f"{self.path}: {len(self.done)} record(s) but no run header (the "
                    "'\"type\": \"run\"' line, normally the first): they cannot be checked to "
                    "be this sweep's, and are kept; put the header line back, or use another "
                    "--out (--overwrite discards them)")
            return None
        for r in self.done.values():
            with self.reading(r):
                if r.get("type") == "answer" and r["answer"].get("order") is not None:
                    self.orders.add(int(r["answer"]["order"]))
                self.earlier_s = max(self.earlier_s, float(r.get("elapsed") or 0.0))
        if header.get("kind") != "sweep":
            raise ConfigError(f"{self.path}: not a sweep's records (a {header.get('kind') or 'benchmark'} "
                              "run's results); use another --out")
        clash = {k: (header.get(k), run.get(k)) for k in self.RUN_KEYS
                 if header.get(k) != run.get(k)
                 and (k in header or k != "order_seed")}  # (not in the first files' header)
        if clash:
            same = [f"{self.FLAGS[k]} {','.join(a) if isinstance(a, list) else a}"
                    for k, (a, _) in clash.items() if k in self.FLAGS and a is not None]
            raise ConfigError(
                f"{self.path}: --resume of a different sweep ("
                + ", ".join(f"{k} was {a!r}, now {b!r}" for k, (a, b) in clash.items())
                + "); " + (f"resume it with {' '.join(same)}, or " if same else "")
                + "use another --out (--overwrite discards its records)")
        return header

    @contextlib.contextmanager
    def reading(self, rec: dict) -> Iterator[None]:
        """A record that does not read back (a hand-edited line, a missing field) is an error
        naming it, not a traceback."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"{self.path}: the {rec.get('type')} record {rec.get('id')!r} does not read "
                f"back ({type(exc).__name__}: {exc}); remove its line to run it again") from None

    def start_clock(self) -> None:
        """The sweep's work starts now (after the client's start-up)."""
        self._t0 = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds the sweep has run: the earlier runs' (until their latest record) and this
        one's (a resumed ladder's time budget counts both)."""
        return self.earlier_s + time.perf_counter() - self._t0

    def started(self, size: int) -> bool:
        """Whether an earlier run started `size` (recorded an instance of it)."""
        return any(r.get("type") == "instance" and r.get("size") == size
                   for r in self.done.values())

    def _write(self, rec: dict) -> None:
        assert self.file is not None
        rec["elapsed"] = round(self.elapsed(), 3)
        self.file.write(rec)
        self.done[rec["id"]] = rec

    def instance(self, size: int, seed: int) -> dict | None:
        """The recorded instance record of (size, seed), if any."""
        return self.done.get(f"{size}:{seed}")

    def answers(self, size: int, seed: int, variants: Sequence[str]) -> dict[str, DirectAnswer]:
        """The recorded answers of (size, seed) among `variants`."""
        out = {}
        for v in variants:
            rec = self.done.get(f"{size}:{seed}:{v}")
            if rec is not None:
                with self.reading(rec):
                    out[v] = DirectAnswer.from_dict(rec["answer"])
        return out

    def reused(self, answers: Sequence[DirectAnswer]) -> None:
        """Count recorded answers that go into the report (each once): their number and the
        calls, tokens and cost they took in the earlier run."""
        self.resumed_answers += len(answers)
        for a in answers:  # a cached answer's seconds are the recorded call's: not this run's
            self.resumed_usage.count(cached=a.cached, latency_s=0.0 if a.cached else a.seconds,
                                     prompt_tokens=a.prompt_tokens,
                                     completion_tokens=a.output_tokens, cost=a.cost)

    def write_instance(self, point: SweepPoint, asked: Sequence[str], notes: Sequence[str]) -> None:
        key = f"{point.size}:{point.seed}"
        if self.file is None or self.done.get(key, {}).get("status") == "ok":
            return
        rec = {"type": "instance", "id": key, "status": "ok", "size": point.size,
               "seed": point.seed, "dims": point.dims, "ground_truth": point.truth.to_dict(),
               "fingerprint": point.fingerprint, "asked": list(asked), "notes": list(notes)}
        self._write(rec)

    def write_timeout(self, size: int, seed: int, error: str) -> None:
        key = f"{size}:{seed}"
        if self.file is None:
            return
        rec = {"type": "instance", "id": key, "status": "timeout", "size": size, "seed": seed,
               "error": error}
        self._write(rec)

    def mark_timed_out(self, size: int, seed: int, error: str) -> None:
        """An instance recorded with its ground truth whose answers left ran past the time
        budget: it keeps its record and answers, the rest is not asked again."""
        key = f"{size}:{seed}"
        if self.file is not None and key in self.done:
            self._write({**self.done[key], "timed_out": error})

    def write_answer(self, point: SweepPoint, ans: DirectAnswer) -> None:
        key = f"{point.size}:{point.seed}:{ans.variant}"
        if self.file is None or key in self.done:
            return
        rec = {"type": "answer", "id": key, "size": point.size, "seed": point.seed,
               "variant": ans.variant, "answer": ans.to_dict()}
        self._write(rec)

    def next_orders(self, n: int) -> list[int]:
        """`n` request positions after every one recorded or given out (a resumed sweep whose
        order changed: sizes or seeds added, another executor)."""
        start = max(self.orders, default=0) + 1
        out = list(range(start, start + n))
        self.orders.update(out)
        return out

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


Progress = Callable[[int, int, SweepPoint], None]


def sweep(family: str, sizes: Sequence[int], seeds: int | Sequence[int] = 3,
          model: str | LLMClient | None = None, *, variants: Sequence[str] = DEFAULT_VARIANTS,
          tol: float = 1e-6, missing: str = "zero", backend: str = "auto",
          time_limit: float | None = None, concurrency: int = 1, no_cache: bool = False,
          progress: Progress | None = None,
          on_answer: Callable[[SweepPoint, DirectAnswer, int, int], None] | None = None,
          order_seed: int = 0, stop_after_failures: int | None = None,
          stop_after_seconds: float | None = None, executor: Any = None,
          results: str | Path | None = None, resume: bool = False, overwrite: bool = False,
          task_timeout: float | None = None, **params: Any) -> SweepReport:
    """Score the LLM's direct answers on a problem family at every size and seed.

    Ground truth: the generator's formal model solved by our solver, confirmed by the checker
    and by the generator's independent optimum when it has one (no LLM); with a known optimum
    and no `time_limit`, the solver gets KNOWN_OPTIMUM_TIME_LIMIT seconds. `seeds` is a count
    (0..n-1) or the seeds themselves. Every (instance, variant) is one request in a fresh
    conversation; requests go out in a seeded shuffled order (`order_seed`) with no two of one
    instance back to back: over the whole sweep, or per size when `stop_after_failures` is set
    (the ladder runs sizes in the given order and stops after a size at which at least that
    many answers were not correct); `stop_after_seconds` also makes it a ladder, which starts
    no new size once the sweep has run that long (a time budget). `progress(done, total,
    point)` is called when an instance's answers are all in, `on_answer(point, answer, k, n)`
    after each answer asked. `concurrency` > 1 asks from that many threads. The client is
    warmed first (its start-up is reported as `client_startup_s`, not counted in any answer).

    `results`: a JSONL file the sweep streams its records to (:class:`SweepRecords`: each
    instance's ground truth and each answer, written once as they are known); `resume`
    continues the sweep recorded there (the same family, variants, model, tolerance, backend;
    sizes and seeds may differ: recorded instances and answers are reused, the rest asked, in
    the positions of the same fair order); an existing file is an error without `resume` or
    `overwrite`.

    `executor`: None or a local executor (this process, as above), or a Ray executor
    (:mod:`formalize.evaluation.executors`): each instance is then one task on a Ray worker —
    its generation and ground truth on the worker's CPUs, then its variants asked there in a
    seeded order — the instances handed out in a seeded shuffled order, at least one in flight
    per worker (`concurrency` in all when larger). `task_timeout` (Ray): seconds an instance
    may take; past it the instance is recorded as timed out and left out of the tables (not
    run again on resume). A worker lost for good leaves its instance unrecorded (a note says
    so; resume runs it)."""
    from formalize.evaluation.families import FAMILIES

    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants:
        raise ValueError(f"unknown variant(s) {bad or list(variants)}; known: {', '.join(VARIANTS)}")
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    size_list = [int(s) for s in sizes]
    if not size_list or not seed_list:
        raise ValueError("a sweep needs at least one size and one seed")
    for what, xs in (("size", size_list), ("seed", seed_list)):
        twice = sorted({x for x in xs if xs.count(x) > 1})
        if twice:  # each instance once: asked twice, recorded once, counted twice otherwise
            raise ValueError(f"{what}(s) {', '.join(map(str, twice))} given more than once; "
                             f"give each {what} once")
    if family not in FAMILIES:
        raise ValueError(f"unknown problem family {family!r}; known families: {', '.join(FAMILIES)}")
    fam = FAMILIES[family]
    if "trace" in variants and fam.trace is None:
        with_trace = [f"{n} ({f.trace})" for n, f in FAMILIES.items() if f.trace]
        raise ValueError(f"family {family!r} has no hand-run procedure for the 'trace' variant; "
                         f"families with one: {', '.join(with_trace)}")
    if stop_after_failures is not None and stop_after_failures < 1:
        raise ValueError(f"stop_after_failures must be at least 1, got {stop_after_failures}")
    if stop_after_seconds is not None and not stop_after_seconds > 0:
        raise ValueError(f"stop_after_seconds must be positive, got {stop_after_seconds}")
    if task_timeout is not None and not task_timeout > 0:
        raise ValueError(f"task_timeout must be positive, got {task_timeout}")
    distributed = executor is not None and executor.name != "local"
    if task_timeout is not None and not distributed:
        raise ValueError("task_timeout applies to a sweep on Ray (one instance per task); a "
                         "local sweep bounds each answer with the client's timeout instead")
    for s in size_list:
        if s < fam.min_size:
            raise ValueError(f"family {family!r}: size {s} is too small; the smallest size is "
                             f"{fam.min_size} ({fam.size_meaning})")
    backend = family_backend(family, backend)
    client = make_client(model, no_cache=no_cache)
    report = SweepReport(family=family, sizes=size_list, seeds=seed_list,
                         variants=list(variants), llm=client.settings.model, points=[],
                         order_seed=order_seed, tol=tol)
    run = {"family": family, "variants": list(variants), "llm": report.llm, "tolerance": tol,
           "backend": backend, "missing": missing, "params": dict(params),
           "order_seed": order_seed}
    records = SweepRecords(results, run, resume=resume, overwrite=overwrite)
    # a ladder runs one executor map per size: the executor keeps its connection (a private
    # Ray) across them instead of connecting (starting Ray) again for each size
    hold = executor.held() if distributed else contextlib.nullcontext()
    try:
        report.client_startup_s = warm_client(client)
        with hold:
            _run_batches(report, records, family, size_list, seed_list, variants, backend,
                         time_limit, tol, missing, client, executor if distributed else None,
                         concurrency=concurrency, progress=progress, on_answer=on_answer,
                         order_seed=order_seed, stop_after_failures=stop_after_failures,
                         stop_after_seconds=stop_after_seconds, task_timeout=task_timeout,
                         params=params)
    finally:
        records.close()
    if records.earlier_s:
        report.earlier_seconds = records.earlier_s
    if records.resumed_answers:
        u = records.resumed_usage
        report.usage_resumed = u
        report.usage = report.usage + u
        cost = f", ${u.cost:.4f}" if u.cost else ""
        report.notes.insert(0, f"resumed from {records.path}: {records.resumed_answers} "
                               f"answer(s) of the earlier run reused, not asked again (their "
                               f"{u.prompt_tokens} prompt and {u.completion_tokens} output "
                               f"tokens{cost} are counted in the usage; the earlier run(s) "
                               f"took {records.earlier_s:.0f} s)")
    return report


def _run_batches(report: SweepReport, records: SweepRecords, family: str, size_list: list[int],
                 seed_list: list[int], variants: Sequence[str], backend: str,
                 time_limit: float | None, tol: float, missing: str, client: LLMClient,
                 executor: Any, *, concurrency: int, progress: Progress | None, on_answer: Any,
                 order_seed: int, stop_after_failures: int | None,
                 stop_after_seconds: float | None, task_timeout: float | None,
                 params: dict) -> None:
    """The sweep's sizes in one batch, or one size at a time (the ladder)."""
    started = time.perf_counter()
    records.start_clock()
    total = len(size_list) * len(seed_list)
    ladder = stop_after_failures is not None or stop_after_seconds is not None
    batches = [[s] for s in size_list] if ladder else [size_list]
    for k, batch in enumerate(batches):
        left = size_list[size_list.index(batch[0]):]
        elapsed = records.elapsed()  # a resumed sweep's earlier runs included
        if (k and stop_after_seconds is not None and elapsed >= stop_after_seconds
                and not records.started(batch[0])):  # (a size begun before: it finishes)
            report.stopped = (f"ladder stopped after size {batches[k - 1][0]}: the time budget "
                              f"of {stop_after_seconds:g} s was used ({elapsed:.0f} s; "
                              f"--stop-after-seconds); sizes not run: "
                              f"{', '.join(map(str, left))}")
            break
        seed_k = order_seed + batch[0] if ladder else order_seed
        if executor is not None:
            job = _SweepJob(family, list(variants), backend, time_limit, tol, missing, client,
                            seed_k, dict(params))
            batch_points = _run_distributed(job, executor, batch, seed_list, report, total,
                                            records, concurrency=concurrency,
                                            progress=progress, on_answer=on_answer,
                                            task_timeout=task_timeout)
        else:
            points, requests, pending = _prepare(family, batch, seed_list, variants, backend,
                                                 time_limit, tol, report, records)
            _ask_all(client, points, requests, pending, seed_k, report, total, records,
                     tol=tol, missing=missing, concurrency=concurrency, progress=progress,
                     on_answer=on_answer, **params)
            batch_points = [p for p, _, _ in points]
        if stop_after_failures is not None:
            failed = sum(not a.correct for p in batch_points for a in p.answers)
            if failed >= stop_after_failures:
                if left[1:]:
                    report.stopped = (f"ladder stopped after size {batch[0]}: {failed} "
                                      f"answer(s) not correct (--stop-after-failures "
                                      f"{stop_after_failures}); sizes not run: "
                                      f"{', '.join(map(str, left[1:]))}")
                break
    report.seconds = time.perf_counter() - started


Request = tuple[int, str]  # (index into the batch's points, variant)


def _timed_out_note(rec: dict) -> str:
    return (f"size {rec['size']} seed {rec['seed']} not in the tables: {rec.get('error')} "
            "(recorded as timed out; not run again on resume)")


def _batch(sizes: list[int], seeds: list[int], records: SweepRecords,
           report: SweepReport) -> Iterator[tuple[int, int, dict | None]]:
    """(size, seed, its record or None) of a batch's instances; those recorded as timed out
    are noted and left out."""
    for size in sizes:
        for seed in seeds:
            rec = records.instance(size, seed)
            if rec is not None and rec.get("status") == "timeout":
                report.notes.append(_timed_out_note(rec))
                continue
            yield size, seed, rec


def _prepare(family: str, sizes: list[int], seeds: list[int], variants: Sequence[str],
             backend: str, time_limit: float | None, tol: float, report: SweepReport,
             records: SweepRecords) -> tuple[list[tuple[SweepPoint, Any, Model | None]],
                                             list[Request], set[int]]:
    """Instances, their ground truths and the requests of one batch, and which requests are
    still to ask (the others answered in the earlier run of a resumed sweep)."""
    points: list[tuple[SweepPoint, Any, Model | None]] = []
    requests: list[Request] = []
    pending: set[int] = set()
    for size, seed, rec in _batch(sizes, seeds, records, report):
        point, inst, m, asked, notes = _restored(family, size, seed, variants, backend,
                                                 time_limit, tol, rec, records)
        records.write_instance(point, asked, notes)
        records.reused(point.answers)
        report.notes.extend(notes)
        have = {a.variant for a in point.answers}
        for v in asked:
            if v not in have:
                pending.add(len(requests))
            requests.append((len(points), v))
        points.append((point, inst, m))
    return points, requests, pending


def _restored(family: str, size: int, seed: int, variants: Sequence[str], backend: str,
              time_limit: float | None, tol: float, rec: dict | None,
              records: SweepRecords, generate: bool = True) -> tuple[
                  SweepPoint, Any, Model | None, list[str], list[str]]:
    """An instance of a sweep: from its record (ground truth and answers recorded; generated
    again, without a solve, only when a variant is left to ask and `generate`), else generated
    and solved."""
    if rec is None or rec.get("status") != "ok":
        return _instance(family, size, seed, variants, backend, time_limit, tol)
    with records.reading(rec):
        point, asked, notes = _recorded_point(family, size, seed, rec)
    asked = [v for v in asked if v in variants]
    got = records.answers(size, seed, asked)
    point.answers = [got[v] for v in variants if v in got]
    if rec.get("timed_out"):  # its answers left ran past the time budget: not asked again
        left = [v for v in asked if v not in got]
        if left:
            notes.append(f"size {size} seed {seed}: {', '.join(left)} not asked: "
                         f"{rec['timed_out']} (recorded as timed out; not run again on resume)")
        asked = [v for v in asked if v in got]
    inst = m = None
    if len(got) < len(asked) and generate:
        inst, m = _generated(family, size, seed, point.fingerprint)
    return point, inst, m, asked, notes


def _recorded_point(family: str, size: int, seed: int,
                    rec: dict) -> tuple[SweepPoint, list[str], list[str]]:
    """The point of an instance record (ground truth, dims, fingerprint; no answers), the
    variants it asked and its notes."""
    point = SweepPoint(family, size, seed, GroundTruth.from_dict(rec["ground_truth"]), [],
                       dict(rec.get("dims") or {}), rec.get("fingerprint") or "")
    return point, list(rec["asked"]), list(rec.get("notes") or [])


def _generated(family: str, size: int, seed: int, expect: str = "") -> tuple[Any, Model]:
    """The family's instance (size, seed) and its model; with `expect` (a recorded
    fingerprint), an error when the generator now makes another instance — its recorded
    ground truth would score the new questions' answers."""
    from formalize.evaluation.families import generate

    inst = generate(family, size, seed)
    if expect and _fingerprint(inst) != expect:
        raise ConfigError(
            f"{family} size {size} seed {seed}: the family's generator now makes another "
            "instance than the recorded sweep's (formalize changed since it ran?): its recorded "
            "ground truth would score answers to a different problem; finish the sweep with "
            "the formalize that began it, or start it again (another --out, or --overwrite)")
    return inst, load_model(inst.model)


def _fingerprint(inst: Any) -> str:
    """A short hash of a generated instance's text and model."""
    import hashlib

    doc = json.dumps({"text": inst.text, "model": inst.model}, sort_keys=True, default=str)
    return hashlib.sha256(doc.encode("utf-8")).hexdigest()[:16]


def _instance(family: str, size: int, seed: int, variants: Sequence[str], backend: str,
              time_limit: float | None, tol: float) -> tuple[SweepPoint, Any, Model, list[str],
                                                             list[str]]:
    """One generated instance with its ground truth (no LLM): the point, the instance, its
    model, the variants to ask and notes on those not asked."""
    from formalize.evaluation.families import FAMILIES
    from formalize.evaluation.traces import TraceUnavailable, procedure

    fam = FAMILIES[family]
    inst, m = _generated(family, size, seed)
    limit = time_limit
    if limit is None and inst.known_optimum is not None:
        limit = KNOWN_OPTIMUM_TIME_LIMIT
    gt = ground_truth(m, source="family generator", known_optimum=inst.known_optimum,
                      backend=backend, time_limit=limit, tol=tol,
                      optimum_method=getattr(inst, "optimum_method", ""),
                      bound=getattr(inst, "bound", None),
                      bound_kind=getattr(inst, "bound_kind", ""))
    point = SweepPoint(family, inst.size, inst.seed, gt, [], dict(inst.dims), _fingerprint(inst))
    asked: list[str] = []
    notes: list[str] = []
    for v in variants:
        if v == "objective" and m.sense == "feasibility":
            continue
        if v == "trace":
            try:
                procedure(fam.trace).available(inst.model)
            except TraceUnavailable as exc:
                notes.append(f"trace not asked at size {size} seed {seed}: {exc}")
                continue
        asked.append(v)
    return point, inst, m, asked, notes


@dataclass
class _SweepJob:
    """One instance of a sweep as a task (picklable: a Ray worker rebuilds the LLM client from
    its settings): generation, ground truth, then its variants asked in a seeded order.

    An item is ``(size, seed, record)``: ``record`` None, or the instance's record and answers
    of a resumed sweep (``{"instance": ..., "answers": {variant: answer dict}}``): the worker
    then takes the ground truth from it and asks only the variants not answered."""

    family: str
    variants: list[str]
    backend: str
    time_limit: float | None
    tol: float
    missing: str
    client: Any
    order_seed: int
    params: dict

    def key(self, item: tuple) -> str:
        return f"{self.family}:{item[0]}:{item[1]}"

    def worker(self, spec: Any) -> _SweepWorker:
        return _SweepWorker(self, spec)

    def timed_out(self, item: tuple, seconds: float) -> dict:
        return {"timeout": f"the instance ran past its time budget of {seconds:g} s "
                           "(--task-timeout)"}

    def lost(self, item: tuple, why: str) -> dict:
        return {"lost": why}

    def __getstate__(self) -> dict:
        from formalize.evaluation.executors import portable_client

        return {**self.__dict__, "client": portable_client(self.client)}

    def __setstate__(self, state: dict) -> None:
        from formalize.evaluation.executors import rebuilt_client

        self.__dict__.update({**state, "client": rebuilt_client(state["client"])})


class _SweepWorker:
    """Works on instances in this process: each in a thread of its own."""

    def __init__(self, job: _SweepJob, spec: Any) -> None:
        self.job, self.spec = job, spec
        self.threads: ThreadPoolExecutor | None = None

    async def start(self) -> None:
        import asyncio

        self.threads = ThreadPoolExecutor(max_workers=self.spec.concurrency,
                                          thread_name_prefix="sweep")
        await asyncio.to_thread(warm_client, self.job.client)

    async def run(self, item: tuple) -> dict:
        import asyncio

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.threads, self._instance, item)

    def _instance(self, item: tuple) -> dict:
        import random

        from formalize.evaluation.families import FAMILIES

        job = self.job
        size, seed, rec = item
        if rec is None:
            point, inst, m, asked, notes = _instance(job.family, size, seed, job.variants,
                                                     job.backend, job.time_limit, job.tol)
        else:
            point, asked, notes = _recorded_point(job.family, size, seed, rec["instance"])
            inst, m = _generated(job.family, size, seed, point.fingerprint)
        answered = set(rec["answers"]) if rec is not None else set()
        to_ask = [v for v in asked if v not in answered]
        random.Random(f"formalize.compare.order:{job.order_seed}:{size}:{seed}").shuffle(to_ask)
        usage = Usage()
        fam = FAMILIES[job.family]
        answers = {}
        failure: Exception | None = None
        for v in to_ask:
            try:
                answers[v] = ask_direct(job.client, v, inst.text, m, point.truth, tol=job.tol,
                                        missing=job.missing, usage=usage,
                                        procedure=fam.trace if v == "trace" else None,
                                        model_doc=inst.model if v == "trace" else None,
                                        **job.params)
            except Exception as exc:  # a provider failure: the answers in are kept (paid for)
                failure = exc
                break
        point.answers = [answers[v] for v in job.variants if v in answers]
        out = {"point": point, "asked": asked, "order": to_ask, "notes": notes,
               "usage": usage.as_dict()}
        if failure is not None:
            out["failure"] = _portable_failure(failure)
        return out

    async def stop(self) -> None:
        if self.threads is not None:
            self.threads.shutdown(wait=False, cancel_futures=True)


def _portable_failure(exc: Exception) -> Exception:
    """The exception itself when it survives pickling (to reach the driver from a worker), else
    a RuntimeError with its type and message."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _run_distributed(job: _SweepJob, executor: Any, sizes: list[int], seeds: list[int],
                     report: SweepReport, total: int, records: SweepRecords, *,
                     concurrency: int, progress: Progress | None, on_answer: Any,
                     task_timeout: float | None) -> list[SweepPoint]:
    """One batch of instances as executor tasks, each finished one's records written once (a
    re-run's duplicate is dropped); points filed in (size, seed) order."""
    import random

    from formalize.evaluation.bench import _run_coroutine

    done: dict[tuple[int, int], SweepPoint] = {}
    items = []
    for size, seed, rec in _batch(sizes, seeds, records, report):
        if rec is None or rec.get("status") != "ok":
            items.append((size, seed, None))
            continue
        point, _, _, asked, notes = _restored(job.family, size, seed, job.variants,
                                              job.backend, job.time_limit, job.tol, rec,
                                              records, generate=False)
        if len(point.answers) < len(asked):
            items.append((size, seed, {"instance": rec, "answers": {
                a.variant: a.to_dict() for a in point.answers}}))
            continue
        records.reused(point.answers)
        report.notes.extend(notes)
        done[size, seed] = point
        if progress is not None:  # before any task: the bar's rate is this run's
            progress(len(report.points) + len(done), total, point)
    order = list(items)
    random.Random(f"formalize.compare.order:{job.order_seed}").shuffle(order)
    n_answers = 0
    written: set[tuple[int, int]] = set()
    n_done = len(report.points) + len(done)

    async def drive() -> None:
        nonlocal n_done, n_answers
        async for item, res in executor.map(job, order, concurrency=max(1, concurrency),
                                            timeout=task_timeout):
            size, seed, rec = item
            if (size, seed) in written:
                continue  # a re-run of an item whose result is in
            written.add((size, seed))
            if "timeout" in res and rec is not None:  # its ground truth and answers recorded:
                records.mark_timed_out(size, seed, res["timeout"])  # kept, the rest not asked
                point, _, _, _, notes = _restored(job.family, size, seed, job.variants,
                                                  job.backend, job.time_limit, job.tol,
                                                  records.instance(size, seed), records,
                                                  generate=False)
                records.reused(point.answers)
                report.notes.extend(notes)
                done[size, seed] = point
                n_done += 1
                if progress is not None:
                    progress(n_done, total, point)
                continue
            if "timeout" in res or "lost" in res:
                if "timeout" in res:
                    records.write_timeout(size, seed, res["timeout"])
                    report.notes.append(_timed_out_note(records.instance(size, seed) or {
                        "size": size, "seed": seed, "error": res["timeout"]}))
                else:
                    report.notes.append(f"size {size} seed {seed} not in the tables: not run "
                                        f"({res['lost']}); resume runs it")
                continue
            point = res["point"]
            records.write_instance(point, res["asked"], res["notes"])
            report.notes.extend(res["notes"])
            for k, v in res["usage"].items():
                setattr(report.usage, k, getattr(report.usage, k) + v)
            for a in sorted(point.answers, key=lambda a: res["order"].index(a.variant)):
                n_answers += 1
                a.order = records.next_orders(1)[0]
                records.write_answer(point, a)
                if on_answer is not None:
                    on_answer(point, a, n_answers, None)
            if "failure" in res:  # its answers in are recorded; the rest for --resume
                raise res["failure"]
            if rec is not None:
                kept = {v: DirectAnswer.from_dict(d) for v, d in rec["answers"].items()}
                records.reused(list(kept.values()))
                got = {a.variant: a for a in point.answers}
                point.answers = [got.get(v) or kept[v] for v in job.variants
                                 if v in got or v in kept]
            done[size, seed] = point
            n_done += 1
            if progress is not None:
                progress(n_done, total, point)

    _run_coroutine(drive())
    points = [done[size, seed] for size in sizes for seed in seeds if (size, seed) in done]
    report.points.extend(points)
    return points


def _ask_all(client: LLMClient, points: list[tuple[SweepPoint, Any, Model | None]],
             requests: list[Request], pending: set[int], order_seed: int, report: SweepReport,
             total: int, records: SweepRecords, *, tol: float, missing: str, concurrency: int,
             progress: Progress | None, on_answer: Any, **params: Any) -> None:
    """Send a batch's pending requests in the fair order (over all its requests: a resumed
    sweep's answers keep their positions) and file and record the answers with their points."""
    from formalize.evaluation.families import FAMILIES

    order = fair_order([(k, v) for k, v in requests], order_seed)
    base = sum(len(p.answers) for p in report.points)
    n_complete = len(report.points)  # an earlier batch's instances are all answered
    for point, _, _ in points:
        report.points.append(point)
    positions = [pos for pos in range(len(order)) if order[pos] in pending]
    numbers = _request_numbers(points, requests, order, positions, base, records)
    outstanding = dict.fromkeys(range(len(points)), 0)
    for r in pending:
        outstanding[requests[r][0]] += 1
    if progress is not None:  # instances with nothing to ask (all answered before): first
        for k, (point, _, _) in enumerate(points):
            if outstanding[k] == 0:
                n_complete += 1
                progress(n_complete, total, point)
    else:
        n_complete += sum(n == 0 for n in outstanding.values())
    answered: dict[int, dict[str, DirectAnswer]] = {
        k: {a.variant: a for a in p.answers} for k, (p, _, _) in enumerate(points)}
    variants = report.variants

    def run(pos: int) -> tuple[int, str, DirectAnswer]:
        k, v = requests[order[pos]]
        point, inst, m = points[k]
        fam = FAMILIES[point.family]
        ans = ask_direct(client, v, inst.text, m, point.truth, tol=tol, missing=missing,
                         usage=report.usage, procedure=fam.trace if v == "trace" else None,
                         model_doc=inst.model if v == "trace" else None, **params)
        ans.order = numbers[pos]
        return k, v, ans

    def file(k: int, v: str, ans: DirectAnswer, done: int) -> None:
        nonlocal n_complete
        point = points[k][0]
        records.write_answer(point, ans)
        answered[k][v] = ans
        point.answers = [answered[k][x] for x in variants if x in answered[k]]
        if on_answer is not None:
            on_answer(point, ans, done, len(positions))
        outstanding[k] -= 1
        if outstanding[k] == 0:
            n_complete += 1
            if progress is not None:
                progress(n_complete, total, point)

    if concurrency <= 1:
        for n, pos in enumerate(positions, start=1):
            file(*run(pos), n)
    else:
        _ask_threaded(run, file, positions, concurrency)


def _request_numbers(points: list[tuple[SweepPoint, Any, Model | None]],
                     requests: list[Request], order: list[int], positions: list[int],
                     base: int, records: SweepRecords) -> dict[int, int]:
    """The order numbers of the requests to ask (by position in the batch's fair order): their
    positions (``base + pos + 1``, as an uninterrupted sweep numbers them) when the recorded
    answers of the batch hold theirs and none is taken; else (sizes or seeds added, another
    order seed or executor before) numbers after every one recorded, in the fair order."""
    where = {order[pos]: pos for pos in range(len(order))}
    index = {(k, v): r for r, (k, v) in enumerate(requests)}
    same = all(a.order == base + where[index[k, a.variant]] + 1
               for k, (p, _, _) in enumerate(points) for a in p.answers)
    numbers = {pos: base + pos + 1 for pos in positions}
    if same and records.orders.isdisjoint(numbers.values()):
        records.orders.update(numbers.values())
        return numbers
    return dict(zip(positions, records.next_orders(len(positions))))


def _ask_threaded(run: Callable[[int], tuple[int, str, DirectAnswer]],
                  file: Callable[[int, str, DirectAnswer, int], None], positions: list[int],
                  concurrency: int) -> None:
    """Ask from `concurrency` threads, filing (recording) each answer as soon as it is in, in
    this thread. On a failure (a provider error, Ctrl-C) no request is started any more, the
    answers still in flight are filed as they come in (they are paid for; after Ctrl-C stderr
    says how many), then the first failure is raised; a second Ctrl-C leaves at once."""
    import sys
    from concurrent.futures import FIRST_COMPLETED, wait

    ex = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sweep-ask")
    left = {ex.submit(run, pos) for pos in positions}
    failure: BaseException | None = None

    def stop(exc: BaseException) -> None:
        nonlocal failure
        if failure is not None:  # a second failure (a second Ctrl-C): leave now
            raise exc
        failure = exc
        for f in left:
            f.cancel()
        running = sum(f.running() for f in left)
        if isinstance(exc, KeyboardInterrupt) and running:
            sys.stderr.write(f"interrupted: waiting for the {running} answer(s) in flight, to "
                             "record them (Ctrl-C again to leave without them)\n")

    n = 0
    try:
        while left:
            try:
                done, left = wait(left, return_when=FIRST_COMPLETED)
            except BaseException as exc:  # Ctrl-C while waiting
                stop(exc)
                continue
            for f in done:
                if f.cancelled():
                    continue
                if f.exception() is not None:
                    if failure is None:
                        stop(f.exception())  # type: ignore[arg-type]
                    continue
                n += 1
                try:
                    file(*f.result(), n)
                except BaseException as err:  # a callback's Ctrl-C: stop, keep filing
                    stop(err)
    finally:
        ex.shutdown(wait=failure is None, cancel_futures=True)
    if failure is not None:
        raise failure
