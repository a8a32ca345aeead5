"""Knobs of assignment: dispatch runs, offers, re-planning, SLA alerts
(`FIELDHAND_DISPATCH_*` environment variables)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from marketplace.bookings.hold_policy import HoldPolicy
from marketplace.fairness.weights import FairnessConfig
from marketplace.offers.config import OfferLifetimes


class DispatchConfig(OfferLifetimes, FairnessConfig, HoldPolicy):
    """Also carries the knobs the lower domains read themselves: the offer lifetimes
    (`OfferLifetimes`), the fairness weight (`FairnessConfig`) and the hold policy with the
    urgency line (`HoldPolicy`)."""

    model_config = SettingsConfigDict(env_prefix="FIELDHAND_DISPATCH_", extra="ignore")

    # instant cascade (P1/P2 orders with no booked window): `urgent_priority` in HoldPolicy
    misses_before_widen: int = 3
    widen_factor: float = 2.0
    max_widened_radius_m: int = 60_000
    misses_before_escalate: int = 5
    # batch runs (they plan the rest of today and tomorrow in the region's zone: horizon.py)
    batch_every_s: int = 600
    # re-planning
    eta_change_worth_telling_s: int = 10 * 60
    offline_after_s: int = 20 * 60
    # SLA monitor
    sla_warn_before_s: int = 2 * 3600
    # region -> IANA time zone, e.g. {"amsterdam": "Europe/Amsterdam"}; others use
    # FIELDHAND_DEFAULT_TIMEZONE
    region_timezones: dict[str, str] = {}
    # reminders
    reminder_before_s: int = 2 * 3600
    # counter-offers (FIELDHAND_DISPATCH_COUNTER_*): a counter's total cost to the plan
    # (pay + dispatch cost in money) against the best alternative (next candidate or dropping)
    counter_minor_per_point: int = 50  # money value of one dispatch-cost point (a travel minute)
    counter_accept_within_bps: int = 500  # <= alternative + 5 % -> accepted automatically
    counter_decline_above_bps: int = 2_000  # > alternative + 20 % -> declined automatically
    counter_max_fee_share_bps: int = 5_000  # the platform absorbs extra pay up to 50 % of its fee


def load_config() -> DispatchConfig:
    return DispatchConfig()
