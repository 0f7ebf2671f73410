"""The vote step: k independent formalizations cluster on their objective values."""

from __future__ import annotations

from collections.abc import Sequence

from formalize.program.results import Formalization, Vote


def cluster_objectives(values: Sequence[float | None], rel_tol: float = 1e-6) -> list[tuple[float, list[int]]]:
    """Group equal objective values (relative tolerance); largest group first, ties by first seen."""
    clusters: list[tuple[float, list[int]]] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        for c in clusters:
            if abs(c[0] - v) <= rel_tol * max(1.0, abs(c[0]), abs(v)):
                c[1].append(i)
                break
        else:
            clusters.append((v, [i]))
    clusters.sort(key=lambda c: (-len(c[1]), c[1][0]))
    return clusters


def vote_on(forms: Sequence[Formalization]) -> tuple[Vote, Formalization]:
    """Cluster the samples' objective values; the majority's first sample is the answer. When
    the optima differ, each cluster lists the assumptions its samples state (`Vote.readings`):
    differing optima often come from different readings of an ambiguous text.

    Confidence is the winning cluster's share of *all* samples (failed ones count against it).
    Without any objective (every sample failed or is infeasible/unbounded), the first verified
    sample that reached the solver is shown, else the first sample; confidence is then 0."""
    objs = [f.solution.objective if f.solution is not None and f.solution.ok else None for f in forms]
    clusters = cluster_objectives(objs)
    if clusters:
        winner: int | None = clusters[0][1][0]
        conf = len(clusters[0][1]) / len(forms)
        chosen = forms[clusters[0][1][0]]
    else:
        winner, conf = None, 0.0
        chosen = next((f for f in forms if f.ok and f.solution is not None), forms[0])
    readings: list[list[str]] = []
    if len(clusters) > 1:  # the optima differ: which stated readings gave which optimum
        for _, members in clusters:
            seen: dict[str, None] = {}
            for i in members:
                for a in getattr(forms[i], "assumptions", None) or []:
                    seen.setdefault(_normal(a), None)
            readings.append([_shown(forms, members, key) for key in seen])
    return Vote(objectives=objs, clusters=clusters, winner=winner, confidence=conf,
                readings=readings), chosen


def _normal(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".")


def _shown(forms: Sequence[Formalization], members: list[int], key: str) -> str:
    """An assumption as its first sample wrote it, with how many samples of the cluster state it."""
    first, n = "", 0
    for i in members:
        hits = [a for a in (forms[i].assumptions or []) if _normal(a) == key]
        if hits:
            first = first or hits[0]
            n += 1
    return first if n == len(members) else f"{first} ({n} of {len(members)} samples)"


__all__ = ["cluster_objectives", "vote_on"]
