"""The dispatch horizon: the rest of today and all of tomorrow in the region's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.assignment.config import DispatchConfig
from marketplace.assignment.horizon import day_ahead_horizon_end, region_horizon_end, region_zone
from marketplace.settings import Settings

AMS = ZoneInfo("Europe/Amsterdam")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "end"),
    [
        # an ordinary winter day (UTC+1): ends at 00:00 local on the day after tomorrow
        ("2026-12-02T00:30", "2026-12-03T23:00"),
        ("2026-12-02T06:00", "2026-12-03T23:00"),
        ("2026-12-02T12:00", "2026-12-03T23:00"),
        # 23:30 UTC is already 00:30 on the 3rd in Amsterdam: the local "today" moved on
        ("2026-12-02T23:30", "2026-12-04T23:00"),
        # 2026-03-29: clocks go 02:00 -> 03:00; the day after tomorrow starts in summer time
        ("2026-03-28T12:00", "2026-03-29T22:00"),
        ("2026-03-29T00:30", "2026-03-30T22:00"),
        ("2026-03-29T01:30", "2026-03-30T22:00"),
        # 2026-10-25: clocks go 03:00 -> 02:00; the day after tomorrow starts in winter time
        ("2026-10-24T12:00", "2026-10-25T23:00"),
        ("2026-10-25T00:30", "2026-10-26T23:00"),
        ("2026-10-25T01:30", "2026-10-26T23:00"),
    ],
)
def test_horizon_is_end_of_tomorrow_local(now: str, end: str) -> None:
    assert day_ahead_horizon_end(utc(now), AMS) == utc(end)


def test_dst_days_are_as_long_as_they_are() -> None:
    # from local midnight, the horizon spans today and tomorrow: 47 h over the spring change,
    # 49 h over the autumn change, 48 h otherwise
    def span(local_midnight: str) -> timedelta:
        start = datetime.fromisoformat(local_midnight).replace(tzinfo=AMS)
        return day_ahead_horizon_end(start, AMS) - start

    assert span("2026-03-28T00:00") == timedelta(hours=47)
    assert span("2026-10-24T00:00") == timedelta(hours=49)
    assert span("2026-12-02T00:00") == timedelta(hours=48)


def test_a_shift_tomorrow_local_is_inside_whenever_the_run_happens() -> None:
    """The defect: a run at 00:30 UTC with `now + 24 h` did not reach tomorrow 06:00-20:00."""
    shift_end = datetime(2026, 12, 3, 20, tzinfo=AMS)
    early = utc("2026-12-02T00:30")
    assert early + timedelta(hours=24) < shift_end  # the rolling day falls short
    for now in (early, utc("2026-12-02T06:00"), utc("2026-12-02T12:00"), utc("2026-12-02T22:30")):
        assert shift_end <= day_ahead_horizon_end(now, AMS), now


def test_region_zone_comes_from_config_or_default() -> None:
    settings = Settings(default_timezone="Europe/Amsterdam")
    config = DispatchConfig(region_timezones={"lisbon": "Europe/Lisbon"})
    assert region_zone("lisbon", config=config, settings=settings) == ZoneInfo("Europe/Lisbon")
    assert region_zone("default", config=config, settings=settings) == AMS
    assert region_horizon_end(utc("2026-12-02T12:00"), "lisbon", config=config, settings=settings) == utc(
        "2026-12-04T00:00"
    )
