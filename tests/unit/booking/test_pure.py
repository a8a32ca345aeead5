"""Pure parts of booking/escalation: free time, window grid, SLA risk, signatures, cursors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.bookings.availability import merge, subtract, window_grid
from marketplace.errors import InvalidInput, Unauthenticated
from marketplace.pagination import decode_cursor, encode_cursor
from marketplace.sla.policy import SlaRisk, Targets, assess, due_times
from marketplace.work_orders.helpdesk import sign, verify

intervals = st.lists(
    st.tuples(st.integers(0, 1000), st.integers(1, 200)).map(lambda t: (t[0], t[0] + t[1])), max_size=8
)


@given(intervals, intervals)
def test_subtract_never_returns_blocked_or_unavailable_time(available: list, blocked: list) -> None:  # type: ignore[type-arg]
    free = subtract(available, blocked)
    for moment in range(0, 1300, 7):
        in_free = any(s <= moment < e for s, e in free)
        expected = any(s <= moment < e for s, e in available) and not any(s <= moment < e for s, e in blocked)
        assert in_free == expected
    assert free == merge(free)  # sorted, disjoint


def test_window_grid_is_local_and_skips_the_past() -> None:
    now = datetime(2026, 3, 28, 9, 45, tzinfo=UTC)  # 10:45 in Amsterdam (CET)
    grid = window_grid(now, days=1, window_s=7200, tz="Europe/Amsterdam")
    first = datetime.fromtimestamp(grid[0][0], UTC)
    assert first == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # 10:00-12:00 local, 75 min left
    # across the DST switch (29 March) windows stay on the local wall clock: 08:00 CEST = 06:00 UTC
    starts = {datetime.fromtimestamp(s, UTC) for s, _ in grid}
    assert datetime(2026, 3, 29, 6, 0, tzinfo=UTC) in starts
    assert all(e - s in (3600, 7200) for s, e in grid)  # the 02:00 gap is short on switch night


def test_due_times_take_the_earlier_of_ticket_and_policy() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    targets = Targets(response_s=4 * 3600, resolution_s=24 * 3600, source="policy")
    response, resolution = due_times(now, targets, None)
    assert (response, resolution) == (now + timedelta(hours=4), now + timedelta(hours=24))
    _, resolution = due_times(now, targets, now + timedelta(hours=2))
    assert resolution == now + timedelta(hours=2)


@pytest.mark.parametrize(
    ("projected_h", "now_h", "finished_h", "unplaceable", "expected"),
    [
        (5, 0, None, False, SlaRisk.ON_TRACK),
        (12, 0, None, False, SlaRisk.AT_RISK),
        (5, 0, None, True, SlaRisk.AT_RISK),
        (5, 11, None, False, SlaRisk.BREACHED),
        (5, 20, 9, False, SlaRisk.ON_TRACK),
        (5, 20, 11, False, SlaRisk.BREACHED),
    ],
)
def test_sla_risk(
    projected_h: int, now_h: int, finished_h: int | None, unplaceable: bool, expected: SlaRisk
) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    due = t0 + timedelta(hours=10)
    risk = assess(
        now=t0 + timedelta(hours=now_h),
        sla_due_at=due,
        projected_finish=t0 + timedelta(hours=projected_h),
        finished_at=None if finished_h is None else t0 + timedelta(hours=finished_h),
        unplaceable=unplaceable,
    )
    assert risk is expected


def test_helpdesk_signature() -> None:
    secrets = {"zendesk": "s3cret"}
    body = b'{"a": 1}'
    header = sign("s3cret", 1000, body)
    verify(secrets, "zendesk", timestamp="1000", signature=header, body=body, now=1100)
    verify(
        secrets, "zendesk", timestamp="1000", signature=f"v1=00, {header}", body=body, now=1100
    )  # rotation
    for kwargs in (
        {"timestamp": "1000", "signature": header, "body": body + b" ", "now": 1100},
        {"timestamp": "1000", "signature": header, "body": body, "now": 1400},
        {"timestamp": None, "signature": header, "body": body, "now": 1100},
        {"timestamp": "soon", "signature": header, "body": body, "now": 1100},
    ):
        with pytest.raises(Unauthenticated):
            verify(secrets, "zendesk", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(Unauthenticated):
        verify(secrets, "other", timestamp="1000", signature=header, body=body, now=1100)


def test_cursor_round_trip_and_garbage() -> None:
    at, oid = datetime(2026, 1, 1, 12, tzinfo=UTC), uuid.uuid4()
    assert decode_cursor(encode_cursor(at, oid)) == (at, oid)
    with pytest.raises(InvalidInput):
        decode_cursor("not-a-cursor")
