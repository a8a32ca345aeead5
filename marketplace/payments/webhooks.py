"""Stripe webhooks: verify the signature, store the event once, handle it in a task.

Handlers never trust the event body for state: they read the object's current state from
Stripe (`sync_account`, `reconcile_intent`), so duplicated, replayed or out-of-order events
converge to the same result.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import events, outbox
from marketplace.errors import DomainError, ServiceUnavailable
from marketplace.external_events import ExternalEvent, record_external_event
from marketplace.payments import repository as repo
from marketplace.payments.cancel import reconcile_intent
from marketplace.payments.gateway import PaymentGateway

log = logging.getLogger(__name__)

SOURCE = "stripe"
HANDLE_TASK = "stripe.handle_event"
SIGNATURE_TOLERANCE_S = 300


class InvalidWebhookSignature(DomainError):
    status = 400
    slug = "invalid-webhook-signature"
    title = "The webhook signature is not valid"


def verify(payload: bytes, signature_header: str | None, secret: str | None) -> dict[str, Any]:
    """The parsed event, or `InvalidWebhookSignature` (missing, forged, or older than 5 minutes)."""
    if not secret:
        raise ServiceUnavailable("Stripe webhooks are not configured (FIELDHAND_STRIPE_WEBHOOK_SECRET)")
    if not signature_header:
        raise InvalidWebhookSignature("Missing Stripe-Signature header")
    text = payload.decode("utf-8", errors="replace")
    try:
        stripe.WebhookSignature.verify_header(text, signature_header, secret, SIGNATURE_TOLERANCE_S)
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhookSignature(str(exc).split("\n")[0][:200]) from None
    try:
        event = json.loads(text)
    except ValueError:
        raise InvalidWebhookSignature("Signed payload is not JSON") from None
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
    ):
        raise InvalidWebhookSignature("Signed payload is not a Stripe event")
    return event


async def receive(
    session: AsyncSession, payload: bytes, signature_header: str | None, secret: str | None, *, now: datetime
) -> ExternalEvent | None:
    """Verify and store; the new row (handled by a task), or None when already received."""
    event = verify(payload, signature_header, secret)
    stored = await record_external_event(
        session, source=SOURCE, event_id=event["id"], type=event["type"], payload=event
    )
    if stored is not None:
        await outbox.enqueue(
            session,
            HANDLE_TASK,
            {"external_event_id": str(stored.id)},
            dedupe_key=f"{HANDLE_TASK}:{event['id']}",
            now=now,
        )
    return stored


async def handle(
    session: AsyncSession, gateway: PaymentGateway, external_event_id: uuid.UUID, *, now: datetime
) -> None:
    event = await repo.stored_event(session, external_event_id)
    if event is None or event.processed_at is not None:
        return
    obj: dict[str, Any] = (event.payload.get("data") or {}).get("object") or {}
    object_id = obj.get("id")
    if event.type.startswith("account.") and isinstance(object_id, str):
        await events.publish(session, events.PayoutAccountChanged(object_id, gateway, now))
    elif event.type.startswith("payment_intent.") and isinstance(object_id, str):
        await reconcile_intent(session, gateway, object_id, now=now)
    else:
        log.info("stripe event ignored", extra={"type": event.type, "event_id": event.event_id})
    event.processed_at = now
    await session.flush()
