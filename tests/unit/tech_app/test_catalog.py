"""The technician app's message catalog: every text a template or handler asks for exists in
English, another language is just a file, and a missing translation falls back to English."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from api.tech_app.common import CATALOG
from api.web.catalog import Catalog

APP = Path(__file__).resolve().parents[3] / "api" / "tech_app"
KEY = re.compile(r"""["']((?:tech|js)\.[a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")


def test_every_key_named_in_templates_and_code_is_in_english() -> None:
    english = CATALOG.languages["en"]
    sources = [*APP.glob("templates/tech/*.html"), *APP.glob("**/*.py")]
    named = {key for path in sources for key in KEY.findall(path.read_text())}
    assert len(named) > 50
    assert sorted(named - english.keys()) == []


@pytest.mark.parametrize(
    ("prefix", "suffixes"),
    [
        ("tech.step.", ["en_route", "on_site", "completed", "failed"]),
        ("tech.status.", ["assigned", "en_route", "on_site", "completed", "failed"]),
        ("tech.payout.", ["not_scheduled", "pending", "held", "paid", "failed", "canceled"]),
        ("tech.weekday.", [str(d) for d in range(7)]),
        ("tech.decline.reason.", ["too_far", "busy", "skills", "pay", "other"]),
    ],
)
def test_texts_built_from_a_prefix_exist_for_every_value(prefix: str, suffixes: list[str]) -> None:
    for suffix in suffixes:
        assert CATALOG.text("en", prefix + suffix)


def test_another_language_is_a_file_and_missing_texts_fall_back_to_english(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text(json.dumps({"hello": "Hello {name}", "bye": "Bye"}))
    (tmp_path / "nl.json").write_text(json.dumps({"hello": "Hallo {name}"}))
    catalog = Catalog(tmp_path)
    assert catalog.choose("nl-NL,nl;q=0.9,en;q=0.8") == "nl"
    assert catalog.choose("fr-FR, de;q=0.5") == "en"
    assert catalog.choose(None) == "en"
    dutch = catalog.translator("nl")
    assert dutch("hello", name="Sam") == "Hallo Sam"
    assert dutch("bye") == "Bye"
    with pytest.raises(KeyError):
        dutch("never-written")


def test_a_catalog_without_english_is_refused(tmp_path: Path) -> None:
    (tmp_path / "nl.json").write_text(json.dumps({"hello": "Hallo"}))
    with pytest.raises(ValueError, match=r"no en\.json"):
        _ = Catalog(tmp_path).languages
