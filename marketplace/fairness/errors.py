"""Counter-offer errors (problem `type` = PROBLEM_BASE + slug)."""

from __future__ import annotations

from marketplace.errors import Conflict, InvalidInput


class CounterAlreadyDecided(Conflict):
    slug = "counter-already-decided"
    title = "The counter-offer has already been decided"


class CounterOutOfRange(InvalidInput):
    slug = "counter-out-of-range"
    title = "The counter-offer asks for something that cannot be priced"
