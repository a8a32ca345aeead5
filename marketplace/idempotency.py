"""`Idempotency-Key` for creating requests, stored in the database.

Semantics (close to Stripe's):
- same principal + key + same request  -> the stored response is replayed;
- same key with a different request    -> `IdempotencyKeyReused` (422);
- same key while the first is running   -> `IdempotencyKeyInProgress` (409);
- the first request failed              -> the claim is released; the client may retry.

The claim is committed in its own short transaction so concurrent duplicates see it; the
stored response is written in the business transaction, so "completed" and the effects
commit together.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Field, SQLModel, col, select

from marketplace.db import created_at_field, id_field, json_field, time_field
from marketplace.db_dialect import insert_ignoring_conflicts, supports_row_locks
from marketplace.errors import IdempotencyKeyInProgress, IdempotencyKeyReused, InvalidInput

MAX_KEY_LENGTH = 255


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("principal", "key", name="uq_idempotency_keys_principal_key"),)

    id: uuid.UUID = id_field()
    principal: str = Field(max_length=100)
    key: str = Field(max_length=MAX_KEY_LENGTH)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    request_hash: str = Field(max_length=64)
    status: str = Field(default="in_progress", max_length=20)
    response_status: int | None = None
    response_body: Any = json_field(lambda: None)
    locked_at: datetime | None = time_field()
    created_at: datetime = created_at_field()


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


Operation = Callable[[], Awaitable[tuple[int, Any]]]


async def run_idempotent(
    factory: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    *,
    principal: str,
    key: str | None,
    method: str,
    path: str,
    body: bytes,
    operation: Operation,
    now: datetime,
    lock_s: int = 60,
) -> tuple[int, Any]:
    """Run `operation` (returning status and a JSON-ready body) at most once per key."""
    if key is None:
        return await operation()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} printable characters")
    request_hash = fingerprint(method, path, body)

    replay, claim_id = await _claim(factory, principal, key, method, path, request_hash, lock_s, now=now)
    if replay is not None:
        return replay
    try:
        status, response = await operation()
    except BaseException:
        await _release(factory, claim_id)
        raise
    await session.execute(
        sa.update(IdempotencyKey)
        .where(IdempotencyKey.id == claim_id)  # type: ignore[arg-type]
        .values(status="completed", response_status=status, response_body=response, locked_at=None)
    )
    return status, response


async def _claim(
    factory: async_sessionmaker[AsyncSession],
    principal: str,
    key: str,
    method: str,
    path: str,
    request_hash: str,
    lock_s: int,
    *,
    now: datetime,
) -> tuple[tuple[int, Any] | None, uuid.UUID]:
    async with factory() as claim:
        claim_id = uuid.uuid4()
        inserted = await insert_ignoring_conflicts(
            claim,
            IdempotencyKey,
            {
                "id": claim_id,
                "principal": principal,
                "key": key,
                "method": method,
                "path": path,
                "request_hash": request_hash,
                "status": "in_progress",
                "locked_at": now,
                "created_at": now,
                "response_body": None,
            },
            conflict_columns=["principal", "key"],
        )
        if inserted:
            await claim.commit()
            return None, claim_id
        query = select(IdempotencyKey).where(IdempotencyKey.principal == principal, IdempotencyKey.key == key)
        if supports_row_locks(claim):
            query = query.with_for_update()
        row = (await claim.execute(query)).scalar_one()
        if row.request_hash != request_hash:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request; use a new key for a new request"
            )
        if row.status == "completed":
            assert row.response_status is not None
            return (row.response_status, row.response_body), row.id
        if row.locked_at is not None and row.locked_at > now - timedelta(seconds=lock_s):
            raise IdempotencyKeyInProgress("The first request with this Idempotency-Key is still running")
        row.locked_at = now  # the earlier attempt died; take over its claim
        await claim.commit()
        return None, row.id


async def _release(factory: async_sessionmaker[AsyncSession], claim_id: uuid.UUID) -> None:
    async with factory() as release:
        await release.execute(
            sa.delete(IdempotencyKey).where(
                IdempotencyKey.id == claim_id,  # type: ignore[arg-type]
                col(IdempotencyKey.status) == "in_progress",
            )
        )
        await release.commit()
