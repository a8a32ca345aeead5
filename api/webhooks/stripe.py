"""Stripe webhook endpoint: verify, store once, hand to a task. No Stripe calls here."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, post

from api.deps import AppSettings, DbSession, Now
from marketplace.payments import webhooks


class StripeWebhookAck(msgspec.Struct):
    received: bool
    duplicate: bool


class StripeWebhookController(Controller):
    path = "/webhooks/stripe"
    tags = ["webhooks"]

    @post(
        "",
        operation_id="receiveStripeWebhook",
        security=[],
        status_code=200,
        opt={"problems": (400,)},  # a forged, unsigned or stale event
    )
    async def receive(
        self, now: Now, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> StripeWebhookAck:
        """Stripe calls this with signed events (`Stripe-Signature`, endpoint secret).

        A forged, unsigned or stale (older than 5 minutes) request is a 400 problem and nothing
        is stored. A valid event is stored once by its id and handled by a worker task; the same
        event delivered again answers 200 with `duplicate: true` and is not handled again.
        """
        stored = await webhooks.receive(
            db_session,
            await request.body(),
            request.headers.get("stripe-signature"),
            settings.stripe_webhook_secret,
            now=now,
        )
        return StripeWebhookAck(received=True, duplicate=stored is None)
