"""Periodic: hold a window for customers who did not book in time, confirm due holds."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.bookings.holds import HoldSweep, confirm_hold, hold_window, holds_due, orders_due_a_hold
from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from workers.context import TaskContext
from workers.crons import Periodic, register
from workers.tasks._uow import dispatch_config, in_unit_of_work

log = logging.getLogger(__name__)


async def hold_unbooked(ctx: TaskContext) -> HoldSweep:
    """One transaction per order, so one refused hold (the customer booked at that moment:
    the database constraint decided) never undoes another."""
    config = dispatch_config(ctx)
    now = utcnow()
    sweep = HoldSweep()
    async with unit_of_work(ctx.session_factory) as session:
        to_hold = await orders_due_a_hold(session, now=now, config=config)
        to_confirm = await holds_due(session, now=now)

    for order_id in to_hold:

        async def hold(session: AsyncSession, order_id: uuid.UUID = order_id) -> bool:
            return await hold_window(session, order_id, now=now, config=config) is not None

        try:
            sweep.held += int(await in_unit_of_work(ctx, hold, now=now))
        except IntegrityError:
            log.info("hold refused by the database; next sweep", extra={"work_order_id": str(order_id)})

    for appointment_id in to_confirm:

        async def confirm(session: AsyncSession, appointment_id: uuid.UUID = appointment_id) -> bool:
            return await confirm_hold(session, appointment_id, now=now)

        sweep.confirmed += int(await in_unit_of_work(ctx, confirm, now=now))
    if sweep.held or sweep.confirmed:
        log.info("held windows", extra={"held": sweep.held, "confirmed": sweep.confirmed})
    return sweep


register(Periodic("bookings.hold_unbooked", hold_unbooked, 60))
