"""The message catalog: every template renders, times read in the recipient's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketplace.messages.templates import CATALOG, money, render

SUMMER = datetime(2026, 7, 1, 12, 5, tzinfo=UTC)  # 14:05 in Amsterdam (CEST), 08:05 in New York
WINTER = datetime(2026, 1, 15, 12, 5, tzinfo=UTC)  # 13:05 in Amsterdam (CET)


def sample_args(name: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for arg in CATALOG[name].args:
        if arg in {"eta", "window_start", "expires_at", "new_time", "paid_at", "arrival", "confirm_at"}:
            values[arg] = SUMMER
        elif arg == "window_end":
            values[arg] = SUMMER.replace(hour=14)
        else:
            values[arg] = f"<{arg}>"
    return values


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_every_template_renders_with_its_documented_arguments(name: str) -> None:
    text = render(name, sample_args(name), recipient_name="Ada", tz="Europe/Amsterdam")
    assert text.subject and "{" not in text.subject and "{" not in text.body
    assert text.body.startswith("Hello Ada")
    assert len(text.subject) <= 300
    if text.sms is not None:
        assert len(text.sms) <= 160 and "{" not in text.sms


def test_on_the_way_shows_the_eta_on_the_customers_clock() -> None:
    args = {"technician": "Sam", "eta": SUMMER}
    assert render("technician_on_the_way", args, recipient_name="Ada", tz="Europe/Amsterdam").subject == (
        "Your technician is on the way, ETA 14:05"
    )
    assert (
        "ETA 08:05"
        in render("technician_on_the_way", args, recipient_name="Al", tz="America/New_York").subject
    )
    winter = render(
        "technician_on_the_way",
        {"technician": "Sam", "eta": WINTER},
        recipient_name="A",
        tz="Europe/Amsterdam",
    )
    assert winter.subject.endswith("ETA 13:05") and "(Europe/Amsterdam)" in winter.body


def test_an_unknown_zone_falls_back_to_utc_and_missing_arguments_are_refused() -> None:
    text = render(
        "technician_on_the_way", {"technician": "Sam", "eta": SUMMER}, recipient_name="A", tz="Mars/Olympus"
    )
    assert text.subject.endswith("ETA 12:05") and "(UTC)" in text.body
    with pytest.raises(ValueError, match="needs eta"):
        render("technician_on_the_way", {"technician": "Sam"}, recipient_name="A", tz="UTC")


def test_access_link_and_apology_carry_the_url_and_the_new_time() -> None:
    link = render(
        "access_link",
        {"summary": "Boiler", "url": "https://fieldhand.test/a/abc?sig=1", "expires_at": SUMMER},
        recipient_name="Ada",
        tz="Europe/Amsterdam",
    )
    assert "https://fieldhand.test/a/abc?sig=1" in link.body and link.sms and "https://" in link.sms
    sorry = render(
        "sla_risk_apology",
        {"summary": "Boiler", "new_time": SUMMER},
        recipient_name="A",
        tz="Europe/Amsterdam",
    )
    assert "14:05" in sorry.subject and "Wednesday 01 July at 14:05" in sorry.body


def test_money_is_integer_minor_units() -> None:
    assert money(12_050, "eur") == "120.50 EUR"
    assert money(5, "usd") == "0.05 USD"
    assert money(-1_999, "eur") == "-19.99 EUR"
