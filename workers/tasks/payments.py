"""Payment tasks: every Stripe call of the customer side runs here, never in a request.

Each handler runs in the runner's transaction and is safe to run twice: the service checks
the payment's state under a row lock and the Stripe call carries an idempotency key from the
payment id. Transient Stripe trouble (`TransientStripeError`, a `TryLater`) is retried by
the runner with exponential backoff.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.payments import authorise, cancel, webhooks
from marketplace.payments.capture import CAPTURE_TASK, capture_payment
from marketplace.payments.gateway import PaymentGateway
from marketplace.payments.stripe_gateway import build_gateway
from workers.context import TaskContext
from workers.registry import task

GATEWAY_KEY = "payment_gateway"


def gateway_for(ctx: TaskContext) -> PaymentGateway:
    """One gateway per worker (built from settings on first use; tests may put one in extras)."""
    gateway = ctx.extras.get(GATEWAY_KEY)
    if gateway is None:
        gateway = build_gateway(ctx.settings)
        ctx.extras[GATEWAY_KEY] = gateway
    return gateway  # type: ignore[no-any-return]


@task(authorise.AUTHORIZE_TASK)
async def authorize(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, payment_id: str, attempt: int
) -> None:
    await authorise.authorize(session, gateway_for(ctx), uuid.UUID(payment_id), attempt, now=now)


@task(CAPTURE_TASK)
async def capture(session: AsyncSession, ctx: TaskContext, *, now: datetime, payment_id: str) -> None:
    await capture_payment(session, gateway_for(ctx), uuid.UUID(payment_id), now=now)


@task(cancel.CANCEL_TASK)
async def settle_cancellation(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, payment_id: str, attempt: int, fee_minor: int
) -> None:
    await cancel.settle_cancellation(
        session, gateway_for(ctx), uuid.UUID(payment_id), attempt, fee_minor, now=now
    )


@task(webhooks.HANDLE_TASK)
async def handle_stripe_event(
    session: AsyncSession, ctx: TaskContext, *, now: datetime, external_event_id: str
) -> None:
    await webhooks.handle(session, gateway_for(ctx), uuid.UUID(external_event_id), now=now)
