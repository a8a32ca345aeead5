"""Knobs of assignment: dispatch runs, offers, re-planning, SLA alerts
(`FIELDHAND_DISPATCH_*` environment variables)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from marketplace.fairness.weights import FairnessConfig
from marketplace.offers.config import OfferLifetimes


class DispatchConfig(OfferLifetimes, FairnessConfig):
    """Also carries the offer lifetimes (`instant_offer_ttl_s`, `batch_offer_ttl_s`) of `OfferLifetimes`."""

    model_config = SettingsConfigDict(env_prefix="FIELDHAND_DISPATCH_", extra="ignore")

    # instant cascade (P1/P2 orders with no booked window)
    urgent_priority: int = 2  # priority <= this is dispatched instantly
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
    # unbooked orders (priority 3 and 4 wait for the customer to pick a window): after
    # `hold_after_s["<tier>:<priority>"]` seconds without a booking, the earliest window that
    # meets the SLA is held for them and confirmed automatically `hold_confirm_after_s`
    # later (at the latest `hold_confirm_lead_s` before it opens) unless they pick another.
    # Pairs not listed are never held. Env: FIELDHAND_DISPATCH_HOLD_AFTER_S='{"standard:4": 86400}'
    hold_after_s: dict[str, int] = {
        "premium:3": 2 * 3600,
        "premium:4": 6 * 3600,
        "priority:3": 4 * 3600,
        "priority:4": 12 * 3600,
        "standard:3": 12 * 3600,
        "standard:4": 24 * 3600,
    }
    hold_confirm_after_s: int = 6 * 3600
    hold_confirm_lead_s: int = 2 * 3600
    hold_min_notice_s: int = 3 * 3600  # a held window opens at least this long after the hold

    def hold_after(self, tier: str, priority: int) -> int | None:
        return self.hold_after_s.get(f"{tier}:{priority}")


def load_config() -> DispatchConfig:
    return DispatchConfig()
