"""Device rules at work: evaluate a device now (queued by intake when a reading crosses a
threshold), sweep devices with new readings (trends), flag silent devices, roll up old
readings. Each run reads the clock once and opens its own units of work."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.clock import utcnow
from marketplace.devices.evaluation import detect_silence, devices_to_evaluate, evaluate_device, roll_up
from marketplace.devices.intake import EVALUATE_TASK
from workers.context import TaskContext
from workers.crons import Periodic, register
from workers.registry import task
from workers.tasks._uow import in_unit_of_work

EVALUATE_EVERY = timedelta(minutes=5)  # a device's trend is re-fitted at most this often
SWEEP_BATCH = 500
KEEP_RAW = timedelta(days=7)


@task(EVALUATE_TASK)
async def evaluate(session: AsyncSession, ctx: TaskContext, *, now: datetime, device_id: str) -> None:
    await evaluate_device(session, uuid.UUID(device_id), now=now)


async def sweep_devices(ctx: TaskContext) -> int:
    """Evaluate devices with readings newer than their last evaluation, one transaction
    per device (a failure on one does not hold back the rest), then flag silent ones."""
    now = utcnow()

    async def due(session: AsyncSession) -> list[uuid.UUID]:
        return await devices_to_evaluate(session, now=now, every=EVALUATE_EVERY, limit=SWEEP_BATCH)

    device_ids = await in_unit_of_work(ctx, due, now=now)
    for device_id in device_ids:

        async def one(session: AsyncSession, _id: uuid.UUID = device_id) -> None:
            await evaluate_device(session, _id, now=now)

        await in_unit_of_work(ctx, one, now=now)

    async def silence(session: AsyncSession) -> None:
        await detect_silence(session, now=now)

    await in_unit_of_work(ctx, silence, now=now)
    return len(device_ids)


async def roll_up_readings(ctx: TaskContext) -> int:
    now = utcnow()

    async def body(session: AsyncSession) -> int:
        return await roll_up(session, now=now, keep_raw=KEEP_RAW)

    return await in_unit_of_work(ctx, body, now=now)


register(Periodic("devices.sweep", sweep_devices, 60))
register(Periodic("devices.roll_up", roll_up_readings, 600))
