"""Red-team suite for code mode: hostile programs with their exact expected outcomes.

`catalogue.py` holds the attacks on the OS layers (run with the allow-list and every Python
layer switched off by the parent); the test modules run them on each way of starting the child
(bubblewrap where usable, built-in always) and check the host afterwards.
"""

import time as _time

from formalize.codemode import containment as _cm


def processes_left(uid: int | None, settle: float = 10.0) -> list[int]:
    """Live processes of a run's own uid after the run returned. `run_code` SIGKILLs them all and
    waits up to 5 s; on a machine shared by several test runs a killed process can take longer
    to be reaped, so wait up to `settle` seconds more before calling one a stray. Only the run's
    own (random, per-run) uid is looked at: other test runs on the machine never count."""
    if uid is None:
        return []
    deadline = _time.monotonic() + settle
    while True:
        left = _cm.processes_of(uid)
        if not left or _time.monotonic() > deadline:
            return left
        _time.sleep(0.1)
