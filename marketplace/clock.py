"""The wall clock, read only at the edges.

An HTTP request (the `now` dependency), a worker task or a CLI command reads the time here
once and passes `now` down as an argument. Nothing else in `marketplace/` or `dispatch/`
reads the clock (tests/unit/test_clock_discipline.py checks it), so every business rule
can be run at a chosen instant.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
