"""Payment tasks: every Stripe call of the customer side runs here, never in a request.

Each handler runs in the runner's transaction and is safe to run twice: the service checks
the payment's state under a row lock and the Stripe call carries an idempotency key from the
payment id. Transient Stripe trouble becomes `arq.Retry` with exponential backoff.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar

from arq import Retry
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from marketplace.outbox import OutboxStatus, OutboxTask
from marketplace.payments import authorise, cancel, webhooks
from marketplace.payments.capture import CAPTURE_TASK, AuthorizationPending, capture_payment
from marketplace.payments.gateway import PaymentGateway, TransientStripeError
from marketplace.payments.stripe_gateway import build_gateway
from marketplace.payouts.service import PayoutNotDue
from workers.context import TaskContext
from workers.registry import task
from workers.runner import backoff_s

T = TypeVar("T")
GATEWAY_KEY = "payment_gateway"


def gateway_for(ctx: TaskContext) -> PaymentGateway:
    """One gateway per worker (built from settings on first use; tests may put one in extras)."""
    gateway = ctx.extras.get(GATEWAY_KEY)
    if gateway is None:
        gateway = build_gateway(ctx.settings)
        ctx.extras[GATEWAY_KEY] = gateway
    return gateway  # type: ignore[no-any-return]


async def _attempts_so_far(session: AsyncSession, name: str, args: dict[str, Any]) -> int:
    rows = await session.execute(
        select(OutboxTask.args, OutboxTask.attempts)
        .where(
            OutboxTask.name == name, col(OutboxTask.status).in_([OutboxStatus.PENDING, OutboxStatus.PUSHED])
        )
        .limit(200)
    )
    return max((attempts for task_args, attempts in rows if task_args == args), default=0)


async def retrying(session: AsyncSession, name: str, args: dict[str, Any], call: Awaitable[T]) -> T:
    """Await a service call; transient Stripe errors become `Retry` with backoff per attempt."""
    try:
        return await call
    except PayoutNotDue as not_due:
        raise Retry(defer=max(int(not_due.seconds) + 1, 1)) from not_due
    except (TransientStripeError, AuthorizationPending) as exc:
        attempt = await _attempts_so_far(session, name, args) + 1
        raise Retry(defer=backoff_s(attempt)) from exc


@task(authorise.AUTHORIZE_TASK)
async def authorize(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, payment_id: str, attempt: int
) -> None:
    await retrying(
        session,
        authorise.AUTHORIZE_TASK,
        {"payment_id": payment_id, "attempt": attempt},
        authorise.authorize(session, gateway_for(ctx), uuid.UUID(payment_id), attempt, now=now),
    )


@task(CAPTURE_TASK)
async def capture(session: AsyncSession, ctx: TaskContext, *, now: datetime, payment_id: str) -> None:
    await retrying(
        session,
        CAPTURE_TASK,
        {"payment_id": payment_id},
        capture_payment(session, gateway_for(ctx), uuid.UUID(payment_id), now=now),
    )


@task(cancel.CANCEL_TASK)
async def settle_cancellation(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, payment_id: str, attempt: int, fee_minor: int
) -> None:
    await retrying(
        session,
        cancel.CANCEL_TASK,
        {"payment_id": payment_id, "attempt": attempt, "fee_minor": fee_minor},
        cancel.settle_cancellation(
            session, gateway_for(ctx), uuid.UUID(payment_id), attempt, fee_minor, now=now
        ),
    )


@task(webhooks.HANDLE_TASK)
async def handle_stripe_event(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, external_event_id: str
) -> None:
    await retrying(
        session,
        webhooks.HANDLE_TASK,
        {"external_event_id": external_event_id},
        webhooks.handle(session, gateway_for(ctx), uuid.UUID(external_event_id), now=now),
    )
