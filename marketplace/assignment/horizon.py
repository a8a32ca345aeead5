"""How far ahead a dispatch run plans: day-ahead planning in the region's time zone.

A run at any moment plans the rest of today and all of tomorrow, local time: the horizon
ends at the start (00:00) of the day after tomorrow in the region's IANA zone. A rolling
`now + 24 h` would make what gets planned depend on the hour the run happens (a visit
tomorrow afternoon is outside it until the afternoon before). Local midnight is looked up
in the zone for that date, so DST change days are 23 or 25 hours long, as they are.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from marketplace.assignment.config import DispatchConfig
from marketplace.settings import Settings


def region_zone(region: str, *, config: DispatchConfig, settings: Settings) -> ZoneInfo:
    """The region's IANA zone (`FIELDHAND_DISPATCH_REGION_TIMEZONES`), else the default zone."""
    return ZoneInfo(config.region_timezones.get(region, settings.default_timezone))


def day_ahead_horizon_end(now: datetime, zone: ZoneInfo) -> datetime:
    """The end of tomorrow in `zone` (00:00 local the day after tomorrow), in UTC."""
    local_today = now.astimezone(zone).date()
    return datetime.combine(local_today + timedelta(days=2), time(0), tzinfo=zone).astimezone(UTC)


def region_horizon_end(now: datetime, region: str, *, config: DispatchConfig, settings: Settings) -> datetime:
    return day_ahead_horizon_end(now, region_zone(region, config=config, settings=settings))
