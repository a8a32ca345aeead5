"""Message catalogs for the server-rendered apps: one JSON file per language, English first.

An app keeps its texts in `<folder>/<lang>.json` (a flat object of key -> text with
`{name}` placeholders). Adding a language is adding a file. A key missing from a language
falls back to English, and a key missing from English is an error at load time of the page
(a `KeyError`), never a silently empty label.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Catalog:
    folder: Path

    @cached_property
    def languages(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for path in sorted(self.folder.glob("*.json")):
            texts = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
                raise ValueError(f"{path}: a catalog is a flat object of strings")
            found[path.stem] = texts
        if DEFAULT_LANGUAGE not in found:
            raise ValueError(f"{self.folder}: no {DEFAULT_LANGUAGE}.json")
        return found

    def choose(self, accept_language: str | None) -> str:
        """The best language we have for an Accept-Language header (English otherwise)."""
        wanted: list[tuple[float, str]] = []
        for part in (accept_language or "").split(","):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            if tag:
                wanted.append((quality, tag.lower()))
        for _quality, tag in sorted(wanted, key=lambda w: -w[0]):
            for candidate in (tag, tag.split("-")[0]):
                if candidate in self.languages:
                    return candidate
        return DEFAULT_LANGUAGE

    def text(self, language: str, key: str, **values: Any) -> str:
        texts = self.languages.get(language, {})
        template = texts.get(key) or self.languages[DEFAULT_LANGUAGE][key]
        return template.format(**values) if values else template

    def translator(self, language: str) -> Translator:
        return Translator(self, language)


@dataclass(frozen=True)
class Translator:
    """The catalog bound to one language: `t("key", name=...)` in templates and handlers."""

    catalog: Catalog
    language: str

    def __call__(self, key: str, **values: Any) -> str:
        return self.catalog.text(self.language, key, **values)

    def has(self, key: str) -> bool:
        return key in self.catalog.languages[DEFAULT_LANGUAGE]

    def texts(self, prefix: str) -> Mapping[str, str]:
        """Every text whose key starts with `prefix` (e.g. the strings page scripts need)."""
        english = self.catalog.languages[DEFAULT_LANGUAGE]
        return {k: self(k) for k in english if k.startswith(prefix)}
