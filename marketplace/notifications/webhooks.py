"""Outgoing webhooks (to the helpdesk): signed, timestamped, retried by the task runner.

Same scheme as the incoming helpdesk webhooks (`marketplace/work_orders/helpdesk.py`), so a
helpdesk verifies us with the code it already has for signing us requests:

    X-Fieldhand-Timestamp: <unix seconds>
    X-Fieldhand-Signature: v1=<hex hmac_sha256(secret, "<timestamp>." + raw body)>
    X-Fieldhand-Event-Id: <stable id; the receiver de-duplicates on it>

Delivery is at least once: the task that sends commits its outbox row after the POST, so a
crash in between sends again with the same event id. `send_webhook` raises
`TransientWebhookError` for what is worth retrying (network, timeouts, 429, 5xx) and
`PermanentWebhookError` for the rest (other 4xx: our request is wrong, retrying won't help).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from marketplace.errors import TryLater

TIMESTAMP_HEADER = "X-Fieldhand-Timestamp"
SIGNATURE_HEADER = "X-Fieldhand-Signature"
EVENT_ID_HEADER = "X-Fieldhand-Event-Id"
TOLERANCE_S = 300


class WebhookConfig(BaseSettings):
    """Where agent alerts and customer messages are mirrored (unset URL: log + in-app only).

    `FIELDHAND_HELPDESK_WEBHOOK_URL`, `FIELDHAND_HELPDESK_WEBHOOK_SECRET`.
    """

    model_config = SettingsConfigDict(env_prefix="FIELDHAND_", extra="ignore")

    helpdesk_webhook_url: str | None = None
    helpdesk_webhook_secret: str = "fieldhand-dev-webhook-secret"
    helpdesk_webhook_timeout_s: float = 5.0


class TransientWebhookError(TryLater):
    """Worth retrying later (network trouble, 429, 5xx)."""


class PermanentWebhookError(Exception):
    """The receiver refused the request for good (4xx other than 408/429)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def verify(secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now: int) -> bool:
    """What a receiver does (used by our tests): signature matches and the timestamp is fresh."""
    if not timestamp or not signature:
        return False
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > TOLERANCE_S:
        return False
    expected = sign(secret, sent_at, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in signature.split(",") if part.strip())


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


@dataclass(frozen=True, slots=True)
class Delivery:
    status_code: int
    event_id: str


async def send_webhook(
    client: httpx.AsyncClient,
    config: WebhookConfig,
    *,
    event_id: str,
    payload: dict[str, Any],
    now: int,
) -> Delivery | None:
    """POST one signed event; None when no URL is configured (nothing to do)."""
    if not config.helpdesk_webhook_url:
        return None
    body = encode({"id": event_id, **payload})
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(now),
        SIGNATURE_HEADER: sign(config.helpdesk_webhook_secret, now, body),
        EVENT_ID_HEADER: event_id,
    }
    try:
        response = await client.post(
            config.helpdesk_webhook_url,
            content=body,
            headers=headers,
            timeout=config.helpdesk_webhook_timeout_s,
        )
    except httpx.HTTPError as exc:
        raise TransientWebhookError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code in (408, 429) or response.status_code >= 500:
        raise TransientWebhookError(f"receiver answered {response.status_code}")
    if response.status_code >= 400:
        raise PermanentWebhookError(f"receiver refused with {response.status_code}: {response.text[:200]}")
    return Delivery(response.status_code, event_id)
