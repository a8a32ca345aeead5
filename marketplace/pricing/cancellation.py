"""What cancelling a booked visit costs the customer, and how much of it can be collected.

Rules (settable with `FIELDHAND_MONEY_CANCELLATION_*`, integers, half-up rounding):
- free until `cancellation_free_until_s` before the arrival window opens;
- later, `cancellation_late_fee_bps` of the price;
- once the technician is on the way, `cancellation_en_route_fee_bps` of the price;
- support cancelling on the customer's behalf never charges them;
- only money held on the card can be kept: never more than was authorised or captured,
  and nothing while the authorisation has not gone through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from marketplace.pricing.policy import MoneyPolicy
from marketplace.pricing.service import BPS, mul_div_half_up
from marketplace.timeutil import as_utc


@dataclass(frozen=True, slots=True)
class CancellationFee:
    fee_minor: int
    free_until: datetime


def free_cancellation_until(window_start: datetime, policy: MoneyPolicy) -> datetime:
    return as_utc(window_start) - timedelta(seconds=policy.cancellation_free_until_s)


def cancellation_fee(
    *,
    now: datetime,
    window_start: datetime,
    price_minor: int,
    en_route: bool,
    by_customer: bool,
    policy: MoneyPolicy,
) -> CancellationFee:
    """The fee for cancelling at `now` a visit whose window opens at `window_start`."""
    free_until = free_cancellation_until(window_start, policy)
    if not by_customer:
        share = 0
    elif en_route:
        share = policy.cancellation_en_route_fee_bps
    elif as_utc(now) < free_until:
        share = 0
    else:
        share = policy.cancellation_late_fee_bps
    return CancellationFee(fee_minor=mul_div_half_up(max(price_minor, 0), share, BPS), free_until=free_until)


def collectable_fee(fee_minor: int, held_minor: int) -> int:
    """The part of a cancellation fee that can be kept out of `held_minor` on the card."""
    return max(min(fee_minor, held_minor), 0)
