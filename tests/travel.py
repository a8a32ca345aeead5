"""Run a module at the test session's instant: `python -m tests.travel <module> [args...]`.

Subprocesses of the suite (the arq worker a test kills, the local Stripe server) read the
clock themselves. When the session runs at a chosen instant (`FIELDHAND_TEST_NOW`), the
parent passes its current travelled time, and the real time at which it read it, in
`FIELDHAND_TEST_TRAVEL`; the child travels to that instant plus the real time its own start
took (ticking), so both clocks show the same time and job scores in Redis, webhook
signatures and token times (`iat` is refused when it lies in the future) agree.
"""

from __future__ import annotations

import os
import runpy
import sys
from datetime import datetime

TRAVEL_ENV = "FIELDHAND_TEST_TRAVEL"


def child_env() -> dict[str, str]:
    """The environment for a subprocess that should share this process's clock."""
    from datetime import UTC

    env = dict(os.environ)
    if os.environ.get("FIELDHAND_TEST_NOW"):
        import time_machine

        real = time_machine.escape_hatch.time.time()
        env[TRAVEL_ENV] = f"{datetime.now(UTC).isoformat()}@{real}"
    return env


def main() -> None:
    module, sys.argv = sys.argv[1], sys.argv[1:]
    at = os.environ.get(TRAVEL_ENV)
    if not at:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return
    import time
    from datetime import timedelta

    import time_machine

    instant, _, read_at = at.partition("@")
    behind = time.time() - float(read_at) if read_at else 0.0
    with time_machine.travel(datetime.fromisoformat(instant) + timedelta(seconds=behind), tick=True):
        time.time()  # time-machine starts ticking at the first reading, not when travel starts
        runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
