"""Idle members against "each … must": a check of a solved model against its problem text.

"Each truck must depart from its depot" says every truck is active. A model that writes the
departure as `<= 1` is valid, solves, and may leave trucks idle (the recorded run: 3 of 6 trucks
idle, optimum 58.45 instead of 68.92). This check reads the text's "each / every / all <noun>
must <activity>" statements, finds the model set the noun names, and reports the members of that
set for which every variable indexed by the set is zero in the solution (`idle-member`, advice).

Only activities that a member cannot do while idle count (depart, visit, serve, be assigned,
process, work, take …); limits ("must not exceed", "at most") and conditional subjects ("each
truck that is used", "each open facility") are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from formalize.verify.text_numbers import quote
from solvers.diagnostics import Diagnostic, Location
from solvers.model import Model

TOL = 1e-6

_QUANT = re.compile(r"\b(?:each|every|all)\b", re.IGNORECASE)
_MODAL = re.compile(
    r"\b(?:must|has\s+to|have\s+to|needs?\s+to|is\s+required\s+to|are\s+required\s+to|shall|is\s+to|are\s+to)\s+"
    r"(?P<neg>not\s+|never\s+|only\s+)?(?:be\s+)?(?P<verb>[a-z]+)", re.IGNORECASE)
_ACTIVITY = frozenset(["depart", "departs", "leave", "leaves", "start", "starts", "visit", "visited", "serve", "served", "assign", "assigned", "cover", "covered", "process", "processed", "schedule", "scheduled", "complete", "completed", "deliver", "delivered", "dispatch", "dispatched", "send", "sent", "receive", "receives", "attend", "attended", "perform", "performed", "work", "works", "operate", "operated", "staff", "staffed", "travel", "travels", "go", "goes", "return", "returns", "take", "takes", "drive", "driven", "fly", "flown", "run", "used", "use", "include", "included", "allocate", "allocated", "match", "matched", "pair", "paired", "place", "placed", "pick", "picked", "load", "loaded", "ship", "shipped", "transport", "transported", "sell", "sold", "produce", "produced", "make", "made", "teach", "taught", "play", "played", "carry", "carried", "handle", "handled", "get"])
# a subject that is conditional or a limit in the same clause: nothing to check
_CONDITIONAL = re.compile(r"\b(?:that|which|who|used|opened|open|active|selected|chosen|if|when|whose|"
                          r"built|hired|rented|purchased|bought)\b", re.IGNORECASE)
_LIMIT = re.compile(r"\b(?:at\s+most|no\s+more\s+than|not\s+exceed|cannot|can\s*not|up\s+to|within|"
                    r"less\s+than|maximum|limit|capacity|only\s+if|if\s+it)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z_]*")


@dataclass(frozen=True)
class Quantified:
    """An "each <noun> must <activity>" statement of the text."""

    nouns: tuple[str, ...]  # candidate head nouns, first first
    sentence: str
    start: int


def _singular(w: str) -> str:
    w = w.lower()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def quantified_statements(text: str) -> list[Quantified]:
    """The text's "each / every / all <noun> … must <activity>" statements (activities only)."""
    out: list[Quantified] = []
    for sent in re.finditer(r"[^.;!?\n]+(?:[.;!?]|$)", text):
        s = sent.group()
        for q in _QUANT.finditer(s):
            m = _MODAL.search(s, q.end())
            if m is None:
                continue
            between = s[q.end():m.start()]
            if len(_WORD.findall(between)) > 8 or _CONDITIONAL.search(between):
                continue
            if m.group("neg") or m.group("verb").lower() not in _ACTIVITY:
                continue
            if _LIMIT.search(s[m.start():]):
                continue
            words = [w for w in _WORD.findall(between) if w.lower() not in ("of", "the", "its", "their", "our",
                                                                             "these", "those", "available")]
            if words:
                out.append(Quantified(tuple(words), s.strip(), sent.start() + q.start()))
    return out


def _set_for(model: Model, nouns: tuple[str, ...]) -> str | None:
    """The model set a noun names: by its name, its description, or its elements' names."""
    for noun in nouns:
        n = _singular(noun)
        if len(n) < 3:
            continue
        hits = []
        for name, spec in model.sets.items():
            tokens = {_singular(t) for t in re.split(r"[_\W\d]+|(?<=[a-z])(?=[A-Z])", name) if t}
            desc = {_singular(t) for t in _WORD.findall(spec.description or "")}
            elems = [str(e).lower() for e in (spec.elements or []) if not isinstance(e, list)]
            if n in tokens or (desc and n in desc) or (
                    elems and sum(n in e for e in elems) * 2 > len(elems)):
                hits.append(name)
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            exact = [h for h in hits if _singular(h) == n]
            return exact[0] if len(exact) == 1 else None
    return None


def _positions(model: Model, set_name: str) -> dict[str, list[int]]:
    """Variables indexed by the set, with the index positions it takes."""
    out: dict[str, list[int]] = {}
    for vname, v in model.variables.items():
        pos = [i for i, e in enumerate(v.index) if e.split(" in ")[-1].strip() == set_name]
        if pos:
            out[vname] = pos
    return out


def _member(key: Any, pos: int, arity: int) -> Any:
    if arity == 1:
        return key[0] if isinstance(key, tuple) and len(key) == 1 else key
    return key[pos] if isinstance(key, tuple) and pos < len(key) else None


def idle_members(model: Model, text: str, values: dict[str, dict[Any, float]]) -> list[Diagnostic]:
    """`idle-member` advice for each "each <noun> must <activity>" whose set has members that do
    nothing in the solution (`values`: variable name → {index: value})."""
    out: list[Diagnostic] = []
    seen: set[str] = set()
    for q in quantified_statements(text):
        set_name = _set_for(model, q.nouns)
        if set_name is None or set_name in seen:
            continue
        spec = model.sets[set_name]
        members = spec.elements if spec.elements is not None else None
        if members is None:
            try:
                # the lowering's module: importing it registers the evaluator of derived sets
                from solvers.lower import instance

                members = list(instance(model).sets[set_name].elements)
            except Exception:  # unresolvable data: the checks report it
                continue
        if not members or any(isinstance(e, (list, tuple)) for e in members):
            continue  # tuple sets: a member is not one thing
        pos = _positions(model, set_name)
        if not pos:
            continue
        active: set[Any] = set()
        for vname, places in pos.items():
            arity = len(model.variables[vname].index)
            for key, val in (values.get(vname) or {}).items():
                if abs(val) > TOL:
                    active.update(_member(key, p, arity) for p in places)
        idle = [e for e in members if e not in active and str(e) not in {str(a) for a in active}]
        if not idle:
            continue
        seen.add(set_name)
        shown = ", ".join(map(str, idle[:8])) + (", …" if len(idle) > 8 else "")
        out.append(Diagnostic(
            "idle-member",
            f"the text says \"{quote(text, q.start, q.start + len(q.sentence), 0).strip('…')}\", but in the "
            f"solution {len(idle)} of {len(members)} {set_name} do nothing ({shown}): every variable indexed by "
            f"{set_name} ({', '.join(pos)}) is 0 for them",
            severity="warning", location=Location(section="sets", item=set_name),
            hint=f"if each member of {set_name} must be active, say so in the model (e.g. '== 1' or '>= 1' "
                 "where '<= 1' was written); if idling is allowed, the model is right"))
    return out
