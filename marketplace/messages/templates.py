"""The message catalog: every text Fieldhand sends to a person, in plain text.

Templates are `str.format` strings. Datetime arguments are converted to the recipient's
time zone before formatting, so `{eta:%H:%M}` reads as the recipient's wall clock; `{zone}`
is that zone's name. A template with an `sms` text may also go out by SMS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SIGNATURE = "\n\n-- \nFieldhand"


@dataclass(frozen=True, slots=True)
class Template:
    args: tuple[str, ...]  # what the caller must pass (besides `name` and `zone`)
    subject: str
    body: str
    sms: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str
    sms: str | None


CATALOG: dict[str, Template] = {
    "access_link": Template(
        args=("summary", "url", "expires_at"),
        subject="Choose your visit time",
        body=(
            "Hello {name},\n\n"
            "We are sending a technician for: {summary}\n\n"
            "Choose a time that suits you here:\n{url}\n\n"
            "The link signs you in to your own visits only and works until "
            "{expires_at:%A %d %B %H:%M} ({zone}). Do not forward it."
        ),
        sms="Fieldhand: choose your visit time: {url}",
    ),
    "visit_to_book": Template(
        args=("summary",),
        subject="Choose your visit time",
        body=(
            "Hello {name},\n\n"
            "We are sending a technician for: {summary}\n"
            "Choose a time that suits you under your visits."
        ),
    ),
    "verify_email": Template(
        args=("url", "expires_at"),
        subject="Confirm your e-mail address",
        body=(
            "Hello {name},\n\n"
            "Confirm that this is your address to finish signing up:\n{url}\n\n"
            "The link works once, until {expires_at:%A %d %B %H:%M} ({zone}). If you did not sign "
            "up, ignore this mail."
        ),
    ),
    "staff_invitation": Template(
        args=("role", "url", "expires_at"),
        subject="You are invited to Fieldhand as {role}",
        body=(
            "Hello {name},\n\n"
            "You are invited to join Fieldhand as {role}. Choose your password here:\n{url}\n\n"
            "The link works once, until {expires_at:%A %d %B %H:%M} ({zone})."
        ),
    ),
    "booking_confirmation": Template(
        args=("summary", "window_start", "window_end", "note"),
        subject="Your visit is booked: {window_start:%a %d %b}, {window_start:%H:%M}-{window_end:%H:%M}",
        body=(
            "Hello {name},\n\n"
            'Your visit for "{summary}" is booked.\n'
            "Your technician arrives on {window_start:%A %d %B} between {window_start:%H:%M} "
            "and {window_end:%H:%M} ({zone}).{note}\n\n"
            "We will remind you before the visit and tell you when your technician is on the way."
        ),
    ),
    "slot_held": Template(
        args=("summary", "window_start", "window_end", "confirm_at"),
        subject=(
            "We kept a visit time for you: {window_start:%a %d %b}, {window_start:%H:%M}-{window_end:%H:%M}"
        ),
        body=(
            "Hello {name},\n\n"
            'You have not chosen a time yet for "{summary}", so we kept the earliest one that '
            "meets your service level: {window_start:%A %d %B} between {window_start:%H:%M} and "
            "{window_end:%H:%M} ({zone}).\n\n"
            "It is confirmed automatically on {confirm_at:%A %d %B} at {confirm_at:%H:%M} unless "
            "you pick another time before then."
        ),
        sms=(
            "Fieldhand: we kept {window_start:%a %d %b %H:%M} for your visit; confirmed "
            "{confirm_at:%a %H:%M} unless you pick another time."
        ),
    ),
    "appointment_reminder": Template(
        args=("summary", "window_start", "window_end"),
        subject=(
            "Reminder: your visit {window_start:%a %d %b} between {window_start:%H:%M} and {window_end:%H:%M}"
        ),
        body=(
            "Hello {name},\n\n"
            "A reminder: your technician arrives on {window_start:%A %d %B} between "
            '{window_start:%H:%M} and {window_end:%H:%M} ({zone}) for "{summary}".'
        ),
        sms="Fieldhand reminder: your visit {window_start:%a %d %b} {window_start:%H:%M}-{window_end:%H:%M}.",
    ),
    "technician_on_the_way": Template(
        args=("technician", "eta"),
        subject="Your technician is on the way, ETA {eta:%H:%M}",
        body=(
            "Hello {name},\n\n"
            "{technician} is on the way to you and expects to arrive at {eta:%H:%M} ({zone})."
        ),
        sms="Fieldhand: {technician} is on the way, ETA {eta:%H:%M}.",
    ),
    "technician_on_the_way_no_eta": Template(
        args=("technician",),
        subject="Your technician is on the way",
        body="Hello {name},\n\n{technician} is on the way to you.",
        sms="Fieldhand: {technician} is on the way.",
    ),
    "sla_risk_apology": Template(
        args=("summary", "new_time"),
        subject="Sorry: your visit will be later than promised, new time {new_time:%H:%M}",
        body=(
            "Hello {name},\n\n"
            "We are sorry: we cannot get the right technician to you within the time we promised "
            'for "{summary}".\n'
            "The new expected time is {new_time:%A %d %B} at {new_time:%H:%M} ({zone}).\n\n"
            "Rather than send someone without the right skills, we booked the earliest qualified "
            "technician. Reply to this message or ask for a call back if this does not work for you."
        ),
        sms="Fieldhand: sorry, your visit is delayed. New expected time {new_time:%a %H:%M}.",
    ),
    "receipt": Template(
        args=("summary", "amount", "paid_at", "reference"),
        subject="Receipt for your visit: {amount}",
        body=(
            "Hello {name},\n\n"
            'Thank you. We charged {amount} for "{summary}" on {paid_at:%d %B %Y %H:%M} ({zone}).\n'
            "Reference: {reference}"
        ),
    ),
    "technician_assigned": Template(
        args=("technician", "eta"),
        subject="{technician} will do your visit, expected at {eta:%H:%M}",
        body=(
            "Hello {name},\n\n"
            "{technician} will do your visit and plans to arrive at {eta:%H:%M} on {eta:%A %d %B} ({zone})."
        ),
    ),
    "eta_changed": Template(
        args=("eta", "reason"),
        subject="New arrival time for your visit: about {eta:%H:%M}",
        body="Hello {name},\n\nYour technician now expects to arrive at about {eta:%H:%M} ({zone}).",
        sms="Fieldhand: new arrival time for your visit, about {eta:%H:%M}.",
    ),
    "reassigning": Template(
        args=("summary",),
        subject="Your technician can no longer make it; we are finding another one",
        body=(
            "Hello {name},\n\n"
            'The technician planned for "{summary}" can no longer make it. We are finding another '
            "qualified technician and will tell you the new time."
        ),
    ),
    "payment_declined": Template(
        args=("summary", "reason"),
        subject="Your card was declined",
        body=(
            "Hello {name},\n\n"
            'Your card was declined for "{summary}" ({reason}), so the appointment was released. '
            "Add another card and book again, or ask for a call back."
        ),
    ),
    "offer_notice": Template(
        args=("summary", "window_start", "window_end", "earnings", "expires_at"),
        subject="New job offer: {summary}",
        body=(
            "Hello {name},\n\n"
            "You have a new job offer: {summary}\n"
            "Arrival window: {window_start:%A %d %B} {window_start:%H:%M}-{window_end:%H:%M} ({zone}).\n"
            "You earn: {earnings}.\n"
            "Answer in the app before {expires_at:%H:%M}."
        ),
        sms="Fieldhand: new job offer {window_start:%a %H:%M}, {earnings}. Answer before {expires_at:%H:%M}.",
    ),
    "visit_assigned": Template(
        args=("summary", "arrival"),
        subject="New visit on your plan: {summary}",
        body=(
            "Hello {name},\n\nA visit was added to your plan: {summary}\n"
            "Planned arrival: {arrival:%A %d %B %H:%M} ({zone})."
        ),
    ),
    "missed_offer_notice": Template(
        args=("summary", "reason"),
        subject="Why you did not get a job: {summary}",
        body=(
            "Hello {name},\n\n"
            'You were considered for "{summary}", and it went to another technician.\n'
            "The main reason: {reason}.\n"
            "Past receipts are under missed offers in the app."
        ),
    ),
    "payout_notice": Template(
        args=("amount", "summary", "paid_at"),
        subject="Payout sent: {amount}",
        body=(
            "Hello {name},\n\n"
            'We sent you {amount} for "{summary}" on {paid_at:%d %B %Y %H:%M} ({zone}). '
            "It reaches your bank account on your payout schedule."
        ),
    ),
}


def zone_of(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def render(name: str, args: Mapping[str, Any], *, recipient_name: str, tz: str | None) -> Rendered:
    """The template's texts with `args`; datetimes shown in `tz` (unknown zones: UTC)."""
    template = CATALOG[name]
    missing = [a for a in template.args if a not in args]
    if missing:
        raise ValueError(f"template {name!r} needs {', '.join(missing)}")
    zone = zone_of(tz)
    values = {k: v.astimezone(zone) if isinstance(v, datetime) else v for k, v in args.items()}
    values.update(name=recipient_name, zone=zone.key)
    return Rendered(
        subject=template.subject.format_map(values)[:300],
        body=template.body.format_map(values) + SIGNATURE,
        sms=template.sms.format_map(values) if template.sms else None,
    )


def money(amount_minor: int, currency: str) -> str:
    """`1250, "eur"` -> `12.50 EUR` (integer arithmetic; two decimals)."""
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{whole}.{cents:02d} {currency.upper()}"
