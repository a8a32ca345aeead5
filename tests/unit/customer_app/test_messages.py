"""Message catalogs: every key the customer app uses is in English, and a language is a file."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from api.customer_app import pages, wording
from api.web.messages import Catalog
from marketplace.work_orders.models import WorkOrderStatus

APP = Path(wording.__file__).parent
USED = re.compile(r"""\b(?:t|m)\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def test_every_key_the_app_uses_is_in_the_english_catalog() -> None:
    english = json.loads((APP / "messages" / "en.json").read_text())
    sources = [*APP.glob("templates/app/*.html"), *APP.glob("*.py")]
    used = {key for path in sources for key in USED.findall(path.read_text())}
    used |= {f"status.{s.value}" for s in WorkOrderStatus}
    used |= {f"note.{n}" for n in pages.NOTES}
    assert len(used) > 60  # the scan found the templates' texts
    assert sorted(used - english.keys()) == []


@pytest.fixture
def two_languages(tmp_path: Path) -> Catalog:
    (tmp_path / "en.json").write_text(
        json.dumps({"hello": "Hello {name}", "bye": "Bye", "days": "Mon|Tue|Wed|Thu|Fri|Sat|Sun"})
    )
    (tmp_path / "nl.json").write_text(json.dumps({"hello": "Hallo {name}"}))
    return Catalog(tmp_path)


def test_a_language_is_a_file_and_missing_texts_fall_back_to_english(two_languages: Catalog) -> None:
    dutch = two_languages.negotiate("nl-NL,nl;q=0.9,en;q=0.8")
    assert dutch.language == "nl"
    assert dutch("hello", name="Noor") == "Hallo Noor"
    assert dutch("bye") == "Bye"
    with pytest.raises(KeyError):
        dutch("never.defined")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("fr-FR,fr;q=0.9", "en"),
        ("fr;q=0.9,nl;q=0.5", "nl"),
        ("en;q=0.4,nl;q=0.6", "nl"),
        ("nl;q=0,en", "en"),
        ("NL-be", "nl"),
        ("nl;q=abc", "en"),
    ],
)
def test_accept_language_picks_the_best_file(
    two_languages: Catalog, header: str | None, language: str
) -> None:
    assert two_languages.negotiate(header).language == language


def test_dates_take_their_day_and_month_names_from_the_catalog(tmp_path: Path) -> None:
    english = json.loads((APP / "messages" / "en.json").read_text())
    (tmp_path / "en.json").write_text(json.dumps(english))
    dutch = {
        "days": "maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag",
        "months": "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december",
        "time.when": "{day} {date} {month}, {time}",
    }
    (tmp_path / "nl.json").write_text(json.dumps(dutch))
    nl = Catalog(tmp_path).get("nl")
    moment = datetime(2026, 3, 29, 9, 30, tzinfo=UTC)  # the day clocks go forward in Amsterdam
    assert wording.when(moment, ZoneInfo("Europe/Amsterdam"), nl) == "zondag 29 maart, 11:30"
    assert wording.when(moment, ZoneInfo("Europe/Amsterdam")) == "Sunday 29 March, 11:30"
