"""Plain words for the customer: what happens next, money, times and ratings.

The sentences come from the app's message catalog (`messages/<language>.json`); every
function takes the reader's `Messages` (English when none is given).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request

from api.web.messages import Catalog, Messages
from marketplace.bookings.slots import Availability, SlotOption
from marketplace.timeutil import from_epoch
from marketplace.visits.eta import Estimate
from marketplace.work_orders.models import WorkOrderStatus as S

CATALOG = Catalog(Path(__file__).parent / "messages")
EN = CATALOG.default


def messages_for(request: Request[Any, Any, Any]) -> Messages:
    return CATALOG.negotiate(request.headers.get("accept-language"))


def money(amount_minor: int, currency: str) -> str:
    symbol = {"eur": "€", "usd": "$", "gbp": "£"}.get(currency.lower(), currency.upper() + " ")
    return f"{symbol}{amount_minor // 100},{amount_minor % 100:02d}"


def clock(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def when(moment: datetime, tz: ZoneInfo, m: Messages = EN) -> str:
    local = moment.astimezone(tz)
    return m(
        "time.when",
        day=m.text("days").split("|")[local.weekday()],
        date=f"{local.day:02d}",
        month=m.text("months").split("|")[local.month - 1],
        time=local.strftime("%H:%M"),
    )


def window(start: datetime, end: datetime, tz: ZoneInfo, m: Messages = EN) -> str:
    return f"{when(start, tz, m)}\u2013{clock(end, tz)}"


def slot_label(slot: SlotOption, tz: ZoneInfo, m: Messages = EN) -> str:
    return window(from_epoch(slot.start), from_epoch(slot.end), tz, m)


def status(value: str, m: Messages = EN) -> str:
    return m(f"status.{value}")


def next_step(
    state: str,
    estimate: Estimate,
    availability: Availability | None,
    earliest: SlotOption | None,
    tz: ZoneInfo,
    m: Messages = EN,
) -> str:
    """One or two sentences on what happens next, from the order's state."""
    name = estimate.technician_name or m("next.your_technician")
    if state in (S.NEW, S.TRIAGED):
        if availability is Availability.AVAILABLE:
            return m("next.choose")
        if availability is Availability.SLA_AT_RISK and earliest is not None:
            return m("next.late", window=slot_label(earliest, tz, m))
        return m("next.nobody")
    if state in (S.SCHEDULED, S.OFFERED) and estimate.window_start and estimate.window_end:
        return m("next.booked", window=window(estimate.window_start, estimate.window_end, tz, m))
    if state == S.ASSIGNED and estimate.window_start and estimate.window_end:
        return m("next.assigned", name=name, window=window(estimate.window_start, estimate.window_end, tz, m))
    if state == S.EN_ROUTE:
        if estimate.arrival is not None:
            return m("next.en_route_eta", name=name, time=clock(estimate.arrival, tz))
        return m("next.en_route", name=name)
    if state == S.ON_SITE:
        return m("next.on_site", name=name)
    if state == S.COMPLETED:
        return m("next.completed")
    if state == S.CANCELLED:
        return m("next.cancelled")
    return m("next.support")


def payment(
    state: str,
    *,
    authorized: int,
    captured: int,
    refunded: int,
    currency: str,
    waiting_for_card: bool,
    problem: str | None,
    m: Messages = EN,
) -> str:
    """The hold, the charge and any refund on the customer's card, in one or two sentences."""
    held, charged, back = money(authorized, currency), money(captured, currency), money(refunded, currency)
    if state == "pending":
        return m("pay.waiting_for_card") if waiting_for_card else m("pay.authorising", held=held)
    if state == "authorized":
        return m("pay.held", held=held)
    if state == "captured":
        released = authorized - captured
        words = m("pay.charged", charged=charged)
        if released > 0:
            words += " " + m("pay.released_rest", released=money(released, currency))
        return words
    if state == "partially_refunded":
        return m("pay.partly_refunded", charged=charged, refunded=back)
    if state == "refunded":
        return m("pay.refunded", refunded=back)
    if state == "canceled":
        return m("pay.released")
    if state == "failed":
        return m("pay.failed", problem=problem or m("pay.declined"))
    return m("pay.unknown")


def rating(stars_sum: int, count: int, m: Messages = EN) -> str:
    if count == 0:
        return m("rating.none")
    average = f"{stars_sum / count:.1f}"
    return m("rating.one", average=average) if count == 1 else m("rating.many", average=average, count=count)
