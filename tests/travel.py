"""Run a module at the test session's instant: `python -m tests.travel <module> [args...]`.

Subprocesses of the suite (the arq worker a test kills, the local Stripe server) read the
clock themselves. When the session runs at a chosen instant (`FIELDHAND_TEST_NOW`), the
parent passes its current frozen time in `FIELDHAND_TEST_TRAVEL` and the child travels
there too (ticking), so job scores in Redis, webhook signatures and token times agree.
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
        env[TRAVEL_ENV] = datetime.now(UTC).isoformat()
    return env


def main() -> None:
    module, sys.argv = sys.argv[1], sys.argv[1:]
    at = os.environ.get(TRAVEL_ENV)
    if not at:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return
    import time_machine

    with time_machine.travel(datetime.fromisoformat(at), tick=True):
        runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
