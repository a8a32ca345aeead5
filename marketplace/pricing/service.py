"""Quote a work order and split a charged amount into platform fee and technician earnings.

This is the only place a price comes from. Rules (integers only, half-up rounding, minor units):
- base = the category's base price for its standard duration (a policy default without a category);
- price for the order's duration = base x (order duration / standard duration);
- emergency (priority 1) adds a surcharge of (emergency_multiplier_bps - 100 %) of that price;
- the customer's tier adds `tier_surcharge_bps[tier]` of that price (none by default);
- fee = max(price x platform_fee_bps, platform_fee_min_minor), capped at the price;
- technician pay = price - fee.

Every work order carries its quote (`price_minor`, `fee_minor`) from creation on; it is
re-quoted when what it is priced on changes and when a new card authorisation starts, so the
pay an offer shows, the amount authorised and what earnings and payouts pay are the same number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.customers.models import CustomerTier
from marketplace.pricing import repository
from marketplace.pricing.policy import MoneyPolicy, load_policy
from marketplace.work_orders.models import WorkOrder

EMERGENCY_PRIORITY = 1
BPS = 10_000


def mul_div_half_up(value: int, numerator: int, denominator: int) -> int:
    """round(value * numerator / denominator), halves away from zero, without floats."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    product = value * numerator
    sign = -1 if product < 0 else 1
    return sign * ((abs(product) * 2 + denominator) // (2 * denominator))


class PricedCategory(Protocol):
    """What pricing reads from a service category."""

    @property
    def base_price_minor(self) -> int: ...

    @property
    def duration_s(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Split:
    """How one charged amount divides between the platform and the technician."""

    amount_minor: int
    fee_minor: int

    @property
    def earnings_minor(self) -> int:
        return self.amount_minor - self.fee_minor


@dataclass(frozen=True, slots=True)
class Quote:
    """A price and how it was made: base + duration adjustment + surcharges = price."""

    currency: str
    base_price_minor: int
    standard_duration_s: int
    duration_s: int
    duration_adjustment_minor: int
    priority: int
    priority_surcharge_minor: int
    tier: str
    tier_surcharge_minor: int
    price_minor: int
    fee_minor: int

    @property
    def emergency(self) -> bool:
        return self.priority == EMERGENCY_PRIORITY

    @property
    def earnings_minor(self) -> int:
        """The technician's pay: the price minus the platform fee."""
        return self.price_minor - self.fee_minor


def platform_fee(amount_minor: int, policy: MoneyPolicy) -> int:
    if amount_minor <= 0:
        return 0
    fee = max(mul_div_half_up(amount_minor, policy.platform_fee_bps, BPS), policy.platform_fee_min_minor)
    return min(fee, amount_minor)


def split(amount_minor: int, policy: MoneyPolicy, *, has_technician: bool = True) -> Split:
    """Fee and earnings for a charged amount. Without a technician the platform keeps it all."""
    if not has_technician:
        return Split(amount_minor=amount_minor, fee_minor=amount_minor)
    return Split(amount_minor=amount_minor, fee_minor=platform_fee(amount_minor, policy))


def settlement_split(
    amount_minor: int, order: WorkOrder, policy: MoneyPolicy, *, has_technician: bool = True
) -> Split:
    """Fee and earnings when a visit's charge is captured.

    The fee is the policy's fee on what was charged, less what the platform gave up when the
    order's pay was agreed above its quote (an accepted counter-offer lowers `order.fee_minor`
    below the policy fee of `order.price_minor`); never below zero."""
    if not has_technician:
        return Split(amount_minor=amount_minor, fee_minor=amount_minor)
    given_up = max(platform_fee(order.price_minor, policy) - order.fee_minor, 0)
    fee = max(platform_fee(amount_minor, policy) - given_up, 0)
    return Split(amount_minor=amount_minor, fee_minor=min(fee, amount_minor))


def quote(
    *,
    category: PricedCategory | None,
    duration_s: int,
    priority: int,
    tier: str,
    policy: MoneyPolicy,
    currency: str,
) -> Quote:
    """The price of a visit of `duration_s` in `category` at `priority` for a `tier` customer."""
    base = category.base_price_minor if category is not None else policy.default_base_price_minor
    standard = max(category.duration_s if category is not None else policy.default_duration_s, 1)
    for_duration = mul_div_half_up(base, max(duration_s, 0), standard)
    priority_surcharge = (
        mul_div_half_up(for_duration, policy.emergency_multiplier_bps - BPS, BPS)
        if priority == EMERGENCY_PRIORITY
        else 0
    )
    tier_surcharge = mul_div_half_up(for_duration, policy.tier_surcharge_bps.get(tier, 0), BPS)
    price = for_duration + priority_surcharge + tier_surcharge
    return Quote(
        currency=currency.lower(),
        base_price_minor=base,
        standard_duration_s=standard,
        duration_s=duration_s,
        duration_adjustment_minor=for_duration - base,
        priority=priority,
        priority_surcharge_minor=priority_surcharge,
        tier=tier,
        tier_surcharge_minor=tier_surcharge,
        price_minor=price,
        fee_minor=platform_fee(price, policy),
    )


def technician_pay(order: WorkOrder) -> int:
    """The technician's pay in the order's quote (what earnings and payouts pay for it)."""
    return order.price_minor - order.fee_minor


def authorization_amount(price_minor: int, policy: MoneyPolicy) -> int:
    """What to hold on the customer's card for a price: the price plus the overrun buffer."""
    return price_minor + mul_div_half_up(price_minor, policy.authorization_buffer_bps, BPS)


async def quote_work_order(
    session: AsyncSession, order: WorkOrder, *, policy: MoneyPolicy | None = None
) -> Quote:
    """The order's quote from its category, duration, priority and customer tier (nothing stored)."""
    category = await repository.order_category(session, order)
    customer = await repository.order_customer(session, order)
    return quote(
        category=category,
        duration_s=order.duration_s,
        priority=order.priority,
        tier=customer.tier if customer is not None else CustomerTier.STANDARD.value,
        policy=policy or load_policy(),
        currency=order.currency,
    )


async def price_work_order(
    session: AsyncSession, order: WorkOrder, *, policy: MoneyPolicy | None = None
) -> Quote:
    """Quote the order and store the price and fee on it."""
    fresh = await quote_work_order(session, order, policy=policy)
    order.price_minor = fresh.price_minor
    order.fee_minor = fresh.fee_minor
    order.currency = fresh.currency
    return fresh
