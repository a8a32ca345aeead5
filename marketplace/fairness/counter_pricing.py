"""Pricing a counter-offer against the plan (pure: integers in, a verdict with its numbers out).

The counter's total = the pay asked + this technician's dispatch cost in money. It is
compared with the best alternative: the next qualified candidate at the quoted pay plus
their dispatch cost, or dropping the job (its unassigned penalty in money). Inside the
accept band, with the SLA met and the extra pay within what the platform absorbs from its
fee, it is accepted; above the decline band it is declined; in between a dispatcher decides.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from dispatch.scoring import DEFAULT_WEIGHTS
from marketplace.messages.templates import money
from marketplace.pricing.service import BPS, mul_div_half_up


class Verdict(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    DISPATCHER = "dispatcher"


@dataclass(frozen=True, slots=True)
class Band:
    minor_per_point: int
    accept_within_bps: int
    decline_above_bps: int
    max_fee_share_bps: int


@dataclass(frozen=True, slots=True)
class Alternative:
    cost: int  # dispatch cost units
    travel_s: int
    sla_met: bool


@dataclass(frozen=True, slots=True)
class CounterCase:
    currency: str
    quoted_pay_minor: int
    fee_minor: int
    counter_pay_minor: int
    own_cost: int  # dispatch cost units of this technician
    own_travel_s: int
    sla_met: bool  # the countered window still finishes before the SLA deadline
    alternative: Alternative | None
    drop_penalty: int  # dispatch cost units of leaving the job open


@dataclass(frozen=True, slots=True)
class CounterPrice:
    verdict: Verdict
    reason: str
    counter_total_minor: int
    alternative_total_minor: int | None
    drop_total_minor: int
    best_alternative_minor: int
    extra_pay_minor: int
    absorbable_minor: int
    sla_met: bool

    def numbers(self) -> dict[str, Any]:
        out = asdict(self)
        out["verdict"] = self.verdict.value
        return out


def _money_of(cost_units: int, band: Band) -> int:
    return mul_div_half_up(cost_units, band.minor_per_point, DEFAULT_WEIGHTS.cost_scale)


def price_counter(case: CounterCase, band: Band) -> CounterPrice:
    cur = case.currency
    counter_total = case.counter_pay_minor + _money_of(case.own_cost, band)
    alt = case.alternative
    alt_total = case.quoted_pay_minor + _money_of(alt.cost, band) if alt is not None else None
    drop_total = _money_of(case.drop_penalty, band)
    best = min(alt_total, drop_total) if alt_total is not None else drop_total
    extra = case.counter_pay_minor - case.quoted_pay_minor
    absorbable = mul_div_half_up(case.fee_minor, band.max_fee_share_bps, BPS)
    accept_limit = best + mul_div_half_up(best, band.accept_within_bps, BPS)
    decline_limit = best + mul_div_half_up(best, band.decline_above_bps, BPS)

    def verdict(v: Verdict, reason: str) -> CounterPrice:
        return CounterPrice(
            verdict=v,
            reason=reason,
            counter_total_minor=counter_total,
            alternative_total_minor=alt_total,
            drop_total_minor=drop_total,
            best_alternative_minor=best,
            extra_pay_minor=extra,
            absorbable_minor=absorbable,
            sla_met=case.sla_met,
        )

    alt_is_best = alt is not None and alt_total is not None and alt_total <= drop_total
    if not case.sla_met:
        if alt_is_best and alt is not None and alt.sla_met:
            return verdict(
                Verdict.DECLINE,
                "the window you asked for misses the service deadline, and another qualified "
                f"technician can be there in time for {money(case.quoted_pay_minor, cur)}",
            )
        return verdict(Verdict.DISPATCHER, "the window you asked for misses the service deadline")
    if counter_total <= accept_limit:
        if extra <= absorbable:
            return verdict(Verdict.ACCEPT, f"accepted at {money(case.counter_pay_minor, cur)}")
        return verdict(
            Verdict.DISPATCHER,
            f"the extra {money(extra, cur)} is more than the platform can absorb "
            f"({money(absorbable, cur)}); a dispatcher decides",
        )
    if counter_total > decline_limit:
        if alt_is_best and alt is not None and alt_total is not None:
            minutes = round((alt.travel_s - case.own_travel_s) / 60)
            when = (
                f"arrive {minutes} min later"
                if minutes > 0
                else f"arrive {-minutes} min sooner"
                if minutes < 0
                else "arrive as soon"
            )
            return verdict(
                Verdict.DECLINE,
                f"another qualified technician can {when} for {money(counter_total - alt_total, cur)} "
                f"less in total ({money(alt_total, cur)} against {money(counter_total, cur)} "
                "for your counter)",
            )
        return verdict(
            Verdict.DECLINE,
            f"your counter costs {money(counter_total, cur)} in total, more than leaving the job "
            f"for later ({money(drop_total, cur)})",
        )
    return verdict(
        Verdict.DISPATCHER,
        f"your counter costs {money(counter_total, cur)} in total against {money(best, cur)} "
        "for the best alternative; a dispatcher decides",
    )
