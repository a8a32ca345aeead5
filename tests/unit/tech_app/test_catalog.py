"""The technician app's message catalog: every text a template or handler asks for exists in
English (the shared catalog, `api/web/messages.py`, falls back to it for other languages)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.tech_app.common import CATALOG

APP = Path(__file__).resolve().parents[3] / "api" / "tech_app"
KEY = re.compile(r"""["']((?:tech|js)\.[a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")


def test_every_key_named_in_templates_and_code_is_in_english() -> None:
    english = CATALOG.default.texts
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
        assert CATALOG.get("en")(prefix + suffix)
