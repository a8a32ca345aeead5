"""Opaque keyset cursors: base64url of a small JSON list (a timestamp and an id).

Services page with `WHERE (sort_key, id) > (after)` so a list never skips or repeats a row
when new rows arrive between pages (offset paging would).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from marketplace.errors import InvalidInput

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(moment: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([moment.isoformat(), str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, row_id = json.loads(raw)
        decoded = datetime.fromisoformat(moment), uuid.UUID(row_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidInput("The cursor is not valid; start again without one", field="cursor") from exc
    if decoded[0].tzinfo is None:
        raise InvalidInput("The cursor is not valid; start again without one", field="cursor")
    return decoded


async def keyset_page(
    session: AsyncSession,
    query: SelectOfScalar[T],
    *,
    sort_column: Any,
    id_column: Any,
    cursor: str | None,
    limit: int,
    sort_of: Callable[[T], datetime],
    id_of: Callable[[T], uuid.UUID],
    descending: bool = False,
) -> Page[T]:
    """One page of `query` ordered by (sort_column, id_column), after `cursor`."""
    after = decode_cursor(cursor)
    key = sa.tuple_(sort_column, id_column)
    if after is not None:
        query = query.where(key < sa.tuple_(*after) if descending else key > sa.tuple_(*after))
    order = (sort_column.desc(), id_column.desc()) if descending else (sort_column, id_column)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = list((await session.execute(query.order_by(*order).limit(limit + 1))).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(sort_of(rows[-1]), id_of(rows[-1])) if more and rows else None
    return Page(rows, next_cursor)


async def page_of(
    session: AsyncSession,
    query: SelectOfScalar[T],
    model: Any,
    *,
    cursor: str | None,
    limit: int,
    by: str = "created_at",
    newest_first: bool = True,
) -> Page[T]:
    """One page of `query` over `model` rows, ordered by `model.<by>` and then the id
    (newest first unless `newest_first=False`)."""
    return await keyset_page(
        session,
        query,
        sort_column=getattr(model, by),
        id_column=model.id,
        cursor=cursor,
        limit=limit,
        sort_of=attrgetter(by),
        id_of=attrgetter("id"),
        descending=newest_first,
    )
