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


def payment(
    status: str,
    *,
    authorized: int,
    captured: int,
    refunded: int,
    currency: str,
    waiting_for_card: bool,
    problem: str | None,
) -> str:
    """The hold, the charge and any refund on the customer's card, in one or two sentences."""
    held, charged, back = money(authorized, currency), money(captured, currency), money(refunded, currency)
    if status == "pending":
        if waiting_for_card:
            return "Add a card to confirm your visit. It stays booked until then; nothing is charged yet."
        return f"We're asking your bank to hold {held} on your card. Nothing is charged yet."
    if status == "authorized":
        return f"We're holding {held} on your card. Nothing is charged until the work is done."
    if status == "captured":
        released = authorized - captured
        rest = f" The rest of the hold ({money(released, currency)}) is released." if released > 0 else ""
        return f"We charged {charged} to your card.{rest}"
    if status == "partially_refunded":
        return f"We charged {charged} and refunded {back} to your card."
    if status == "refunded":
        return f"We refunded the full {back} to your card."
    if status == "canceled":
        return "The hold on your card was released. You were not charged."
    if status == "failed":
        return f"Your bank did not accept the card: {problem or 'declined'}. Add another card to book again."
    return "We'll show your payment here."


def rating(stars_sum: int, count: int) -> str:
    if count == 0:
        return "New on Fieldhand, no ratings yet"
    average = stars_sum / count
    return f"\u2605 {average:.1f} from {count} rating{'s' if count != 1 else ''}"
