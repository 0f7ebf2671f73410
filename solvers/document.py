"""Reading a model document strictly and within bounds (JSON or YAML → plain Python data).

- the file is read up to `max_model_bytes` (a regular file, never /proc, /sys or /dev);
- bytes that are not UTF-8 are located by byte offset, line and column (`bad-encoding`);
- a key given twice in one mapping is an error in JSON and YAML (`duplicate-key`), never
  last-wins;
- YAML anchors and aliases are refused while the document is composed, before anything is
  expanded (`yaml-alias`): a model never needs them, and an alias bomb is a few hundred bytes;
- lists and mappings nest at most `max_depth` deep (`too-deep`), located by line and column.
Everything is a located `ModelError`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, Location, ModelError
from .limits import how_to_raise, limit, over_limit


def read_model_file(path: Path, limits: dict | None = None) -> str:
    """The text of a model file, bounded and UTF-8 checked."""
    return read_text_file(path, "model file", limits, hint="give a regular .json or .yaml file")


def read_text_file(path: str | Path, what: str = "problem text", limits: dict | None = None,
                   hint: str = "give a regular UTF-8 text file") -> str:
    """The text of a file the user named (a model file, a problem text): a regular file outside
    /proc, /sys and /dev, at most max_model_bytes, UTF-8 with the first bad byte located. Raises
    a ModelError (`file-refused`, `too-large`, `bad-encoding`) or FileNotFoundError."""
    from .data_files import Refused, open_regular

    where = {"section": "file"}
    try:
        raw = open_regular(path, limit("max_model_bytes", limits), f"{what} {str(path)!r}", where)
    except Refused as r:
        raise ModelError(Diagnostic("file-refused", f"{what} {str(path)!r} is refused: {r.args[0]}",
                                    location=Location(**where), hint=hint)) from None
    return decode_text(raw, str(path))


def decode_text(raw: bytes, where: str) -> str:
    """UTF-8 text (a BOM allowed); the first bad byte located."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        off = exc.start
        line = raw.count(b"\n", 0, off) + 1
        col = off - (raw.rfind(b"\n", 0, off) + 1) + 1
        raise ModelError(Diagnostic(
            "bad-encoding", f"{where} is not UTF-8: byte {off} (line {line}, column {col}) is 0x{raw[off]:02x}",
            location=Location(section="file", column=col), hint="save the file as UTF-8")) from None


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


def parse_text(text: str, where: str, yaml_first: bool, limits: dict | None = None) -> Any:
    """Parse JSON (YAML when `yaml_first` and the text is not JSON) with the checks above."""
    max_bytes = limit("max_model_bytes", limits)
    if len(text) > max_bytes:
        raise over_limit("max_model_bytes", f"model {where}", len(text), "characters", max_bytes, section="file")
    max_depth = limit("max_depth", limits)
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates)
    except _Duplicate as d:
        raise _json_duplicate(text, where, d.args[0]) from None
    except RecursionError:
        raise _too_deep(text, where, max_depth) from None
    except json.JSONDecodeError as exc:
        if yaml_first:
            return _parse_yaml(text, where, max_depth)
        raise ModelError(Diagnostic(
            "bad-json", f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            location=Location(section="file", column=exc.colno),
            hint="fix the JSON syntax (quotes, commas, brackets)")) from None
    if depth_exceeds(doc, max_depth):
        raise _too_deep(text, where, max_depth)
    return doc


def depth_exceeds(doc: Any, max_depth: int) -> bool:
    """True when lists/dicts in `doc` nest deeper than `max_depth` (iterative; cycles count as deep)."""
    if not isinstance(doc, (dict, list)):
        return False
    stack = [(doc, 1)]
    while stack:
        obj, d = stack.pop()
        if d > max_depth:
            return True
        items = obj.values() if isinstance(obj, dict) else obj
        for x in items:
            if isinstance(x, (dict, list)):
                stack.append((x, d + 1))
    return False


def check_depth(doc: Any, limits: dict | None = None) -> None:
    """Refuse a document (a dict given to load_model) nested deeper than `max_depth`."""
    max_depth = limit("max_depth", limits)
    if isinstance(doc, (dict, list)) and depth_exceeds(doc, max_depth):
        raise ModelError(Diagnostic(
            "too-deep", f"the document nests lists and mappings more than {max_depth} deep (max_depth)",
            location=Location(section="file"), hint=how_to_raise("max_depth")))


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _scan(text: str, max_depth: int | None = None):
    """Walk JSON tokens (error paths only): yields ('dup', key, pos, path) for a repeated key and
    ('deep', pos) where the depth first exceeds `max_depth`."""
    stack: list[list] = []  # [kind, keys, path-entry, expecting_key]
    path: list[str] = []
    last_key: str | None = None
    for m in _TOKEN.finditer(text):
        t = m.group()
        if t in "{[":
            if stack and stack[-1][0] == "{":
                path.append(str(last_key))
            elif stack:
                path.append("[]")
            stack.append([t, set(), True])
            if max_depth is not None and len(stack) > max_depth:
                yield ("deep", m.start(), list(path))
                return
        elif t in "}]":
            if stack:
                stack.pop()
                if path and stack:
                    path.pop()
        elif t == ",":
            if stack and stack[-1][0] == "{":
                stack[-1][2] = True
        elif t == ":":
            if stack:
                stack[-1][2] = False
        elif stack and stack[-1][0] == "{" and stack[-1][2] and t.startswith('"'):
            try:
                key = json.loads(t)
            except ValueError:
                key = t
            if key in stack[-1][1]:
                yield ("dup", key, m.start(), list(path))
                return
            stack[-1][1].add(key)
            last_key = key


def _where(path: list[str]) -> str:
    return "the top level" if not path else "/".join(path)


def _json_duplicate(text: str, where: str, key: str) -> ModelError:
    found = next(_scan(text), None)
    pos = ""
    col = None
    inside = ""
    if found and found[0] == "dup":
        line, col = _line_col(text, found[2])
        pos = f" at line {line}, column {col}"
        inside = f" in {_where(found[3])}"
    return ModelError(Diagnostic(
        "duplicate-key", f"{where}: key {key!r} is given twice{inside}{pos}; a repeated key is never "
        "read as last-wins", location=Location(section="file", column=col),
        hint="keep one of them"))


def _too_deep(text: str, where: str, max_depth: int) -> ModelError:
    found = next((f for f in _scan(text, max_depth) if f[0] == "deep"), None)
    pos = ""
    col = None
    if found:
        line, col = _line_col(text, found[1])
        pos = f" (first at line {line}, column {col})"
    return ModelError(Diagnostic(
        "too-deep", f"{where} nests lists and mappings more than {max_depth} deep{pos} (max_depth)",
        location=Location(section="file", column=col),
        hint="a model needs a few levels; " + how_to_raise("max_depth")))


def _yaml_loader(max_depth: int):
    import yaml

    class StrictLoader(yaml.SafeLoader):
        """SafeLoader that refuses anchors/aliases while composing, repeated keys and deep nesting."""

        depth = 0

        def compose_node(self, parent, index):  # type: ignore[override]
            ev = self.peek_event()
            if isinstance(ev, yaml.AliasEvent):
                raise _YamlRefused("yaml-alias", f"alias *{ev.anchor} refused: anchors and aliases are not "
                                   "read (an alias can expand a few bytes into gigabytes)", ev.start_mark,
                                   "write the values out")
            if getattr(ev, "anchor", None) is not None:
                raise _YamlRefused("yaml-alias", f"anchor &{ev.anchor} refused: anchors and aliases are not "
                                   "read", ev.start_mark, "remove the anchor")
            self.depth += 1
            if self.depth > max_depth:
                raise _YamlRefused("too-deep", f"lists and mappings nest more than {max_depth} deep "
                                   "(max_depth)", ev.start_mark, how_to_raise("max_depth"))
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_mapping(self, node, deep=False):  # type: ignore[override]
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    dup = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: the constructor reports it
                    continue
                if dup:
                    raise _YamlRefused("duplicate-key", f"key {key!r} is given twice; a repeated key is "
                                       "never read as last-wins", key_node.start_mark, "keep one of them")
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


class _YamlRefused(Exception):
    def __init__(self, code: str, msg: str, mark: Any, hint: str):
        super().__init__(msg)
        self.code, self.msg, self.mark, self.hint = code, msg, mark, hint


def _parse_yaml(text: str, where: str, max_depth: int) -> Any:

    loader = _yaml_loader(max_depth)(text)
    try:
        return loader.get_single_data()
    except _YamlRefused as r:
        line, col = r.mark.line + 1, r.mark.column + 1
        raise ModelError(Diagnostic(r.code, f"{where} line {line}, column {col}: {r.msg}",
                                    location=Location(section="file", column=col), hint=r.hint)) from None
    except RecursionError:
        raise ModelError(Diagnostic("too-deep", f"{where} nests too deep to read (max_depth {max_depth})",
                                    location=Location(section="file"), hint=how_to_raise("max_depth"))) from None
    except Exception as yexc:  # yaml raises many error types
        mark = getattr(yexc, "problem_mark", None)
        pos = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ModelError(Diagnostic("bad-yaml", f"{where} is not valid YAML{pos}: {getattr(yexc, 'problem', yexc)}",
                                    location=Location(section="file"),
                                    hint="fix the YAML syntax")) from None
    finally:
        loader.dispose()
