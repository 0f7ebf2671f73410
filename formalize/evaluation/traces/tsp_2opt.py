"""Nearest neighbour then best-improvement 2-opt on a symmetric TSP, run by hand and checked step
by step.

Nearest neighbour from town 1: go to the nearest town not yet visited (ties to the smaller
number) until all are visited. 2-opt: a move removes two roads of the tour that do not share a
town and reconnects the two paths the other way (reversing one of them); each move must be one
that shortens the tour the most (any of equal gain), until no move shortens it.

Steps: each nearest-neighbour choice (n - 1 of them: the town and its distance), the
nearest-neighbour tour's length, each 2-opt move (a real 2-opt move of the answer's previous
tour, shortening it, by the largest gain, with the right new length), and the stop (no
shortening move left).
"""

from __future__ import annotations

import itertools
from typing import Any

from formalize.evaluation.traces.base import Faults, TraceCheck, TraceUnavailable, number, show

NAME = "nn-2opt"
TITLE = "nearest neighbour + best-improvement 2-opt"
KEYS = ("nearest_neighbour", "two_opt")
MAX_MOVES = 500


def data(model: dict[str, Any]) -> list[list[int]]:
    """The distance matrix (0-based) of a tsp family model (params dist over Roads)."""
    try:
        lo, hi = model["sets"]["Towns"]["range"]
        n = hi - lo + 1
        dist = [[0] * n for _ in range(n)]
        for i, j, d in model["params"]["dist"]["values"]:
            dist[i - lo][j - lo] = int(d)
    except (KeyError, TypeError, ValueError) as exc:
        raise TraceUnavailable(f"{NAME}: not a tsp family model ({exc})") from None
    return dist


def length(tour: list[int], dist: list[list[int]]) -> int:
    """Closed tour length (0-based towns)."""
    return sum(dist[tour[k]][tour[(k + 1) % len(tour)]] for k in range(len(tour)))


def nearest_neighbour(dist: list[list[int]]) -> list[int]:
    """The nearest-neighbour tour from town 0 (ties to the smaller index)."""
    n = len(dist)
    tour, left = [0], set(range(1, n))
    while left:
        here = tour[-1]
        nxt = min(left, key=lambda t: (dist[here][t], t))
        tour.append(nxt)
        left.remove(nxt)
    return tour


def edges(tour: list[int]) -> set[frozenset[int]]:
    return {frozenset((tour[k], tour[(k + 1) % len(tour)])) for k in range(len(tour))}


def moves(tour: list[int], dist: list[list[int]]) -> list[tuple[int, int, int]]:
    """Every 2-opt move as (gain, i, j): reverse tour[i+1..j] (edges (t_i, t_i+1), (t_j, t_j+1)
    replaced by (t_i, t_j), (t_i+1, t_j+1))."""
    n = len(tour)
    out = []
    for i, j in itertools.combinations(range(n), 2):
        if j - i < 2 or (i == 0 and j == n - 1):
            continue
        a, b, c, d = tour[i], tour[i + 1], tour[j], tour[(j + 1) % n]
        out.append((dist[a][b] + dist[c][d] - dist[a][c] - dist[b][d], i, j))
    return out


def best_gain(tour: list[int], dist: list[list[int]]) -> int:
    return max((g for g, _, _ in moves(tour, dist)), default=0)


def run(dist: list[list[int]]) -> tuple[list[int], list[list[int]]]:
    """(nearest-neighbour tour, tours after each best-improvement 2-opt move; ties to the
    smallest (i, j))."""
    tour = nearest_neighbour(dist)
    start, after = tour, []
    for _ in range(MAX_MOVES):
        cand = [m for m in moves(tour, dist) if m[0] > 0]
        if not cand:
            break
        g, i, j = max(cand, key=lambda m: (m[0], -m[1], -m[2]))
        tour = tour[: i + 1] + tour[i + 1: j + 1][::-1] + tour[j + 1:]
        after.append(tour)
    return start, after


def available(model: dict[str, Any]) -> None:
    n = len(data(model))
    if n < 4:
        raise TraceUnavailable(f"{NAME}: needs at least 4 towns (2-opt has no move), got {n}")


def instructions(model: dict[str, Any]) -> str:
    n = len(data(model))
    return f"""Procedure (nearest neighbour, then 2-opt), with the distances of the table:
1. Nearest neighbour: start at town 1; repeatedly go to the nearest town not yet visited (if
   several are equally near, the one with the smaller number) until all {n} towns are visited;
   then return to town 1.
2. 2-opt, best improvement: a move removes two roads (a, b) and (c, d) of the tour that share no
   town and adds (a, c) and (b, d), which reverses the part of the tour between them; its gain
   is d(a,b) + d(c,d) - d(a,c) - d(b,d). At each step apply a move with the largest positive
   gain. Stop when no move has a positive gain.
Write tours as lists of town numbers starting with 1, without repeating 1 at the end.

Report every step as one JSON object in a ```json block:
{{"nearest_neighbour": {{"steps": [{{"from": 1, "to": <town>, "distance": <km>}}, ...],
                        "tour": [1, ...], "length": <km>}},
 "two_opt": [{{"remove": [[a, b], [c, d]], "add": [[a, c], [b, d]], "gain": <km>,
              "tour": [1, ...], "length": <km>}}, ...],
 "tour": [1, ...], "length": <final length, km>}}"""


def reference(model: dict[str, Any]) -> dict[str, Any]:
    dist = data(model)
    start, after = run(dist)
    steps = [{"from": a + 1, "to": b + 1, "distance": dist[a][b]}
             for a, b in zip(start, start[1:], strict=False)]
    two, prev = [], start
    for t in after:
        gone = sorted(sorted(x + 1 for x in e) for e in edges(prev) - edges(t))
        new = sorted(sorted(x + 1 for x in e) for e in edges(t) - edges(prev))
        two.append({"remove": gone, "add": new, "gain": length(prev, dist) - length(t, dist),
                    "tour": [x + 1 for x in t], "length": length(t, dist)})
        prev = t
    final = after[-1] if after else start
    return {"nearest_neighbour": {"steps": steps, "tour": [x + 1 for x in start],
                                  "length": length(start, dist)},
            "two_opt": two, "tour": [x + 1 for x in final], "length": length(final, dist)}


def _tour(v: Any, n: int) -> tuple[list[int] | None, str]:
    """A 0-based tour from the answer (1-based list starting at 1), or None and why not."""
    if not isinstance(v, list):
        return None, "no tour list"
    try:
        t = [int(x) - 1 for x in v]
    except (TypeError, ValueError):
        return None, f"not a list of town numbers: {str(v)[:60]}"
    if len(t) == n + 1 and t[-1] == t[0]:
        t = t[:-1]
    if sorted(t) != list(range(n)):
        return None, f"not a tour of towns 1..{n} each once: {[x + 1 for x in t][:30]}"
    if t[0] != 0:
        return None, "does not start at town 1"
    return t, ""


def check(model: dict[str, Any], doc: dict[str, Any]) -> TraceCheck:
    """Check each choice, tour length and 2-opt move from the answer's own previous state."""
    dist = data(model)
    n = len(dist)
    ref_start, ref_after = run(dist)
    faults = Faults()
    right, step = 0, 0
    nn = doc.get("nearest_neighbour") if isinstance(doc.get("nearest_neighbour"), dict) else {}
    steps = nn.get("steps") if isinstance(nn.get("steps"), list) else []
    visited, here = [0], 0
    for k in range(n - 1):
        step += 1
        left = [t for t in range(n) if t not in visited]
        want = min(left, key=lambda t: (dist[here][t], t))
        s = steps[k] if k < len(steps) and isinstance(steps[k], dict) else None
        if s is None:
            faults.add(step, f"nearest neighbour {k + 1}", "missing")
            visited.append(want)
            here = want
            continue
        got = number(s.get("to"))
        to = int(got) - 1 if got is not None and got.denominator == 1 else None
        problems = []
        if to != want:
            problems.append(f"goes to {s.get('to')!r}, expected town {want + 1} (distance "
                            f"{dist[here][want]}, the nearest unvisited from town {here + 1})")
        if to is None or to not in left:
            to = want
        d = number(s.get("distance"))
        if d != dist[here][to]:
            problems.append(f"distance {show(d)}, the table says {dist[here][to]} from town "
                            f"{here + 1} to town {to + 1}")
        if problems:
            faults.add(step, f"nearest neighbour {k + 1}", "; ".join(problems))
        else:
            right += 1
        visited.append(to)
        here = to
    # the nearest-neighbour tour and its length
    step += 1
    tour, why = _tour(nn.get("tour"), n)
    if tour is None:
        faults.add(step, "nearest-neighbour tour", why)
        tour = visited
    else:
        claimed = number(nn.get("length"))
        if tour != visited:
            faults.add(step, "nearest-neighbour tour",
                       f"{[x + 1 for x in tour]} is not the tour of its steps "
                       f"{[x + 1 for x in visited]}")
        elif claimed != length(tour, dist):
            faults.add(step, "nearest-neighbour tour",
                       f"length {show(claimed)}, the tour's length is {length(tour, dist)}")
        else:
            right += 1
    # 2-opt moves
    two = doc.get("two_opt") if isinstance(doc.get("two_opt"), list) else []
    n_moves = max(len(two), len(ref_after))
    stopped_early = False
    for k in range(n_moves):
        step += 1
        label = f"2-opt move {k + 1}"
        gain_best = best_gain(tour, dist)
        if k >= len(two):
            if gain_best > 0:
                stopped_early = True
                faults.add(step, label, f"missing: the answer stops, but a move with gain "
                                        f"{gain_best} is left")
            break
        mv = two[k] if isinstance(two[k], dict) else {}
        new, why = _tour(mv.get("tour"), n)
        problems = []
        if gain_best <= 0:
            problems.append("the tour was already 2-optimal: no move should follow")
        if new is None:
            problems.append(f"tour: {why}")
        else:
            gone, added = edges(tour) - edges(new), edges(new) - edges(tour)
            if len(gone) != 2 or len(added) != 2:
                problems.append(f"not one 2-opt move of the previous tour ({len(gone)} roads "
                                f"removed, {len(added)} added)")
            else:
                gain = length(tour, dist) - length(new, dist)
                if gain <= 0:
                    problems.append(f"does not shorten the tour (gain {gain})")
                elif gain < gain_best:
                    problems.append(f"gain {gain} is not the largest; a move with gain "
                                    f"{gain_best} exists")
            claimed = number(mv.get("length"))
            if claimed != length(new, dist):
                problems.append(f"length {show(claimed)}, the tour's length is "
                                f"{length(new, dist)}")
        if problems:
            faults.add(step, label, "; ".join(problems))
        else:
            right += 1
        if new is not None:
            tour = new
    # the stop (the last step; steps of a missing tail are not right)
    step = total = (n - 1) + 1 + n_moves + 1
    left_gain = best_gain(tour, dist)
    if left_gain <= 0:
        right += 1
    elif not stopped_early:
        faults.add(step, "stop", f"stops although a move with gain {left_gain} is left")
    final, _ = _tour(doc.get("tour"), n)
    claimed = number(doc.get("length"))
    final_ok = (final is not None and claimed == length(final, dist)
                and best_gain(final, dist) <= 0)
    if final_ok:
        detail = ""
    elif final is None:
        detail = "no valid final tour"
    elif claimed != length(final, dist):
        detail = f"final length {show(claimed)}, the final tour's length is {length(final, dist)}"
    else:
        detail = f"the final tour is not 2-optimal (a move with gain {best_gain(final, dist)})"
    return TraceCheck(NAME, total, right, faults.items, faults.count, final_ok, detail,
                      float(claimed) if claimed is not None else None)
