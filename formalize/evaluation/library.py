"""The verified problem library (``problems/datasets``): its records, the label corrections, and
the label audit of a reference run.

Each problem folder ``<benchmark>/<safe_id>/`` holds ``problem.txt``, ``meta.json`` and, unless
the model format cannot express the problem, ``model.json``. ``meta.json`` carries the dataset's
label(s) and the library's verdict::

    "library": {"status": "agree" | "disagree" | "cannot-express" | "incomplete-text",
                "objective": <our optimum, or null when our model has none>,
                "outcome": "optimal" | "infeasible" | "unbounded",   (optional; default by objective)
                "reason": "why (required unless agree)"}

``cannot-express``: the model format lacks a construct the problem needs (the reason names it);
``incomplete-text``: the text omits data the problem needs (the reason names the missing data) —
neither has a model.json. Agreement is judged by :func:`formalize.evaluation.scoring.is_correct`,
so where the text asks for its answer rounded ("rounded to the nearest dollar") our optimum so
rounded agrees with a label so rounded. A ``disagree`` has its evidence in ``corrections.jsonl`` (one JSON object a line: ``id``,
``path``, ``label``, ``our_optimum``, ``our_status``, ``solution``, ``label_versions``, ``kind``
from :data:`CORRECTION_KINDS`, ``reason``). :func:`audit` turns the records of a
``--model reference`` run into the audit (per dataset: agree / disagree / cannot express), and
:func:`render_docs` writes the tables of the READMEs and CORRECTIONS.md from it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formalize.evaluation.scoring import (
    CANNOT_EXPRESS,
    DEFINITE,
    INCOMPLETE_TEXT,
    NO_REFERENCE,
    Rounding,
    is_correct,
)
from formalize.llm.config import ConfigError

REPO = Path(__file__).resolve().parents[2]
LIBRARY_DIR = REPO / "problems" / "datasets"

STATUSES = ("agree", "disagree", "cannot-express", "incomplete-text")
NO_MODEL = ("cannot-express", "incomplete-text")  # the statuses of a folder without model.json
OUTCOMES = ("optimal", "infeasible", "unbounded")
CORRECTION_KINDS = {
    "not-optimal": "the label is the value of a feasible plan, but the text admits a better one",
    "not-attainable": "no plan that satisfies the text reaches the label (it beats a bound, or is "
                      "no possible value)",
    "integrality": "the label takes quantities as whole (or fractional) where the text does not",
    "misread": "the label's formulation misreads a sentence of the text (a constraint, a coefficient)",
    "objective-reading": "the label measures another objective than the one the text asks for",
    "data-typo": "a number of the text is garbled; the label was computed from another",
    "infeasible": "the text's data admit no solution, yet the label gives a value",
    "has-solution": "the label says there is no solution, yet the text's model has one",
    "unbounded": "the text sets no limit on the objective (our model is unbounded), yet the label "
                 "gives a value",
    "ambiguous": "the text admits several readings; the model takes the one its assumptions state",
}
CORRECTION_FIELDS = ("id", "path", "label", "our_optimum", "our_status", "solution", "label_versions",
                     "kind", "reason")
# audit verdicts beyond the three statuses
NOT_MODELLED = "not-modelled"  # drawn, no model and no verdict yet
UNEXPLAINED = "unexplained"  # a solver failure, or a disagreement no correction explains
VERDICTS = ("agree", "disagree", "cannot-express", "incomplete-text", NOT_MODELLED, UNEXPLAINED)
EXPLAINED = ("disagree", "cannot-express", "incomplete-text")  # listed with their reasons
AUDIT_MARK = ("<!-- library-audit:start (written by problems/datasets/audit.py) -->",
              "<!-- library-audit:end -->")
RESULTS_MARK = ("<!-- library-results:start (written by problems/datasets/audit.py) -->",
                "<!-- library-results:end -->")


# =============================================================================== records
def folders(root: Path = LIBRARY_DIR) -> list[Path]:
    """Every problem folder of the library (those with a meta.json), sorted."""
    return sorted(p.parent for p in root.glob("*/*/meta.json"))


def read_meta(folder: Path) -> dict[str, Any]:
    """A folder's meta.json."""
    return json.loads((folder / "meta.json").read_text(encoding="utf-8"))


def record_errors(meta: Mapping[str, Any], has_model: bool) -> list[str]:
    """What is wrong with a meta.json's ``library`` record (empty: nothing, or no record yet)."""
    rec = meta.get("library")
    if rec is None:
        return ["a model.json without a library record in meta.json"] if has_model else []
    if not isinstance(rec, dict):
        return ["library must be an object {status, objective, reason}"]
    errs = []
    extra = set(rec) - {"status", "objective", "outcome", "reason"}
    if extra:
        errs.append(f"library: unknown field(s) {', '.join(sorted(extra))}")
    status = rec.get("status")
    if status not in STATUSES:
        errs.append(f"library.status must be one of {', '.join(STATUSES)}, got {status!r}")
    if status != "agree" and not str(rec.get("reason") or "").strip():
        errs.append(f"library.reason is required for status {status!r}")
    obj = rec.get("objective")
    if obj is not None and (isinstance(obj, bool) or not isinstance(obj, (int, float))
                            or not math.isfinite(obj)):
        errs.append(f"library.objective must be a finite number or null, got {obj!r}")
    if rec.get("outcome", outcome_of(rec)) not in OUTCOMES:
        errs.append(f"library.outcome must be one of {', '.join(OUTCOMES)}")
    if status in NO_MODEL and has_model:
        errs.append(f"status {status}, but the folder has a model.json")
    if status in ("agree", "disagree") and not has_model:
        errs.append(f"status {status}, but the folder has no model.json")
    if status in ("agree", "disagree") and obj is None and outcome_of(rec) == "optimal":
        errs.append("library.objective is null: give our optimum, or outcome infeasible/unbounded")
    return errs


def outcome_of(rec: Mapping[str, Any]) -> str:
    """Our model's outcome as recorded (optimal when it has an objective, else infeasible)."""
    return str(rec.get("outcome") or ("optimal" if rec.get("objective") is not None else "infeasible"))


def load_corrections(root: Path = LIBRARY_DIR) -> dict[str, dict[str, Any]]:
    """``corrections.jsonl`` by dataset id; a malformed line is a ConfigError naming it."""
    path = root / "corrections.jsonl"
    out: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            c = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        missing = [k for k in CORRECTION_FIELDS if k not in c]
        if missing:
            raise ConfigError(f"{path}:{n}: the correction lacks {', '.join(missing)} "
                              f"(fields: {', '.join(CORRECTION_FIELDS)})")
        if c["kind"] not in CORRECTION_KINDS:
            raise ConfigError(f"{path}:{n}: kind {c['kind']!r} is not one of "
                              f"{', '.join(CORRECTION_KINDS)}")
        if c["our_status"] not in OUTCOMES:
            raise ConfigError(f"{path}:{n}: our_status {c['our_status']!r} is not one of "
                              f"{', '.join(OUTCOMES)}")
        if c["id"] in out:
            raise ConfigError(f"{path}:{n}: a second correction for {c['id']}")
        out[str(c["id"])] = c
    return out


def same_text(a: str, b: str) -> bool:
    """Equal up to white space: a correction of one version's text applies to another's."""
    return " ".join(a.split()) == " ".join(b.split())


def close(a: float | None, b: float | None, tol: float = 1e-6) -> bool:
    """Both None, or both numbers within ``max(tol * |b|, 1e-6)``."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(tol * abs(b), 1e-6)


# =============================================================================== the audit
@dataclass
class AuditEntry:
    """One problem's verdict: our model's outcome against the (original) label."""

    id: str
    dataset: str
    verdict: str
    ours: float | None
    outcome: str
    label: float | None
    label_status: str
    kind: str = ""
    reason: str = ""
    rounded: str = ""  # agreement after the rounding the text asks for: the text's words
    label_versions: dict[str, Any] = field(default_factory=dict)


@dataclass
class Audit:
    """The label audit of a reference run: per dataset agree / disagree / cannot express."""

    entries: list[AuditEntry]
    tolerance: float = 1e-6

    def counts(self) -> list[tuple[str, dict[str, int]]]:
        """(dataset, {verdict: n}) per dataset in order of appearance, then ``all``."""
        by: dict[str, dict[str, int]] = {}
        for e in self.entries:
            for key in (e.dataset, "all"):
                c = by.setdefault(key, dict.fromkeys(VERDICTS, 0))
                c[e.verdict] += 1
        rows = [(k, v) for k, v in by.items() if k != "all"]
        return sorted(rows) + ([("all", by["all"])] if by else [])

    def _show(self) -> list[str]:
        """The columns worth showing: the three statuses always, the others when they occur."""
        return [v for v in VERDICTS if v in STATUSES or any(e.verdict == v for e in self.entries)]

    def table_markdown(self) -> str:
        """The counts as a Markdown table."""
        cols = self._show()
        head = ["dataset", "problems", *(c.replace("-", " ") for c in cols)]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for ds, c in self.counts():
            cells = [f"**{ds}**" if ds == "all" else ds, str(sum(c.values())), *(str(c[v]) for v in cols)]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def details_markdown(self) -> str:
        """Every disagreement, cannot-express, incomplete-text and unexplained problem, with its
        reason."""
        lines = []
        for verdict in (*EXPLAINED, UNEXPLAINED):
            es = [e for e in self.entries if e.verdict == verdict]
            if not es:
                continue
            lines += ["", f"{verdict} ({len(es)}):", "", "| id | ours | label | kind | reason |",
                      "|---|---|---|---|---|"]
            lines += [f"| `{e.id}` | {fmt_outcome(e.ours, e.outcome)} | {fmt_label(e.label, e.label_status)} "
                      f"| {e.kind} | {_cell(e.reason)} |" for e in es]
        return "\n".join(lines) + ("\n" if lines else "")

    def to_markdown(self) -> str:
        """Title, counts and details (the ``.audit.md`` file of a run)."""
        return (f"Label audit — reference models against the labels (tolerance {self.tolerance:g})\n\n"
                + self.table_markdown() + self.details_markdown())

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table

        cols = self._show()
        t = Table(title="label audit — our reference models against the labels")
        t.add_column("dataset")
        t.add_column("problems", justify="right")
        for c in cols:
            t.add_column(c.replace("-", " "), justify="right")
        for ds, c in self.counts():
            t.add_row(ds, str(sum(c.values())), *(str(c[v]) for v in cols),
                      style="bold" if ds == "all" else None)
        parts: list[Any] = [t]
        shown = [e for e in self.entries if e.verdict in (*EXPLAINED, UNEXPLAINED)]
        if shown:
            d = Table(title="disagreements, problems the format cannot express, texts that lack "
                            "data, unexplained")
            for h in ("id", "verdict", "ours", "label", "kind", "reason"):
                d.add_column(h, overflow="fold")
            for e in shown:
                d.add_row(e.id, e.verdict, fmt_outcome(e.ours, e.outcome),
                          fmt_label(e.label, e.label_status), e.kind, _short(e.reason, 160))
            parts.append(d)
        return Group(*parts)


    def _repr_html_(self) -> str:
        """Jupyter: the counts per dataset, then every disagreement, cannot-express,
        incomplete-text and unexplained problem with its reason."""
        import html

        def row(cells: list[str], tag: str = "td", bold: bool = False) -> str:
            style = " style='font-weight:bold'" if bold else ""
            return (f"<tr{style}>" + "".join(f"<{tag} style='text-align:left'>{html.escape(c)}</{tag}>"
                                             for c in cells) + "</tr>")

        cols = self._show()
        out = (f"<p><b>Label audit</b> — reference models against the labels (tolerance "
               f"{self.tolerance:g})</p><table>"
               + row(["dataset", "problems", *(c.replace("-", " ") for c in cols)], "th")
               + "".join(row([ds, str(sum(c.values())), *(str(c[v]) for v in cols)], bold=ds == "all")
                         for ds, c in self.counts()) + "</table>")
        shown = [e for e in self.entries if e.verdict in (*EXPLAINED, UNEXPLAINED)]
        if shown:
            out += ("<table>" + row(["id", "verdict", "ours", "label", "kind", "reason"], "th")
                    + "".join(row([e.id, e.verdict, fmt_outcome(e.ours, e.outcome),
                                   fmt_label(e.label, e.label_status), e.kind, e.reason])
                              for e in shown) + "</table>")
        return out


def fmt_num(v: float | None) -> str:
    """A number in 6 significant digits (stable across platforms), integers as integers."""
    if v is None:
        return "–"
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def fmt_outcome(ours: float | None, outcome: str) -> str:
    """Our result: the optimum, or the outcome when there is none."""
    return fmt_num(ours) if outcome == "optimal" and ours is not None else outcome


def fmt_label(label: float | None, status: str) -> str:
    """A label: its value, or ``null (status)``."""
    return fmt_num(label) if label is not None else f"null ({status})"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _short(text: str, n: int) -> str:
    t = " ".join(str(text).split())
    return t if len(t) <= n else t[: n - 1] + "…"


def audit(records: Iterable[Mapping[str, Any]], tolerance: float = 1e-6, *,
          corrections: Mapping[str, Mapping[str, Any]] | None = None,
          metas: Mapping[str, Mapping[str, Any]] | None = None) -> Audit:
    """The audit of reference-run records (from :func:`formalize.evaluation.bench.read_results`).

    Each record is compared with its original label (``label_original`` when the run scored
    corrected labels), after the rounding the text asks of its answer (``answer_rounding``; such an
    agreement notes the text's words in ``rounded``). A disagreement is explained by the correction of the problem's library
    entry (``reference_id``), or — for another version of a library problem — by our model
    reproducing the library version's label; otherwise it is ``unexplained``."""
    corrections = load_corrections() if corrections is None else corrections
    metas = {} if metas is None else metas
    entries = []
    for r in records:
        label = r["label_original"] if "label_original" in r else r.get("label")
        lstat = str(r.get("label_status_original") or r.get("label_status") or "ok")
        status, ours = str(r.get("status")), r.get("objective")
        rounding = Rounding.of(r.get("answer_rounding"))
        ref = str(r.get("reference_id") or r.get("id"))
        meta = metas.get(ref, {})
        e = AuditEntry(id=str(r.get("id")), dataset=str(r.get("dataset") or "?"), verdict=UNEXPLAINED,
                       ours=ours, outcome=status, label=label, label_status=lstat,
                       label_versions=dict(meta.get("label_versions") or {}))
        if status in (CANNOT_EXPRESS, INCOMPLETE_TEXT):
            e.verdict, e.reason = status, str(r.get("note") or "")
        elif status == NO_REFERENCE:
            e.verdict = NOT_MODELLED
        elif status not in DEFINITE:
            e.reason = f"the reference model did not solve: {status}: {r.get('error') or ''}".strip()
        elif is_correct(label, lstat, status, ours, tolerance, rounding):
            e.verdict = "agree"
            if rounding is not None and not is_correct(label, lstat, status, ours, tolerance):
                e.rounded = rounding.words
                e.reason = (f"the text asks for the answer {rounding.words}: our optimum "
                            f"{fmt_num(ours)} so rounded is the label {fmt_label(label, lstat)}")
        else:
            c = corrections.get(ref)
            if c is not None and status == c["our_status"] and (
                    status != "optimal" or close(ours, c["our_optimum"], tolerance)):
                e.verdict, e.kind, e.reason = "disagree", str(c["kind"]), str(c["reason"])
            elif c is not None:
                e.reason = (f"stale correction: corrections.jsonl records {c['our_status']} "
                            f"{fmt_num(c['our_optimum'])}, the model now gives {status} {fmt_num(ours)}")
            elif ref != e.id and meta and is_correct(
                    _num(meta.get("answer")), str(meta.get("answer_status") or "ok"), status, ours, tolerance,
                    rounding):
                e.verdict, e.kind = "disagree", "other-version"
                e.reason = (f"our model reproduces the {meta.get('dataset')} label "
                            f"{fmt_label(_num(meta.get('answer')), str(meta.get('answer_status')))} "
                            f"of the same problem ({ref}); this version's label differs")
            else:
                e.reason = ("our model disagrees with the label and no correction is recorded "
                            "(problems/datasets/corrections.jsonl)")
        entries.append(e)
    return Audit(entries, tolerance)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def library_metas(root: Path = LIBRARY_DIR) -> dict[str, dict[str, Any]]:
    """meta.json of every library problem, by dataset id."""
    out = {}
    for f in folders(root):
        m = read_meta(f)
        out[str(m["id"])] = {**m, "_folder": f}
    return out


# =============================================================================== the docs
def _versions_cell(versions: Mapping[str, Any], own: str) -> str:
    vals = {k: v for k, v in versions.items()}
    if len({json.dumps(v) for v in vals.values()}) <= 1:
        return "all versions agree" if len(vals) > 1 else "one version"
    return "versions differ: " + ", ".join(
        f"{k.split('-', 1)[-1]} {fmt_num(v) if v is not None else 'null'}" for k, v in vals.items())


def results_markdown(a: Audit, metas: Mapping[str, Mapping[str, Any]], root: Path = LIBRARY_DIR) -> str:
    """The per-problem table of problems/datasets/README.md."""
    lines = ["| id | benchmark | label | ours | verdict | labels in other versions |",
             "|---|---|---|---|---|---|"]
    order = {m: i for i, m in enumerate(("nl4opt", "mamo_easylp", "mamo_complexlp", "nlp4lp",
                                         "industryor", "complexor", "optibench"))}
    rows = []
    for e in a.entries:
        m = metas.get(e.id, {})
        folder = m.get("_folder")
        rel = folder.relative_to(root).as_posix() if isinstance(folder, Path) else ""
        bench = str(m.get("benchmark") or e.dataset)
        verdict = {"disagree": f"**disagree** ({e.kind})", NOT_MODELLED: "not modelled yet",
                   "cannot-express": "cannot express", "incomplete-text": "incomplete text",
                   "agree": "agree (rounded as the text asks)" if e.rounded else "agree",
                   }.get(e.verdict, e.verdict)
        ours = "–" if e.verdict in (NOT_MODELLED, *NO_MODEL) else fmt_outcome(e.ours, e.outcome)
        # a model is written from the text alone: the labels of an unmodelled problem stay hidden
        label, versions = ((fmt_label(e.label, e.label_status),
                            _versions_cell(m.get("label_versions") or {}, e.dataset))
                           if e.verdict != NOT_MODELLED else ("(hidden)", "(hidden until modelled)"))
        rows.append((order.get(bench, 99), bench, e.id,
                     f"| [`{e.id}`]({rel}/) | {bench} | {label} | {ours} | {verdict} | {versions} |"))
    lines += [r[3] for r in sorted(rows)]
    return "\n".join(lines) + "\n"


def corrections_markdown(corrections: Mapping[str, Mapping[str, Any]]) -> str:
    """CORRECTIONS.md from corrections.jsonl."""
    out = ["# Corrections: where our model's optimum differs from the dataset label", "",
           "Written by `problems/datasets/audit.py` from `corrections.jsonl` (edit that file, then run "
           "the script). Each entry: dataset id, the label of the dataset we took the text from, our "
           "optimum with the solution values (variable names of our `model.json`; `\"i,j\"` keys index "
           "multi-index variables, unlisted entries are 0), the kind of disagreement and the evidence. "
           "The test checks each recorded solution with `solvers.check`. The models were not changed "
           "to match labels.", "", "Kinds:", ""]
    out += [f"- `{k}`: {v}" for k, v in CORRECTION_KINDS.items()]
    for c in corrections.values():
        ours = fmt_num(c["our_optimum"]) if c["our_status"] == "optimal" else c["our_status"]
        label = fmt_num(c["label"]) if c["label"] is not None else "null"
        out += ["", f"## `{c['id']}` — label {label}, ours {ours}", "",
                f"- folder: [`{c['path']}`]({c['path']}/)",
                f"- kind: `{c['kind']}`",
                f"- solution: `{json.dumps(c['solution'])}`",
                "- labels by version: " + ", ".join(
                    f"{k}: {fmt_num(v) if v is not None else 'null'}" for k, v in c["label_versions"].items()),
                f"- reason: {' '.join(str(c['reason']).split())}"]
    return "\n".join(out) + "\n"


def replace_marked(text: str, marks: tuple[str, str], body: str) -> str:
    """``text`` with the part between the two marker lines replaced by ``body``."""
    start, end = marks
    pat = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pat.search(text):
        raise ConfigError(f"marker {start!r} … {end!r} not found")
    return pat.sub(lambda _: f"{start}\n{body.rstrip()}\n{end}", text, count=1)


def render_docs(a: Audit, root: Path = LIBRARY_DIR) -> dict[Path, str]:
    """The new text of README.md (audit table), problems/datasets/README.md (results) and
    CORRECTIONS.md, from the audit of a whole-library reference run."""
    metas = library_metas(root)
    corrections = load_corrections(root)
    readme = root.parents[1] / "README.md"
    lib_readme = root / "README.md"
    return {
        readme: replace_marked(readme.read_text(encoding="utf-8"), AUDIT_MARK, a.table_markdown()),
        lib_readme: replace_marked(lib_readme.read_text(encoding="utf-8"), RESULTS_MARK,
                                   a.table_markdown() + "\n" + results_markdown(a, metas, root)),
        root / "CORRECTIONS.md": corrections_markdown(corrections),
    }
