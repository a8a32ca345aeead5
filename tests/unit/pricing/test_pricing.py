"""Pricing rules: one quote function, cancellation fees, both settable by environment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.pricing.cancellation import cancellation_fee, collectable_fee
from marketplace.pricing.policy import MoneyPolicy
from marketplace.pricing.service import authorization_amount, platform_fee, quote


@dataclass(frozen=True)
class Category:
    base_price_minor: int
    duration_s: int


HVAC = Category(base_price_minor=12_000, duration_s=3600)
POLICY = MoneyPolicy()


def test_emergency_quote_adds_up_and_splits_into_fee_and_pay() -> None:
    q = quote(category=HVAC, duration_s=5400, priority=1, tier="standard", policy=POLICY, currency="EUR")
    assert q.price_minor == 27_000  # 120.00 x 1.5 h x 1.5 emergency
    assert q.base_price_minor + q.duration_adjustment_minor + q.priority_surcharge_minor == 27_000
    assert (q.duration_adjustment_minor, q.priority_surcharge_minor, q.tier_surcharge_minor) == (
        6_000,
        9_000,
        0,
    )
    assert (q.fee_minor, q.earnings_minor, q.currency) == (4_050, 22_950, "eur")
    assert authorization_amount(q.price_minor, POLICY) == 27_000


def test_an_order_without_a_category_has_the_policy_default_price_and_a_fee() -> None:
    q = quote(category=None, duration_s=3600, priority=3, tier="standard", policy=POLICY, currency="eur")
    assert (q.price_minor, q.fee_minor, q.earnings_minor) == (9_000, 1_350, 7_650)


def test_tier_surcharge_is_a_policy_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDHAND_MONEY_TIER_SURCHARGE_BPS", '{"premium": 2000}')
    policy = MoneyPolicy()
    premium = quote(category=HVAC, duration_s=3600, priority=3, tier="premium", policy=policy, currency="eur")
    standard = quote(
        category=HVAC, duration_s=3600, priority=3, tier="standard", policy=policy, currency="eur"
    )
    assert (premium.tier_surcharge_minor, premium.price_minor, standard.price_minor) == (
        2_400,
        14_400,
        12_000,
    )


START = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "en_route", "by_customer", "fee"),
    [
        (timedelta(hours=25), False, True, 0),
        (timedelta(hours=1), False, True, 4_500),
        (timedelta(hours=1), True, True, 9_000),
        (timedelta(hours=1), True, False, 0),  # support cancelling never charges
    ],
)
def test_cancellation_fee(before: timedelta, en_route: bool, by_customer: bool, fee: int) -> None:
    terms = cancellation_fee(
        now=START - before,
        window_start=START,
        price_minor=9_000,
        en_route=en_route,
        by_customer=by_customer,
        policy=POLICY,
    )
    assert terms.fee_minor == fee and terms.free_until == START - timedelta(hours=24)


def test_cancellation_rules_are_settable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDHAND_MONEY_CANCELLATION_FREE_UNTIL_S", "7200")
    monkeypatch.setenv("FIELDHAND_MONEY_CANCELLATION_LATE_FEE_BPS", "2500")
    policy = MoneyPolicy()
    early = cancellation_fee(
        now=START - timedelta(hours=3),
        window_start=START,
        price_minor=9_000,
        en_route=False,
        by_customer=True,
        policy=policy,
    )
    late = cancellation_fee(
        now=START - timedelta(hours=1),
        window_start=START,
        price_minor=9_000,
        en_route=False,
        by_customer=True,
        policy=policy,
    )
    assert (early.fee_minor, late.fee_minor, late.free_until) == (0, 2_250, START - timedelta(hours=2))


def test_only_money_held_can_be_kept() -> None:
    assert collectable_fee(6_000, 4_000) == 4_000
    assert collectable_fee(6_000, 0) == 0
    assert collectable_fee(3_000, 12_000) == 3_000


def test_settlement_keeps_a_counter_offers_agreed_pay() -> None:
    from types import SimpleNamespace

    from marketplace.pricing.service import settlement_split

    policy = MoneyPolicy()
    quoted = SimpleNamespace(price_minor=9_000, fee_minor=platform_fee(9_000, policy))
    # no counter: the policy's split of what was charged
    assert settlement_split(9_000, quoted, policy).fee_minor == platform_fee(9_000, policy)  # type: ignore[arg-type]
    # an accepted counter raised the pay by 550: the platform gave up 550 of its fee
    countered = SimpleNamespace(price_minor=9_000, fee_minor=platform_fee(9_000, policy) - 550)
    shares = settlement_split(9_000, countered, policy)  # type: ignore[arg-type]
    assert shares.fee_minor == platform_fee(9_000, policy) - 550
    assert shares.earnings_minor == 9_000 - platform_fee(9_000, policy) + 550
    # the fee never goes below zero, and without a technician the platform keeps it all
    generous = SimpleNamespace(price_minor=9_000, fee_minor=0)
    assert settlement_split(1_000, generous, policy).fee_minor == 0  # type: ignore[arg-type]
    assert settlement_split(9_000, quoted, policy, has_technician=False).fee_minor == 9_000  # type: ignore[arg-type]
