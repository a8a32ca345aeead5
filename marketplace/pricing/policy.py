"""Money policy knobs, read from `FIELDHAND_MONEY_*` environment variables.

Kept next to pricing rather than in the shared `Settings`. All rates are basis points (1/100 of a percent)
so every computation stays in integers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MoneyPolicy(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIELDHAND_MONEY_", extra="ignore")

    # Emergency (priority 1) work costs more: 15000 bps = x1.5.
    emergency_multiplier_bps: int = Field(default=15_000, ge=10_000)
    # Platform fee: a percentage of the price with a floor, never more than the price itself.
    platform_fee_bps: int = Field(default=1_500, ge=0, le=10_000)
    platform_fee_min_minor: int = Field(default=300, ge=0)
    # Authorise a little more than the quote so an overrun can still be captured (0 = exact quote).
    authorization_buffer_bps: int = Field(default=0, ge=0, le=5_000)
    # How long captured money waits before it is transferred to the technician.
    payout_hold_s: int = Field(default=2 * 24 * 3600, ge=0)
    # Used when a work order has no service category.
    default_base_price_minor: int = Field(default=9_000, ge=0)
    default_duration_s: int = Field(default=3_600, gt=0)
    # Extra charged per customer tier, on top of the duration-scaled price (e.g. {"premium": 1000}).
    tier_surcharge_bps: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    # Cancelling is free until this long before the arrival window opens ...
    cancellation_free_until_s: int = Field(default=24 * 3600, ge=0)
    # ... later it costs this share of the price, and once the technician is on the way, this one.
    cancellation_late_fee_bps: int = Field(default=5_000, ge=0, le=10_000)
    cancellation_en_route_fee_bps: int = Field(default=10_000, ge=0, le=10_000)


@lru_cache(maxsize=1)
def load_policy() -> MoneyPolicy:
    return MoneyPolicy()
