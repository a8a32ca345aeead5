"""Waiting for a server process a test started."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import httpx
import pytest


def await_health(
    base: str, proc: subprocess.Popen[bytes], *, within_s: float, describe: Callable[[], str] = lambda: ""
) -> None:
    """Return once `base`/healthz answers 200; fail the test, with `describe()` (the process's
    output), when the process exits first or `within_s` seconds pass."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{base} did not start: {describe()[-3000:]}")
        time.sleep(0.1)
