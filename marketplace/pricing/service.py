"""Quote a work order and split a charged amount into platform fee and technician earnings.

Rules (integers only, half-up rounding, minor units):
- price = category base price x (order duration / category standard duration);
- emergency (priority 1) multiplies the price by `emergency_multiplier_bps`;
- fee = max(price x platform_fee_bps, platform_fee_min_minor), capped at the price;
- technician earnings = price - fee.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.catalog.models import ServiceCategory
from marketplace.pricing.policy import MoneyPolicy, load_policy
from marketplace.work_orders.models import WorkOrder

EMERGENCY_PRIORITY = 1


def mul_div_half_up(value: int, numerator: int, denominator: int) -> int:
    """round(value * numerator / denominator), halves away from zero, without floats."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    product = value * numerator
    sign = -1 if product < 0 else 1
    return sign * ((abs(product) * 2 + denominator) // (2 * denominator))


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
    price_minor: int
    fee_minor: int
    currency: str
    base_price_minor: int
    standard_duration_s: int
    duration_s: int
    emergency: bool

    @property
    def earnings_minor(self) -> int:
        return self.price_minor - self.fee_minor


def platform_fee(amount_minor: int, policy: MoneyPolicy) -> int:
    if amount_minor <= 0:
        return 0
    fee = max(mul_div_half_up(amount_minor, policy.platform_fee_bps, 10_000), policy.platform_fee_min_minor)
    return min(fee, amount_minor)


def split(amount_minor: int, policy: MoneyPolicy, *, has_technician: bool = True) -> Split:
    """Fee and earnings for a charged amount. Without a technician the platform keeps it all."""
    if not has_technician:
        return Split(amount_minor=amount_minor, fee_minor=amount_minor)
    return Split(amount_minor=amount_minor, fee_minor=platform_fee(amount_minor, policy))


def quote(
    order: WorkOrder, category: ServiceCategory | None, policy: MoneyPolicy, *, currency: str | None = None
) -> Quote:
    base = category.base_price_minor if category is not None else policy.default_base_price_minor
    standard = category.duration_s if category is not None else policy.default_duration_s
    standard = max(standard, 1)
    price = mul_div_half_up(base, max(order.duration_s, 0), standard)
    emergency = order.priority == EMERGENCY_PRIORITY
    if emergency:
        price = mul_div_half_up(price, policy.emergency_multiplier_bps, 10_000)
    return Quote(
        price_minor=price,
        fee_minor=platform_fee(price, policy),
        currency=(currency or order.currency).lower(),
        base_price_minor=base,
        standard_duration_s=standard,
        duration_s=order.duration_s,
        emergency=emergency,
    )


async def quote_work_order(
    session: AsyncSession, order: WorkOrder, *, policy: MoneyPolicy | None = None, requote: bool = False
) -> Quote:
    """Quote the order and store price/fee on it (an existing quote is kept unless `requote`)."""
    policy = policy or load_policy()
    category = await session.get(ServiceCategory, order.category_code) if order.category_code else None
    fresh = quote(order, category, policy)
    if order.price_minor is not None and not requote:
        fee = order.fee_minor if order.fee_minor is not None else platform_fee(order.price_minor, policy)
        return Quote(
            price_minor=order.price_minor,
            fee_minor=fee,
            currency=order.currency,
            base_price_minor=fresh.base_price_minor,
            standard_duration_s=fresh.standard_duration_s,
            duration_s=order.duration_s,
            emergency=fresh.emergency,
        )
    order.price_minor = fresh.price_minor
    order.fee_minor = fresh.fee_minor
    order.currency = fresh.currency
    await session.flush()
    return fresh
