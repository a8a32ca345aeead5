"""When an unbooked order gets a window held for it (`FIELDHAND_DISPATCH_HOLD_*`), and which
orders are too urgent to wait for a booking at all (`FIELDHAND_DISPATCH_URGENT_PRIORITY`).

Read here, in bookings, where holds are made; assignment's `DispatchConfig` inherits it, so
the setting names are those of the other dispatch knobs."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class HoldPolicy(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIELDHAND_DISPATCH_", extra="ignore")

    urgent_priority: int = 2  # priority <= this is dispatched instantly, never held
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
