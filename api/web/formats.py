"""Numbers, money and times as people read them on a page (locale-light: English-style dates)."""

from __future__ import annotations

from datetime import datetime, tzinfo

SYMBOLS = {"eur": "€", "usd": "$", "gbp": "£"}


def money(amount_minor: int, currency: str, *, decimal: str = ",") -> str:
    symbol = SYMBOLS.get(currency.lower(), currency.upper() + " ")
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{symbol}{whole}{decimal}{cents:02d}"


def clock(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def day_and_clock(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%a %d %b, %H:%M")


def span(start: datetime, end: datetime, tz: tzinfo) -> str:
    return f"{day_and_clock(start, tz)}\u2013{clock(end, tz)}"


def distance(metres: int) -> str:
    return f"{metres} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def period(start: datetime, end: datetime, tz: tzinfo) -> str:
    """From one day and time to another (time off, absences)."""
    return f"{day_and_clock(start, tz)} \u2013 {day_and_clock(end, tz)}"
