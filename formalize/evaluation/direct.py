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
    (variants of one instance are independent calls, never back to back).

    Each step draws the next instance, weighted by its requests left, among those that leave
    the rest arrangeable (no count above half of what is left), else among all but the last
    one drawn. O(n log n): a sweep of many thousand instances is ordered at once (the draws
    are those of the plain O(n^3) rule, kept as the test's reference)."""
    rng = random.Random(f"formalize.compare.order:{seed}")
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for k, (inst, _variant) in enumerate(requests):
        groups[inst].append(k)
    for idx in groups.values():
        rng.shuffle(idx)
    keys = list(groups)
    rng.shuffle(keys)
    where = {g: i for i, g in enumerate(keys)}
    weights = _Fenwick([len(groups[g]) for g in keys])
    by_count: dict[int, set[Hashable]] = defaultdict(set)  # requests left -> instances
    for g in keys:
        by_count[len(groups[g])].add(g)
    order: list[int] = []
    last: Hashable = _NONE
    while len(order) < len(requests):
        rest = len(requests) - len(order) - 1
        pick = _fair_pick(rng, keys, groups, where, weights, by_count, last, rest)
        n = len(groups[pick])
        by_count[n].discard(pick)
        by_count[n - 1].add(pick)
        weights.add(where[pick], -1)
        order.append(groups[pick].pop())
        last = pick
    return order


_NONE: Hashable = object()  # no instance drawn yet


def _fair_pick(rng: random.Random, keys: list[Hashable], groups: dict[Hashable, list[int]],
               where: dict[Hashable, int], weights: _Fenwick,
               by_count: dict[int, set[Hashable]], last: Hashable, rest: int) -> Hashable:
    """One draw of :func:`fair_order` (one ``rng.choices`` over the eligible instances in
    `keys` order, weighted by requests left): the eligible are all instances left but `last`,
    unless one instance holds more than half of what is left — then it alone (when taking it
    leaves the rest arrangeable), so the rest can still be spread."""
    counts = sorted((c for c, gs in by_count.items() if c > 0 and gs), reverse=True)
    top = counts[0]
    last_left = last is not _NONE and len(groups[last]) > 0
    if len(by_count[top]) == 1 and top > (rest + 1) // 2:
        (g,) = by_count[top]
        second = counts[1] if len(counts) > 1 else 0
        if g != last and second <= (rest + 1) // 2 and top - 1 <= rest // 2:
            rng.random()  # rng.choices over one instance
            return g
    if not last_left:  # every instance left is eligible
        return _weighted(rng, keys, weights, float(weights.total))
    i, n_last = where[last], len(groups[last])
    if weights.total == n_last:  # only `last` is left: it again
        rng.random()
        return last
    weights.add(i, -n_last)  # all but `last`
    try:
        return _weighted(rng, keys, weights, float(weights.total))
    finally:
        weights.add(i, n_last)


def _weighted(rng: random.Random, keys: list[Hashable], weights: _Fenwick,
              total: float) -> Hashable:
    """``rng.choices(eligible, weights)`` with the eligible's weights in `weights` (0 for the
    others): the first whose running total exceeds ``random() * total``."""
    x = rng.random() * total
    i = weights.first_above(x)
    if i is None:  # x rounded up to the total: choices takes the last eligible
        i = max(k for k in range(len(keys)) if weights.value(k) > 0)
    return keys[i]


class _Fenwick:
    """Prefix sums of integer weights with updates and a search, each O(log n)."""

    def __init__(self, values: list[int]) -> None:
        self.n = len(values)
        self.tree = [0] * (self.n + 1)
        self.values = list(values)
        self.total = 0
        for i, v in enumerate(values):
            self._bump(i, v)

    def _bump(self, i: int, delta: int) -> None:
        self.total += delta
        i += 1
        while i <= self.n:
            self.tree[i] += delta
            i += i & -i

    def add(self, i: int, delta: int) -> None:
        self.values[i] += delta
        self._bump(i, delta)

    def value(self, i: int) -> int:
        return self.values[i]

    def first_above(self, x: float) -> int | None:
        """The first index whose prefix sum (itself included) exceeds `x`, None if none."""
        pos, acc = 0, 0
        step = 1 << self.n.bit_length()
        while step:
            nxt = pos + step
            if nxt <= self.n and acc + self.tree[nxt] <= x:
                pos, acc = nxt, acc + self.tree[nxt]
            step >>= 1
        return pos if pos < self.n else None
