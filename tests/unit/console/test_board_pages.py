"""The schedule board is read a page of technicians at a time, ordered by name."""

from __future__ import annotations

import uuid

from api.console.pages import board_page_of
from marketplace.assignment.board import BoardRow
from marketplace.technicians.models import Technician


def rows(names: list[str]) -> list[BoardRow]:
    return [
        BoardRow(Technician(id=uuid.uuid4(), display_name=n, region="r", home_lat=0, home_lng=0))
        for n in names
    ]


def names(page: list[BoardRow]) -> list[str]:
    return [r.technician.display_name for r in page]


def test_pages_split_the_technicians_by_name_without_gaps_or_overlap() -> None:
    region = rows([f"Tech {i:03d}" for i in reversed(range(95))])
    pages = [board_page_of(region, n, size=40) for n in (1, 2, 3)]
    assert [(p.first, p.last, p.pages, p.total) for p in pages] == [
        (1, 40, 3, 95),
        (41, 80, 3, 95),
        (81, 95, 3, 95),
    ]
    seen = [n for p in pages for n in names(p.rows)]
    assert seen == sorted(seen) and len(set(seen)) == 95


def test_a_page_past_the_end_shows_the_last_one_and_an_empty_region_one_empty_page() -> None:
    last = board_page_of(rows(["b", "a", "C"]), 9, size=2)
    assert (last.number, names(last.rows), last.first, last.last) == (2, ["C"], 3, 3)
    empty = board_page_of([], 1)
    assert (empty.number, empty.pages, empty.rows, empty.first, empty.last, empty.total) == (
        1,
        1,
        [],
        0,
        0,
        0,
    )
