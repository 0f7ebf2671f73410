"""Every command shown in the README, run as written, offline, in a clean environment.

The README's fenced blocks are parsed here; each must be one of:
- a ``bash`` block with no marker: every command runs (bash, in a copy of ``problems/`` and
  ``pyproject.toml``, no model configured, no keys, an empty home and cache) and must exit 0;
- a ``bash`` or ``python`` block whose first line is ``# needs an LLM ...``: each command runs
  the same way and must fail precisely — with no ``--model``/``--api-base`` on the line, exit 2
  and the "No LLM model is configured" message; with one (a local server that is not running),
  exit 4 with the message and its hint — never a traceback, never a silent skip;
- a ``bash`` block whose first line is ``# settings``: ``export`` lines, each naming a variable
  formalize reads or a provider's key;
- a ``toml`` block: a configuration file, loaded by formalize's resolver;
- a ``json`` block: the formal model example, valid but for its data file;
- a ``python`` block with no marker: runs and must exit 0.
The install command (``pip install -e ".[dev]" && ...``) is checked against pyproject.toml
(the extra and the script it names) and the rest of its line runs; ``python -m pytest`` is this
suite, checked by its configuration. Everything here stays well under a minute.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NEEDS_LLM = "# needs an LLM"
SETTINGS = "# settings"
NO_MODEL = "No LLM model is configured"
FENCE = re.compile(r"^```([A-Za-z0-9_-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    line: int  # of the opening fence, 1-based

    @property
    def marker(self) -> str:
        first = self.body.lstrip().splitlines()[0] if self.body.strip() else ""
        for m in (NEEDS_LLM, SETTINGS):
            if first.startswith(m):
                return m
        return ""

    def commands(self) -> list[str]:
        """The shell commands: continuation lines joined, comment-only and blank lines left out."""
        text = self.body.replace("\\\n", " ")
        return [ln.strip() for ln in text.splitlines()
                if ln.strip() and not ln.strip().startswith("#")]

    def __str__(self) -> str:
        return f"README.md line {self.line} ({self.lang or 'no language'})"


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [Block(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1)
            for m in FENCE.finditer(text)]


BLOCKS = readme_blocks()


def test_every_fenced_block_is_classified():
    kinds = {(b.lang, b.marker) for b in BLOCKS}
    allowed = {("bash", ""), ("bash", NEEDS_LLM), ("bash", SETTINGS), ("python", ""),
               ("python", NEEDS_LLM), ("toml", ""), ("json", "")}
    assert kinds <= allowed, f"unclassified README blocks: {kinds - allowed}"
    # the README keeps its parts: the two commands, offline runs, the LLM commands, settings
    assert ("bash", "") in kinds and ("bash", NEEDS_LLM) in kinds and ("bash", SETTINGS) in kinds
    assert sum(len(b.commands()) for b in BLOCKS if b.lang == "bash") >= 15


# --------------------------------------------------------------------------- the clean room


@pytest.fixture(scope="module")
def room(tmp_path_factory) -> dict:
    """A working copy (problems/ and pyproject.toml), a `formalize` and a `python` on PATH that
    run this checkout, and an environment with no model, no key, an empty home and cache."""
    base = tmp_path_factory.mktemp("readme")
    work = base / "work"
    work.mkdir()
    shutil.copytree(ROOT / "problems", work / "problems")
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    bin_dir = base / "bin"
    bin_dir.mkdir()
    (bin_dir / "formalize").write_text(
        f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m formalize.cli.main \"$@\"\n")
    (bin_dir / "formalize").chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    home = base / "home"
    home.mkdir()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "FORMALIZE_CACHE_DIR": str(base / "cache"), "PYTHONPATH": str(ROOT),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "FORMALIZE_MAX_RETRIES": "0",  # an offline failure at once, not after back-offs
        "NO_PROXY": "*", "LANG": "C.UTF-8",
    }
    return {"work": work, "env": env}


def runnable(command: str) -> str | None:
    """The command line to run for a README command (None: checked, not run)."""
    if command.startswith("pip install"):
        return install_and_rest(command)
    if re.fullmatch(r"python -m pytest(\s.*)?", command):
        return None
    return command


@pytest.fixture(scope="module")
def outcomes(room) -> dict[str, subprocess.CompletedProcess]:
    """Every README command and python block run at once (three at a time: most of each is
    interpreter and import start-up), by its text."""
    from concurrent.futures import ThreadPoolExecutor

    todo: dict[str, list[str]] = {}
    for b in BLOCKS:
        if b.lang == "bash" and b.marker != SETTINGS:
            for c in b.commands():
                line = runnable(c)
                if line is not None:
                    todo[c] = ["bash", "-c", line]
        elif b.lang == "python":
            script = room["work"].parent / f"snippet_{b.line}.py"
            script.write_text(b.body)
            todo[b.body] = [sys.executable, str(script)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {key: pool.submit(subprocess.run, argv, cwd=room["work"], env=room["env"],
                                    capture_output=True, text=True, timeout=120)
                   for key, argv in todo.items()}
        return {key: f.result() for key, f in futures.items()}


def shell_commands(marker: str) -> list[tuple[Block, str]]:
    return [(b, c) for b in BLOCKS if b.lang == "bash" and b.marker == marker
            for c in b.commands()]


def _id(item: tuple[Block, str]) -> str:
    return item[1][:60]


# What some offline commands must show beyond exit 0 (command prefix -> check).
def _transport(cp, work):
    assert "153.675" in cp.stdout


def _bench(name):
    def check(cp, work):
        records = [json.loads(x) for x in (work / f"{name}.jsonl").read_text().splitlines()]
        problems = [r for r in records if r.get("type") == "problem"]
        assert problems and "problem(s) run now" in cp.stdout
    return check


def _library(cp, work):
    _bench("lib")(cp, work)
    assert (work / "lib.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "label audit" in cp.stdout


def _answers(cp, work):
    assert "infeasible" in cp.stdout and "suboptimal by 7.76%" in cp.stdout
    assert "supply_limit[seattle] violated by 275" in cp.stdout
    assert (work / "answers.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


EXPECT = {
    "formalize compare problems/examples/transport/model.json --answer": _answers,
    "formalize solve problems/examples/transport/model.json": _transport,
    "formalize bench examples --model reference --out tour.jsonl": _bench("tour"),
    "formalize bench nl4opt --model reference": _bench("ref"),
    "formalize bench library --model reference": _library,
}


def install_and_rest(command: str) -> str:
    """Check `pip install -e ".[extra]"` against pyproject.toml; the rest of the line to run."""
    pip, _, rest = command.partition("&&")
    words = shlex.split(pip)
    assert words[:3] == ["pip", "install", "-e"], command
    target = words[3]
    m = re.fullmatch(r"\.(?:\[([\w,-]+)\])?", target)
    assert m, f"install target {target!r} is not this checkout"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for extra in (m.group(1) or "").split(","):
        if extra:
            assert extra in project["optional-dependencies"], f"no extra {extra!r}"
    rest = rest.strip()
    assert rest.split()[0] in project["scripts"], f"{rest.split()[0]} is not an installed script"
    return rest


@pytest.mark.parametrize("item", shell_commands(""), ids=_id)
def test_offline_command_runs_as_written(item, room, outcomes):
    block, command = item
    if runnable(command) is None:  # python -m pytest: this suite
        cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
        assert Path(__file__).parent.name in cfg["testpaths"]  # this suite is what it runs
        return
    cp = outcomes[command]
    assert cp.returncode == 0, f"{block}: `{command}` exit {cp.returncode}\n{cp.stdout[-2000:]}\n{cp.stderr[-2000:]}"
    assert "Traceback" not in cp.stderr
    for prefix, check in EXPECT.items():
        if runnable(command).startswith(prefix):
            check(cp, room["work"])


@pytest.mark.parametrize("item", shell_commands(NEEDS_LLM), ids=_id)
def test_llm_command_fails_precisely_without_a_model(item, outcomes):
    block, command = item
    cp = outcomes[command]
    assert "Traceback" not in cp.stderr, f"{block}: `{command}`\n{cp.stderr[-3000:]}"
    if re.search(r"--model|--api-base", command):
        # the named provider is not reachable offline: exit 4, what failed and a hint
        assert cp.returncode == 4, f"{block}: `{command}` exit {cp.returncode}\n{cp.stderr[-2000:]}"
        assert "LLM" in cp.stderr and "Hint:" in cp.stderr, cp.stderr[-2000:]
    else:
        assert cp.returncode == 2, f"{block}: `{command}` exit {cp.returncode}\n{cp.stderr[-2000:]}"
        assert NO_MODEL in cp.stderr and "FORMALIZE_MODEL" in cp.stderr, cp.stderr[-2000:]


def test_every_readme_command_was_classified_and_run():
    """Offline plus LLM-marked commands are all the shell commands outside settings blocks."""
    shell = [c for b in BLOCKS if b.lang == "bash" and b.marker != SETTINGS for c in b.commands()]
    assert len(shell) == len(shell_commands("")) + len(shell_commands(NEEDS_LLM))
    assert any("bench library" in c for c in shell) and any(c.startswith("formalize compare")
                                                             for c in shell)


# --------------------------------------------------------------------------- python blocks


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "python"], ids=str)
def test_python_block_runs_as_written(block, outcomes):
    cp = outcomes[block.body]
    if block.marker == NEEDS_LLM:
        assert cp.returncode != 0 and NO_MODEL in cp.stderr, cp.stderr[-2000:]
        assert "NoModelConfigured" in cp.stderr  # the library raises the documented error
    else:
        assert cp.returncode == 0, cp.stderr[-3000:]
        said = re.findall(r"print\(.*\)\s*#\s*(.+)$", block.body, re.M)
        for expected in said:  # `print(...)  # what it prints`
            assert expected.strip() in cp.stdout, (expected, cp.stdout)


# --------------------------------------------------------------------------- settings


def test_settings_name_variables_formalize_reads():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "formalize").rglob("*.py"))
    lines = [ln for b in BLOCKS if b.marker == SETTINGS for ln in b.commands()]
    assert lines
    for ln in lines:
        m = re.fullmatch(r"export ([A-Z_][A-Z0-9_]*)=\S+(\s+#.*)?", ln)
        assert m, f"a settings line is an export: {ln!r}"
        name = m.group(1)
        assert (name.startswith("FORMALIZE_") and f'"{name}"' in source) or \
            re.fullmatch(r"[A-Z]+_API_KEY", name), f"{name} is read by nothing"


def test_toml_blocks_are_configurations_the_resolver_reads(tmp_path):
    from formalize.llm.config import resolve_model

    tomls = [b for b in BLOCKS if b.lang == "toml"]
    assert tomls
    for b in tomls:
        table = tomllib.loads(b.body)
        cfg = tmp_path / "formalize" / "config.toml"
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(b.body)
        env = {"XDG_CONFIG_HOME": str(tmp_path), "VLLM_API_KEY": "k-from-env"}
        settings = resolve_model(start_dir=tmp_path, env=env)
        for key, value in table.items():
            if key == "api_key_env":
                assert settings.api_key == env[value]
            else:
                assert getattr(settings, key) == value, key


def test_json_block_is_a_formal_model():
    import solvers

    (block,) = [b for b in BLOCKS if b.lang == "json"]
    model = solvers.load_model(json.loads(block.body))
    diags = solvers.check_model(model).diagnostics
    # valid but for its data file, which the README does not ship
    assert [(d.code, d.location.item) for d in diags] == [("file-not-found", "cost")]
