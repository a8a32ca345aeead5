"""Every device query, by name."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.catalog.models import ServiceCategory
from marketplace.customers.models import Customer
from marketplace.db_dialect import row_for_update
from marketplace.devices.models import Device, DeviceRule, DeviceStatus, HourlyReading, Reading
from marketplace.users.models import User
from marketplace.work_orders.models import WorkOrder, WorkOrderSource


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "postgresql"


def on_postgresql(session: AsyncSession) -> bool:
    return _dialect(session) == "postgresql"


async def device(session: AsyncSession, device_id: uuid.UUID, *, lock: bool = False) -> Device | None:
    return await row_for_update(session, Device, device_id, lock=lock)


async def owner(session: AsyncSession, device: Device) -> Customer | None:
    """The customer the device belongs to."""
    return await session.get(Customer, device.customer_id)


async def owner_login_id(session: AsyncSession, customer_id: uuid.UUID) -> uuid.UUID | None:
    """A login of the device's customer, if they have one."""
    query = select(User.id).where(User.customer_id == customer_id).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def category(session: AsyncSession, code: str) -> ServiceCategory | None:
    """The service category a device's problems are filed under."""
    return await session.get(ServiceCategory, code)


async def devices_of(session: AsyncSession, customer_id: uuid.UUID | None) -> list[Device]:
    query = select(Device).where(Device.status == DeviceStatus.ACTIVE)
    if customer_id is not None:
        query = query.where(Device.customer_id == customer_id)
    return list((await session.execute(query.order_by(col(Device.created_at)))).scalars())


async def rules_for_model(session: AsyncSession, model: str) -> list[DeviceRule]:
    query = select(DeviceRule).where(DeviceRule.model == model, col(DeviceRule.enabled).is_(True))
    return list((await session.execute(query)).scalars())


async def all_rules(session: AsyncSession) -> list[DeviceRule]:
    query = select(DeviceRule).order_by(col(DeviceRule.model), col(DeviceRule.metric), col(DeviceRule.kind))
    return list((await session.execute(query)).scalars())


async def rule(session: AsyncSession, model: str, metric: str, kind: str) -> DeviceRule | None:
    query = select(DeviceRule).where(
        DeviceRule.model == model, DeviceRule.metric == metric, DeviceRule.kind == kind
    )
    return (await session.execute(query)).scalar_one_or_none()


_INSERT_PG = sa.text(
    "INSERT INTO device_readings (device_id, metric_id, at, value) "
    "SELECT :device_id, unnest(CAST(:metric_ids AS smallint[])), unnest(CAST(:ats AS timestamptz[])), "
    "unnest(CAST(:vals AS float8[])) ON CONFLICT DO NOTHING"
).bindparams(
    sa.bindparam("device_id", type_=sa.Uuid()),
    sa.bindparam("metric_ids", type_=postgresql.ARRAY(sa.SmallInteger())),
    sa.bindparam("ats", type_=postgresql.ARRAY(sa.DateTime(timezone=True))),
    sa.bindparam("vals", type_=postgresql.ARRAY(sa.Float(precision=53))),
)


async def insert_readings(
    session: AsyncSession, device_id: uuid.UUID, rows: Sequence[tuple[int, datetime, float]]
) -> int:
    """Store (metric id, time, value) rows once: INSERT … ON CONFLICT DO NOTHING; the number
    of rows actually stored. On PostgreSQL one fixed statement over arrays (no per-batch
    SQL to compile, one round trip)."""
    if not rows:
        return 0
    if _dialect(session) == "postgresql":
        result = await session.execute(
            _INSERT_PG,
            {
                "device_id": device_id,
                "metric_ids": [m for m, _, _ in rows],
                "ats": [at for _, at, _ in rows],
                "vals": [v for _, _, v in rows],
            },
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
    table: Any = Reading.__table__  # type: ignore[attr-defined]
    values = [{"device_id": device_id, "metric_id": m, "at": at, "value": v} for m, at, v in rows]
    stmt = sqlite.insert(table).values(values).on_conflict_do_nothing().returning(table.c.at)
    return len((await session.execute(stmt)).all())


_RECEIVE_PG = sa.text(
    "WITH dev AS ("
    " SELECT id, model FROM devices"
    " WHERE id = :device_id AND status = 'active' AND credential_hash = :credential_hash"
    "), stored AS ("
    " INSERT INTO device_readings (device_id, metric_id, at, value)"
    " SELECT dev.id, r.metric_id, r.at, r.value FROM dev,"
    " unnest(CAST(:metric_ids AS smallint[]), CAST(:ats AS timestamptz[]), CAST(:vals AS float8[]))"
    " AS r(metric_id, at, value)"
    " ON CONFLICT DO NOTHING RETURNING 1"
    "), marked AS ("
    " UPDATE devices SET readings_received_at = :now,"
    " last_reading_at = GREATEST(last_reading_at, CAST(:newest AS timestamptz))"
    " WHERE id = (SELECT id FROM dev) AND CAST(:newest AS timestamptz) IS NOT NULL RETURNING 1"
    ")"
    " SELECT dev.model, (SELECT count(*) FROM stored) AS stored,"
    " (SELECT count(*) FROM marked) AS marked,"
    " (SELECT coalesce(json_agg(json_build_array(r.metric, r.comparison, r.threshold)), '[]')"
    "  FROM device_rules r WHERE r.model = dev.model AND r.kind = 'threshold' AND r.enabled"
    "  AND r.comparison IS NOT NULL AND r.threshold IS NOT NULL) AS thresholds"
    " FROM dev"
).bindparams(
    sa.bindparam("device_id", type_=sa.Uuid()),
    sa.bindparam("credential_hash", type_=sa.String()),
    sa.bindparam("metric_ids", type_=postgresql.ARRAY(sa.SmallInteger())),
    sa.bindparam("ats", type_=postgresql.ARRAY(sa.DateTime(timezone=True))),
    sa.bindparam("vals", type_=postgresql.ARRAY(sa.Float(precision=53))),
    sa.bindparam("now", type_=sa.DateTime(timezone=True)),
    sa.bindparam("newest", type_=sa.DateTime(timezone=True)),
)


@dataclass(frozen=True, slots=True)
class Received:
    """What one intake statement did for an authenticated device."""

    model: str
    stored: int
    thresholds: list[tuple[str, str, float]]


async def receive_readings(
    session: AsyncSession,
    device_id: uuid.UUID,
    credential_hash: str,
    rows: Sequence[tuple[int, datetime, float]],
    *,
    newest: datetime | None,
    now: datetime,
) -> Received | None:
    """PostgreSQL only: in one statement (one round trip), find the active device holding
    this credential, store its rows once, move its `last_reading_at`/`readings_received_at`,
    and read its model's threshold rules. None when no active device holds the credential
    (nothing is stored then). The digest comparison is done by the database: what leaks
    through its timing is how much of a SHA-256 output matches, which does not help anyone
    find a secret."""
    result = await session.execute(
        _RECEIVE_PG,
        {
            "device_id": device_id,
            "credential_hash": credential_hash,
            "metric_ids": [m for m, _, _ in rows],
            "ats": [at for _, at, _ in rows],
            "vals": [v for _, _, v in rows],
            "now": now,
            "newest": newest,
        },
    )
    row = result.first()
    if row is None:
        return None
    thresholds = row.thresholds if isinstance(row.thresholds, list) else json.loads(row.thresholds)
    return Received(
        model=row.model,
        stored=int(row.stored),
        thresholds=[(str(m), str(c), float(t)) for m, c, t in thresholds],
    )


async def threshold_rules(session: AsyncSession, model: str) -> list[tuple[str, str, float]]:
    """(metric, comparison, threshold) of the model's enabled threshold rules."""
    query = select(DeviceRule.metric, DeviceRule.comparison, DeviceRule.threshold).where(
        DeviceRule.model == model,
        DeviceRule.kind == "threshold",
        col(DeviceRule.enabled).is_(True),
    )
    return [
        (metric, comparison, float(threshold))
        for metric, comparison, threshold in (await session.execute(query)).all()
        if comparison and threshold is not None
    ]


async def mark_received(
    session: AsyncSession, device_id: uuid.UUID, *, newest: datetime, now: datetime
) -> None:
    table: Any = Device.__table__  # type: ignore[attr-defined]
    await session.execute(
        sa.update(table)
        .where(table.c.id == device_id)
        .values(
            readings_received_at=now,
            last_reading_at=sa.case(
                (sa.or_(table.c.last_reading_at.is_(None), table.c.last_reading_at < newest), newest),
                else_=table.c.last_reading_at,
            ),
        )
    )


async def window(
    session: AsyncSession, device_id: uuid.UUID, metric_ids: Sequence[int], since: datetime, until: datetime
) -> dict[int, list[tuple[datetime, float]]]:
    """Readings of the given metrics in [since, until], oldest first, per metric id."""
    query = (
        select(Reading.metric_id, Reading.at, Reading.value)
        .where(
            Reading.device_id == device_id,
            col(Reading.metric_id).in_(list(metric_ids)),
            col(Reading.at) >= since,
            col(Reading.at) <= until,
        )
        .order_by(col(Reading.metric_id), col(Reading.at))
    )
    out: dict[int, list[tuple[datetime, float]]] = {m: [] for m in metric_ids}
    for metric_id, at, value in (await session.execute(query)).all():
        out[metric_id].append((at, value))
    return out


async def devices_due_for_evaluation(
    session: AsyncSession, *, evaluated_before: datetime, limit: int
) -> list[uuid.UUID]:
    """Active devices with readings newer than their last evaluation, which was before
    `evaluated_before` (so one device is not re-fitted on every batch)."""
    query = (
        select(Device.id)
        .where(
            Device.status == DeviceStatus.ACTIVE,
            col(Device.readings_received_at).is_not(None),
            sa.or_(
                col(Device.evaluated_at).is_(None),
                sa.and_(
                    col(Device.evaluated_at) < col(Device.readings_received_at),
                    col(Device.evaluated_at) < evaluated_before,
                ),
            ),
        )
        .order_by(col(Device.evaluated_at).asc().nulls_first())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def quiet_devices(session: AsyncSession, model: str, *, quiet_since: datetime) -> list[Device]:
    """Active devices of `model` with nothing since `quiet_since` and no silence alert for
    the current quiet spell yet."""
    last = sa.func.coalesce(col(Device.last_reading_at), col(Device.created_at))
    query = select(Device).where(
        Device.model == model,
        Device.status == DeviceStatus.ACTIVE,
        last < quiet_since,
        sa.or_(col(Device.silent_since_alerted).is_(None), col(Device.silent_since_alerted) < last),
    )
    return list((await session.execute(query)).scalars())


async def latest_alert_order(session: AsyncSession, ref_prefix: str) -> WorkOrder | None:
    query = (
        select(WorkOrder)
        .where(
            WorkOrder.source == WorkOrderSource.DEVICE_ALERT,
            col(WorkOrder.external_ref).startswith(ref_prefix, autoescape=True),
        )
        .order_by(col(WorkOrder.created_at).desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def roll_up_range(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Fold raw readings in [start, end) into hourly rows (merging with what is there),
    then delete them; the number of raw rows folded. Idempotent: what is folded is gone."""
    raw: Any = Reading.__table__  # type: ignore[attr-defined]
    hourly: Any = HourlyReading.__table__  # type: ignore[attr-defined]
    if _dialect(session) == "sqlite":
        hour = sa.func.strftime("%Y-%m-%d %H:00:00.000000", raw.c.at)
        insert: Any = sqlite.insert
    else:
        hour = sa.func.date_trunc("hour", raw.c.at)
        insert = postgresql.insert
    grouped = (
        sa.select(
            raw.c.device_id,
            raw.c.metric_id,
            hour.label("hour"),
            sa.func.count().label("count"),
            sa.func.sum(raw.c.value).label("total"),
            sa.func.min(raw.c.value).label("minimum"),
            sa.func.max(raw.c.value).label("maximum"),
        )
        .where(raw.c.at >= start, raw.c.at < end)
        .group_by(raw.c.device_id, raw.c.metric_id, hour)
    )
    stmt = insert(hourly).from_select(
        ["device_id", "metric_id", "hour", "count", "total", "minimum", "maximum"], grouped
    )
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["device_id", "metric_id", "hour"],
        set_={
            "count": hourly.c.count + excluded.count,
            "total": hourly.c.total + excluded.total,
            "minimum": sa.func.least(hourly.c.minimum, excluded.minimum)
            if _dialect(session) != "sqlite"
            else sa.func.min(hourly.c.minimum, excluded.minimum),
            "maximum": sa.func.greatest(hourly.c.maximum, excluded.maximum)
            if _dialect(session) != "sqlite"
            else sa.func.max(hourly.c.maximum, excluded.maximum),
        },
    )
    await session.execute(stmt)
    deleted = await session.execute(sa.delete(raw).where(raw.c.at >= start, raw.c.at < end))
    return int(deleted.rowcount or 0)  # type: ignore[attr-defined]


async def hourly(
    session: AsyncSession, device_id: uuid.UUID, metric_id: int, since: datetime, until: datetime
) -> list[HourlyReading]:
    query = (
        select(HourlyReading)
        .where(
            HourlyReading.device_id == device_id,
            HourlyReading.metric_id == metric_id,
            col(HourlyReading.hour) >= since,
            col(HourlyReading.hour) < until,
        )
        .order_by(col(HourlyReading.hour))
    )
    return list((await session.execute(query)).scalars())
