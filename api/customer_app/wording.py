"""Plain words for the customer: what happens next, money and times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from marketplace.bookings.eta import Estimate
from marketplace.bookings.slots import Availability, SlotOption
from marketplace.timeutil import from_epoch
from marketplace.work_orders.models import WorkOrderStatus as S


def money(amount_minor: int, currency: str) -> str:
    symbol = {"eur": "€", "usd": "$", "gbp": "£"}.get(currency.lower(), currency.upper() + " ")
    return f"{symbol}{amount_minor // 100},{amount_minor % 100:02d}"


def when(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%A %d %B, %H:%M")


def window(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    return f"{when(start, tz)}\u2013{end.astimezone(tz).strftime('%H:%M')}"


def slot_label(slot: SlotOption, tz: ZoneInfo) -> str:
    return window(from_epoch(slot.start), from_epoch(slot.end), tz)


def next_step(
    status: str,
    estimate: Estimate,
    availability: Availability | None,
    earliest: SlotOption | None,
    tz: ZoneInfo,
) -> str:
    """One or two sentences on what happens next, from the order's state."""
    name = estimate.technician_name or "Your technician"
    if status in (S.NEW, S.TRIAGED):
        if availability is Availability.AVAILABLE:
            return "Choose a time below and we'll send a qualified technician."
        if availability is Availability.SLA_AT_RISK and earliest is not None:
            return (
                f"The earliest a qualified technician can come is {slot_label(earliest, tz)}, which is "
                "later than we promised. We've told support; you can book it below or talk to a person."
            )
        return "No qualified technician is free yet. Support has been told and will call you."
    if status in (S.SCHEDULED, S.OFFERED) and estimate.window_start and estimate.window_end:
        return (
            f"Your visit is booked for {window(estimate.window_start, estimate.window_end, tz)}. "
            "We're matching a technician now; you'll get a message when it's confirmed."
        )
    if status == S.ASSIGNED and estimate.window_start and estimate.window_end:
        return f"{name} will come {window(estimate.window_start, estimate.window_end, tz)}."
    if status == S.EN_ROUTE:
        if estimate.arrival is not None:
            return f"{name} is on the way and should arrive around {estimate.arrival.astimezone(tz):%H:%M}."
        return f"{name} is on the way."
    if status == S.ON_SITE:
        return f"{name} has arrived."
    if status == S.COMPLETED:
        return "The visit is done. Thank you!"
    if status == S.CANCELLED:
        return "This visit is cancelled."
    return "Support is looking at your request and will call you."
