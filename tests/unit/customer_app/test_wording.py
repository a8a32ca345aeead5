"""What the customer app says happens next, in plain words."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from api.customer_app.wording import money, next_step
from marketplace.bookings.slots import Availability, SlotOption
from marketplace.sla.policy import SlaRisk
from marketplace.timeutil import to_epoch
from marketplace.visits.eta import Estimate

AMS = ZoneInfo("Europe/Amsterdam")
THURSDAY_10 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def estimate(**changes: object) -> Estimate:
    values: dict[str, object] = {
        "status": "triaged",
        "source": "none",
        "window_start": None,
        "window_end": None,
        "arrival": None,
        "travel_s": None,
        "distance_m": None,
        "resolution_at": None,
        "sla_due_at": None,
        "sla_risk": SlaRisk.ON_TRACK,
        "technician_id": None,
        "technician_name": None,
        "location_at": None,
    }
    values.update(changes)
    return Estimate(**values)  # type: ignore[arg-type]


def test_when_the_sla_cannot_be_met_it_names_the_earliest_window_and_that_support_knows() -> None:
    start = to_epoch(THURSDAY_10)
    earliest = SlotOption(
        start=start, end=start + 7200, earliest_arrival=start, technicians=1, meets_sla=False
    )
    said = next_step("triaged", estimate(), Availability.SLA_AT_RISK, earliest, AMS)
    assert "Thursday 03 December, 10:00\u201312:00" in said
    assert "later than we promised" in said and "told support" in said


def test_en_route_gives_the_technician_and_the_expected_arrival_in_local_time() -> None:
    said = next_step("en_route", estimate(technician_name="Tara", arrival=THURSDAY_10), None, None, AMS)
    assert said == "Tara is on the way and should arrive around 10:00."


def test_money_is_shown_from_minor_units() -> None:
    assert money(8_505, "eur") == "€85,05"
    assert money(7, "usd") == "$0,07"
