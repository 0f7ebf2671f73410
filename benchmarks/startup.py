"""Start-up cost of the CLI, timed as whole processes.

    python benchmarks/startup.py [--repeat 5]

Targets: `formalize --help` ≤ 0.3 s; `formalize solve model.json` ≤ 1 s; from the command
`formalize solve problem.txt --model openai/... --api-base ...` to the first request reaching the
server ≤ 1 s; a fully cached re-run of that formalization ≤ 1 s. The LLM is a local
OpenAI-compatible server (tests/openai_server.py) in this process, answering the program's steps
with the reference model of an NL4Opt problem; the first-request time is read from the server's
monotonic clock against the moment the command was started. Each line gives the median and best
over the repeats, side by side with a bare `python -c pass` in the same run (the interpreter's own
floor on this machine), and says whether litellm and the openai SDK were imported (`-X importtime`
of one more run).
The CPU columns (user + system time of the command, up to its first request for that line) are
the figure to read on a loaded machine, where wall times stretch with the other processes.
Commands run with their bytecode cached (as after `pip install`): PYTHONDONTWRITEBYTECODE is
dropped and the .pyc files go under a temporary PYTHONPYCACHEPREFIX, filled by a first,
untimed run of each command.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

MODEL = ROOT / "problems/examples/knapsack/model.json"
PROBLEM = ROOT / "problems/datasets/nl4opt/cpmpy_1133974368"
CLI = [sys.executable, "-m", "formalize.cli.main"]
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "formalize --help": [*CLI, "--help"],
    "formalize solve knapsack/model.json": [*CLI, "solve", str(MODEL)],
}
TARGETS = {"formalize --help": 0.3, "formalize solve knapsack/model.json": 1.0,
           "solve problem.txt: command → first request": 1.0,
           "solve problem.txt: fully cached re-run": 1.0}


def _answers() -> dict[str, str]:
    """The reference model of the problem in each step's answer format."""
    doc = json.loads((PROBLEM / "model.json").read_text(encoding="utf-8"))
    params = [{"name": n, "index": [], "value": p["value"], "values": None, "default": None,
               "from": None, "source": p.get("source")} for n, p in doc["params"].items()]
    structure = {"sense": doc["sense"],
                 "variables": [{"name": n, "index": [], "domain": v["domain"], "lb": v.get("lb"),
                                "ub": v.get("ub"), "description": v.get("description")}
                               for n, v in doc["variables"].items()],
                 "objective": doc["objective"],
                 "constraints": [{"name": c["name"], "forall": None, "expr": c["expr"],
                                  "description": None} for c in doc["constraints"]],
                 "assumptions": [], "acknowledged": []}
    data = {"sets": [], "params": params}
    return {"DataAnswer": json.dumps(data), "StructureAnswer": json.dumps(structure),
            "ModelAnswer": json.dumps({**data, **structure, "note": None})}


WATCH: dict[str, float | int | None] = {"pid": None, "cpu": None}


def _cpu_of(pid: int) -> float | None:
    """User + system CPU seconds a live process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _serve() -> object:
    from openai_server import OpenAIServer, reply

    answers = _answers()

    def respond(body: dict) -> object:
        if WATCH["pid"] is not None and WATCH["cpu"] is None:
            WATCH["cpu"] = _cpu_of(int(WATCH["pid"]))
        fmt = body.get("response_format") or {}
        name = (fmt.get("json_schema") or {}).get("name", "ModelAnswer")
        return reply(answers.get(name, answers["ModelAnswer"]))

    return OpenAIServer(default=respond).start()


PYCACHE = tempfile.mkdtemp(prefix="formalize-startup-pyc-")


def _env(cache: str | None = None) -> dict[str, str]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(ROOT),
           "PYTHONPYCACHEPREFIX": PYCACHE}
    if cache is not None:
        env["FORMALIZE_CACHE_DIR"] = cache
    for var in ("FORMALIZE_MODEL", "PYTHONDONTWRITEBYTECODE"):
        env.pop(var, None)
    return env


def _solve_text(server: object, extra: list[str] = ()) -> list[str]:
    return [*CLI, "solve", str(PROBLEM / "problem.txt"), "--model", "openai/bench", "--api-base",
            server.base_url, "--json", *extra]  # type: ignore[attr-defined]


def _heavy_imports(cmd: list[str], env: dict[str, str]) -> str:
    """Which of litellm and the openai SDK a run imports (`-X importtime` of one more run)."""
    r = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], capture_output=True, cwd=ROOT, env=env)
    names = {line.rsplit(b"|", 1)[-1].strip() for line in r.stderr.splitlines() if b"|" in line}
    return "; ".join(f"{lib} imported: {'yes' if lib.encode() in names else 'no'}"
                     for lib in ("litellm", "openai"))


def _row(name: str, times: list[float], cpu: list[float], note: str = "") -> None:
    tgt = TARGETS.get(name)
    c = f"{statistics.median(cpu):9.3f}" if cpu else f"{'':9}"
    print(f"{name:48} {statistics.median(times):9.3f} {min(times):9.3f} {c} {tgt if tgt else '':>9}  "
          f"{note}")


def _run(cmd: list[str], **kw: object) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a command; (result, wall seconds, CPU seconds of the child)."""
    kw.setdefault("env", _env())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, cwd=ROOT, **kw)  # type: ignore[call-overload]
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'command':48} {'median s':>9} {'best s':>9} {'CPU s':>9} {'target s':>9}")
    for cmd in COMMANDS.values():  # fill the bytecode cache
        _run(cmd)
    for name, cmd in COMMANDS.items():
        times, cpus = [], []
        for _ in range(a.repeat):
            r, wall, cpu = _run(cmd)
            times.append(wall)
            cpus.append(cpu)
            if r.returncode != 0:
                print(f"{name}: exit {r.returncode}: {r.stderr.decode()[-300:]}")
                break
        _row(name, times, cpus)

    server = _serve()
    try:
        with tempfile.TemporaryDirectory() as cache:  # fill the bytecode cache
            _run(_solve_text(server), env=_env(cache))
        first, first_cpu, whole, whole_cpu = [], [], [], []
        for _ in range(a.repeat):
            with tempfile.TemporaryDirectory() as cache:
                seen = len(server.requests)  # type: ignore[attr-defined]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.monotonic()
                proc = subprocess.Popen(_solve_text(server, ["--no-cache"]), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=ROOT, env=_env(cache))
                WATCH.update(pid=proc.pid, cpu=None)
                out, err = proc.communicate()
                whole.append(time.monotonic() - t0)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                whole_cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                WATCH["pid"] = None
                if proc.returncode != 0 or len(server.requests) == seen:  # type: ignore[attr-defined]
                    print(f"solve problem.txt: exit {proc.returncode}: {err.decode()[-400:]}")
                    return
                first.append(server.requests[seen].received_at - t0)  # type: ignore[attr-defined]
                if WATCH["cpu"] is not None:
                    first_cpu.append(float(WATCH["cpu"]))
        with tempfile.TemporaryDirectory() as cache:
            heavy = _heavy_imports(_solve_text(server, ["--no-cache"]), _env(cache))
        _row("solve problem.txt: command → first request", first, first_cpu,
             heavy)
        _row("solve problem.txt: whole run, 2 LLM calls", whole, whole_cpu)

        cached, cached_cpu = [], []
        with tempfile.TemporaryDirectory() as cache:
            env = _env(cache)
            r = subprocess.run(_solve_text(server), capture_output=True, cwd=ROOT, env=env)  # fills it
            expected = json.loads(r.stdout)["objective"] if r.returncode == 0 else None
            before = len(server.requests)  # type: ignore[attr-defined]
            for _ in range(a.repeat):
                r, wall, cpu = _run(_solve_text(server), env=env)
                cached.append(wall)
                cached_cpu.append(cpu)
                if r.returncode != 0 or json.loads(r.stdout)["objective"] != expected:
                    print(f"cached re-run: exit {r.returncode}: {r.stderr.decode()[-400:]}")
                    return
            calls = len(server.requests) - before  # type: ignore[attr-defined]
            heavy = _heavy_imports(_solve_text(server), env)
        _row("solve problem.txt: fully cached re-run", cached, cached_cpu,
             f"requests: {calls}; {heavy}; objective {expected}")
    finally:
        server.stop()  # type: ignore[attr-defined]
        import shutil

        shutil.rmtree(PYCACHE, ignore_errors=True)


if __name__ == "__main__":
    main()
