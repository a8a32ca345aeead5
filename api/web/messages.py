"""Message catalogs for the server-rendered apps: every text a person reads, by key, in one
JSON file per language (`<folder>/en.json`, `<folder>/nl.json`, ...). Adding a language is
adding a file; a key missing from it falls back to the default language.

Texts are `str.format` templates with named fields: `"{name} is on the way."`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class Messages:
    """The texts of one language (with the default language behind it)."""

    def __init__(self, language: str, texts: dict[str, str], fallback: Messages | None = None) -> None:
        self.language = language
        self.texts = texts
        self.fallback = fallback

    def text(self, key: str) -> str:
        found = self.texts.get(key)
        if found is not None:
            return found
        if self.fallback is not None:
            return self.fallback.text(key)
        raise KeyError(f"no message {key!r} in the {self.language!r} catalog")

    def __call__(self, key: str, **values: Any) -> str:
        return self.text(key).format(**values)


class Catalog:
    """All languages found in one folder; `default` must be there and have every key."""

    def __init__(self, folder: Path, default: str = "en") -> None:
        raw = {
            path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))
        }
        if default not in raw:
            raise FileNotFoundError(f"{folder / (default + '.json')} is missing")
        self.default = Messages(default, raw[default])
        self.languages = {
            lang: self.default if lang == default else Messages(lang, texts, self.default)
            for lang, texts in raw.items()
        }

    def get(self, language: str) -> Messages:
        return self.languages.get(language.lower(), self.default)

    def negotiate(self, accept_language: str | None) -> Messages:
        """The best language for an `Accept-Language` header (q-values honoured)."""
        ranked: list[tuple[float, int, str]] = []
        for index, part in enumerate((accept_language or "").split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            if tag and quality > 0:
                ranked.append((-quality, index, tag.strip().lower()))
        for _q, _i, tag in sorted(ranked):
            for candidate in (tag, tag.split("-", 1)[0]):
                if candidate in self.languages:
                    return self.languages[candidate]
        return self.default
