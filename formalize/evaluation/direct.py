"""Asking for direct answers: the prompts (values, objective, trace), one call per request in a
fresh conversation, the fair (shuffled) order of a sweep's requests, and the client warm-up
that keeps start-up out of the first answer's time."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

from formalize.evaluation.fmt import num as _fmt
from formalize.evaluation.truth import GroundTruth
from formalize.evaluation.verdicts import (
    VARIANTS,
    DirectAnswer,
    score_objective,
    score_trace,
    score_values,
)
from formalize.llm.client import LLMClient, LLMResponse, Usage, make_client
from solvers import Model

__all__ = ["ask_direct", "direct_prompt", "fair_order", "make_client", "warm_client"]

# --------------------------------------------------------------------------- prompts


_SYSTEM = ("You are an expert in operations research and mathematics. Solve the problem yourself "
           "by careful step-by-step reasoning and calculation. Do not write or run code, and do "
           "not use a solver or any other tool.")

_VALUES = """Solve this optimization problem.

{text}{data}

Report your solution with exactly these decision variables (names and index elements as given):
{variables}

Index sets (elements in order):
{sets}

Work step by step. Finish your answer with one JSON object in a ```json block:
{example}
Give every variable instance a number (one nesting level per index position, keys are the
elements), and "objective" the objective value of your solution ({sense}). If the problem has no
feasible solution, answer {{"status": "infeasible"}} (or "unbounded") instead."""

_OBJECTIVE = """Solve this optimization problem.

{text}{data}

Work step by step. Finish your answer with one JSON object in a ```json block:
{{"objective": <the optimal objective value, a number>}}
If the problem has no feasible solution, answer {{"status": "infeasible"}} (or "unbounded")."""


_TRACE = """Solve this optimization problem by running the procedure below by hand, exactly as
stated, and report every intermediate state.

{text}

{instructions}

Work through every step; do not skip any and do not use another method."""


def _elements_text(elements: list, limit: int = 100_000) -> str:
    return json.dumps([list(e) if isinstance(e, tuple) else e for e in elements][:limit])


def _variables_text(model: Model) -> tuple[str, str, str]:
    """(variables list, sets list, answer example) for the values prompt."""
    from solvers.checker import Evaluator, variable_instances

    ev = Evaluator(model)
    insts: dict[str, list[Any]] = {name: [] for name in model.variables}
    for vi in variable_instances(model, ev):
        insts[vi.name].append(vi)
    lines, used = [], []
    for name, spec in model.variables.items():
        sets = ev.var_sets[name]
        letters = [s[:1].lower() or "i" for s in sets]
        letters = [f"{c}{k}" if letters.count(c) > 1 else c for k, c in enumerate(letters)]
        head = f"{name}[{', '.join(letters)}] for " + ", ".join(
            f"{c} in {s}" for c, s in zip(letters, sets)) if sets else f"{name} (a single number)"
        dom = {"binary": "binary (0 or 1)", "integer": "integer"}.get(spec.domain, "real")
        bounds = []
        if spec.domain != "binary":
            lbs = {vi.lb for vi in insts[name]}
            ubs = {vi.ub for vi in insts[name]}
            if len(lbs) == 1 and None not in lbs:
                bounds.append(f">= {_fmt(lbs.pop())}")
            if len(ubs) == 1 and None not in ubs:
                bounds.append(f"<= {_fmt(ubs.pop())}")
        desc = f" — {spec.description}" if spec.description else ""
        lines.append(f"- {head}: {dom}{(', ' + ' and '.join(bounds)) if bounds else ''}{desc}")
        used += [s for s in sets if s not in used]
    set_lines = []
    for s in used:
        sd = ev.inst.sets[s]
        tup = f" (each element is a tuple of {sd.dim})" if sd.dim > 1 else ""
        set_lines.append(f"- {s} = {_elements_text(sd.elements)}{tup}")
    example: dict[str, Any] = {}
    for name in model.variables:
        sets = ev.var_sets[name]
        node: Any = "<number>"
        for s in reversed(sets):
            sd = ev.inst.sets[s]
            for j in reversed(range(sd.dim)):
                first = sd.elements[0] if sd.elements else "?"
                part = first[j] if sd.dim > 1 else first
                node = {str(part): node, "...": "..."}
        example[name] = node
    ex = json.dumps({"values": example, "objective": "<number>"})
    ex = ex.replace('"<number>"', "<number>").replace(', "...": "..."', ", ...")
    return "\n".join(lines) or "(none)", "\n".join(set_lines) or "(none)", ex


def _data_text(data: Sequence[str | Path]) -> str:
    parts = []
    for p in map(Path, data):
        parts.append(f"\n\nData file {p.name}:\n{p.read_text(encoding='utf-8').strip()}")
    return "".join(parts)


def direct_prompt(variant: str, text: str, model: Model | None = None,
                  data: Sequence[str | Path] = (), *, procedure: str | None = None,
                  model_doc: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """The messages of one direct (no tools) request, a fresh conversation: variant "values"
    (needs the verified model), "objective", or "trace" (needs `procedure` and the family's
    model document `model_doc`)."""
    if variant == "values":
        if model is None:
            raise ValueError("the 'values' variant needs the verified model's variables")
        variables, sets, example = _variables_text(model)
        user = _VALUES.format(text=text.strip(), data=_data_text(data), variables=variables,
                              sets=sets, example=example,
                              sense={"minimize": "minimized", "maximize": "maximized"}.get(
                                  model.sense, "any feasible point"))
    elif variant == "objective":
        user = _OBJECTIVE.format(text=text.strip(), data=_data_text(data))
    elif variant == "trace":
        if procedure is None or model_doc is None:
            raise ValueError("the 'trace' variant needs a procedure and the family's model "
                             "(families with one: see `formalize compare --help`)")
        from formalize.evaluation.traces import procedure as get_procedure

        user = _TRACE.format(text=text.strip() + _data_text(data),
                             instructions=get_procedure(procedure).instructions(model_doc))
    else:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


# --------------------------------------------------------------------------- asking


def warm_client(client: LLMClient) -> float:
    """Seconds of the client's one-time start-up, done now (0 when it has no such step)."""
    warm = getattr(client, "warm", None)
    return float(warm()) if callable(warm) else 0.0


def ask_direct(client: LLMClient, variant: str, text: str, model: Model, gt: GroundTruth, *,
               data: Sequence[str | Path] = (), tol: float = 1e-6, missing: str = "zero",
               sample: int = 0, usage: Usage | None = None, procedure: str | None = None,
               model_doc: dict[str, Any] | None = None, **params: Any) -> DirectAnswer:
    """Ask the LLM for one direct answer (no tools, no response schema: it reasons in prose)
    and score it. `seconds` is the call's latency (the recorded one for a cache hit), not the
    scoring; `output_tokens` what the provider reports."""
    msgs = direct_prompt(variant, text, model, data, procedure=procedure, model_doc=model_doc)
    resp: LLMResponse = client.complete(msgs, sample=sample, **params)
    if usage is not None:
        usage.add(resp)
    if variant == "values":
        ans = score_values(resp.text, model, gt, tol=tol, missing=missing)
    elif variant == "trace":
        assert procedure is not None and model_doc is not None  # checked by direct_prompt
        ans = score_trace(resp.text, procedure, model_doc, gt, tol=tol)
    else:
        ans = score_objective(resp.text, gt, tol=tol)
    ans.tokens, ans.cost = resp.total_tokens, resp.cost
    ans.output_tokens, ans.prompt_tokens = resp.completion_tokens, resp.prompt_tokens
    ans.cached = resp.cached
    recorded = getattr(resp, "recorded_latency_s", None)
    ans.seconds = (recorded or 0.0) if resp.cached else resp.latency_s
    return ans


# --------------------------------------------------------------------------- fair order


def fair_order(requests: Sequence[tuple[Hashable, str]], seed: int = 0) -> list[int]:
    """A seeded shuffled order of (instance, variant) requests: indices into `requests`, with no
    two requests of the same instance next to each other wherever an arrangement allows it
    (variants of one instance are independent calls, never back to back)."""
    rng = random.Random(f"formalize.compare.order:{seed}")
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for k, (inst, _variant) in enumerate(requests):
        groups[inst].append(k)
    for idx in groups.values():
        rng.shuffle(idx)
    keys = list(groups)
    rng.shuffle(keys)
    order: list[int] = []
    last: Hashable | None = object()
    while len(order) < len(requests):
        rest = len(requests) - len(order) - 1
        cand = [g for g in keys if groups[g] and g != last]
        good = [g for g in cand if _arrangeable(groups, keys, g, rest)] or cand or \
            [g for g in keys if groups[g]]
        pick = rng.choices(good, weights=[len(groups[g]) for g in good])[0]
        order.append(groups[pick].pop())
        last = pick
    return order


def _arrangeable(groups: dict[Hashable, list[int]], keys: list[Hashable], g: Hashable,
                 rest: int) -> bool:
    """After taking one request of `g`, can the `rest` be ordered with no two of one instance
    adjacent and not starting with `g`? (every count <= ceil(rest / 2); g's <= floor(rest / 2))"""
    return all(len(groups[h]) - (h == g) <= (rest + (h != g)) // 2 for h in keys if groups[h])
