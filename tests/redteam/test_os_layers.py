"""The OS layers alone: every attack of the catalogue runs with the allow-list AND the Python
layers switched off by the parent, on each way of starting the child (bubblewrap where usable,
built-in always), a few at a time. Each must end with its exact outcome, within its limit,
leave no process of its uid behind and remove its work directory; the host must show no
effect (names, clock, scheduling of this process, files, connections)."""

from __future__ import annotations

import os
import site
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from formalize.codemode import containment as cm
from formalize.codemode.sandbox import REASONS, CodeRun, run_code
from redteam import processes_left
from redteam.catalogue import ATTACKS, Outcome

SECRET = "s3cr3t-7f1d9a"
BWRAP = cm.bwrap_usable(os.geteuid())
OUTERS = ["builtin", "bwrap"]
SITE = next(p for p in site.getsitepackages() if os.path.isdir(os.path.join(p, "pulp")))
KERNEL_LAYERS = ("uid", "capabilities", "no_new_privs", "seccomp", "rlimits", "disk")


class _Listener:
    """A TCP listener on the host that counts connections."""

    def __init__(self) -> None:
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.srv.settimeout(0.2)
        self.port = self.srv.getsockname()[1]
        self.hits = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.srv.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.srv.close()


def _host_state() -> dict:
    return {
        "hostname": socket.gethostname(),
        "domainname": Path("/proc/sys/kernel/domainname").read_text(),
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "affinity": os.sched_getaffinity(0),
        "scheduler": os.sched_getscheduler(0),
        "clock_offset": time.time() - time.monotonic(),
    }


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """Every attack on every usable path, run a few at a time; the host before and after."""
    base = tmp_path_factory.mktemp("redteam-host")
    secret = base / "private" / "secret.txt"
    secret.parent.mkdir(mode=0o700)
    secret.write_text(SECRET)
    canary = base / "canary"
    listener = _Listener()
    os.environ["FORMALIZE_TEST_SECRET"] = SECRET
    fill = {"pid": os.getpid(), "secret": str(secret), "canary": str(canary),
            "port": listener.port, "site": SITE}
    before = _host_state()
    jobs = [(outer, a) for outer in OUTERS for a in ATTACKS
            if outer == "builtin" or BWRAP is None]

    def one(job: tuple) -> tuple[CodeRun, float, list[int]]:
        outer, attack = job
        options = {"timeout": 15.0, "memory_mb": 768, **attack.options}
        t0 = time.monotonic()
        run = run_code(attack.src.format(**fill), _skip_allowlist=True, _audit_hook=False,
                       _outer=outer, **options)
        left = processes_left(run.uid)
        return run, time.monotonic() - t0, left

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = dict(zip([(o, a.name) for o, a in jobs], pool.map(one, jobs)))
    finally:
        os.environ.pop("FORMALIZE_TEST_SECRET", None)
        time.sleep(0.2)
        listener.close()
    yield {"results": results, "before": before, "after": _host_state(), "canary": canary,
           "secret": secret, "hits": listener.hits}


def _check(run: CodeRun, outcome: Outcome) -> None:
    described = f"{run.reason}: {[str(d) for d in run.diagnostics]} stdout={run.stdout[-300:]!r}"
    assert run.reason == outcome.reason, described
    if outcome.code is not None:
        assert [d.code for d in run.diagnostics] == [outcome.code], described
        diag = run.diagnostics[0]
        assert diag.hint, described
        if outcome.text is not None:
            assert outcome.text in diag.message, described
        if outcome.line is not None:
            assert diag.location.field == f"line {outcome.line}", described
    if outcome.stdout is not None:
        assert outcome.stdout in run.stdout, described


@pytest.mark.parametrize("outer", OUTERS)
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack_is_contained(attack, outer, campaign):
    if outer == "bwrap" and BWRAP is not None:
        pytest.skip(f"bubblewrap not usable here: {BWRAP}")
    run, elapsed, left = campaign["results"][(outer, attack.name)]
    assert run.reason in REASONS  # never an internal error
    _check(run, attack.outcome)
    limit = attack.options.get("timeout", 15.0)
    assert elapsed < limit + 5, f"took {elapsed:.1f} s"
    assert left == [], f"processes of uid {run.uid} outlived the run: {left}"
    assert run.work_dir and not os.path.exists(run.work_dir), "the work directory remained"
    assert run.outer == outer
    for layer in KERNEL_LAYERS:
        assert layer in run.layers, f"layer {layer} not in force: {run.layers}"
    assert "tmpfs" in run.layers["disk"]
    assert "python" not in run.layers  # the Python layers really were off
    for text in attack.stdout_absent:
        assert text not in run.stdout and text not in run.stderr
    assert SECRET not in run.stdout and SECRET not in run.stderr


def test_the_host_shows_no_effect(campaign):
    before, after = campaign["before"], campaign["after"]
    for key in ("hostname", "domainname", "nice", "affinity", "scheduler"):
        assert after[key] == before[key], key
    assert abs(after["clock_offset"] - before["clock_offset"]) < 5.0
    assert not campaign["canary"].exists()
    assert campaign["secret"].read_text() == SECRET
    assert campaign["hits"] == 0, "a contained program connected to the host"
    assert not Path("/tmp/pwned-by-code-mode").exists()
    ran = {outer for outer, _ in campaign["results"]}
    assert ran == ({"builtin"} if BWRAP else {"builtin", "bwrap"})


def test_catalogue_size_and_classes():
    assert len(ATTACKS) >= 90  # the README gives this count
    kinds = {a.kind for a in ATTACKS}
    for kind in ("devices", "clock", "kernel", "scheduling", "memory", "processes", "signals",
                 "network", "files", "secrets", "disk", "descriptors", "cleanup", "time",
                 "solving", "parent trust"):
        assert kind in kinds, kind
