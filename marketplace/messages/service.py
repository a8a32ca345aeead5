"""Messages: compose in the business transaction, deliver from a worker task, list an inbox.

`compose` renders a catalog template for one person and writes one row per channel:
the inbox copy is delivered on the spot, e-mail and SMS rows are `queued` with an outbox
task (`messages.deliver`) that runs only if the business transaction commits.

`deliver` locks the row and checks its status first, so a delivery that runs twice (arq
delivers at least once, retries overlap) sends once. A failed attempt is recorded on the
row and a new delivery task is scheduled with backoff; after the last attempt the row is
`failed` and stays for support to see. A crash after the SMTP server accepted a mail but
before our commit sends it again with the same Message-ID, which receivers de-duplicate.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import outbox
from marketplace.auth import Principal
from marketplace.db_dialect import insert_ignoring_conflicts
from marketplace.errors import Forbidden
from marketplace.messages import repository
from marketplace.messages.channels import (
    Channels,
    Email,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from marketplace.messages.models import Channel, DeliveryStatus, Message
from marketplace.messages.templates import CATALOG, render
from marketplace.pagination import Page
from marketplace.users.models import Role

log = logging.getLogger(__name__)

DELIVER_TASK = "messages.deliver"


@dataclass(frozen=True, slots=True)
class Recipient:
    """Exactly one of: a customer, a technician, a staff user."""

    customer_id: uuid.UUID | None = None
    technician_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.customer_id, self.technician_id, self.user_id)) != 1:
            raise ValueError("a message has exactly one recipient")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What to tell whom: a catalog template and its arguments, as of `now`."""

    recipient: Recipient
    template: str
    args: Mapping[str, Any]
    now: datetime
    dedupe_key: str | None = None  # None: the caller's notification key
    work_order_id: uuid.UUID | None = None
    channels: tuple[Channel, ...] = field(default=(Channel.INBOX, Channel.EMAIL, Channel.SMS))


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    email: str | None
    phone: str | None
    tz: str
    has_inbox: bool


async def contact_of(session: AsyncSession, recipient: Recipient) -> Contact | None:
    if recipient.customer_id is not None:
        customer = await repository.recipient_customer(session, recipient.customer_id)
        if customer is None:
            return None
        login = await repository.first_active_login(session, customer_id=customer.id)
        email = customer.email or (login.email if login else None)
        if email and email.endswith(".invalid"):  # a login made for a customer with no address
            email = None
        return Contact(customer.name, email, customer.phone, customer.timezone, has_inbox=True)
    if recipient.technician_id is not None:
        tech = await repository.recipient_technician(session, recipient.technician_id)
        if tech is None:
            return None
        login = await repository.first_active_login(session, technician_id=tech.id)
        return Contact(tech.display_name, login.email if login else None, tech.phone, tech.timezone, True)
    assert recipient.user_id is not None
    user = await repository.recipient_user(session, recipient.user_id)
    if user is None or not user.is_active:
        return None
    return Contact(user.display_name, user.email, None, "UTC", has_inbox=False)


async def compose(
    session: AsyncSession, outgoing: Outgoing, *, dedupe_key: str | None = None
) -> list[Message]:
    """Write the message on every channel the recipient can be reached on; the rows this
    call created (none when the same key was composed before)."""
    key = outgoing.dedupe_key or dedupe_key
    if key is None:
        raise ValueError("a message needs a dedupe key")
    if outgoing.template not in CATALOG:
        raise ValueError(f"unknown message template {outgoing.template!r}")
    contact = await contact_of(session, outgoing.recipient)
    if contact is None:
        log.warning("message has no recipient", extra={"template": outgoing.template, "dedupe_key": key})
        return []
    text = render(outgoing.template, outgoing.args, recipient_name=contact.name, tz=contact.tz)
    now = outgoing.now
    wanted: list[tuple[Channel, str | None, str]] = []
    if Channel.INBOX in outgoing.channels and contact.has_inbox:
        wanted.append((Channel.INBOX, None, text.body))
    if Channel.EMAIL in outgoing.channels and contact.email:
        wanted.append((Channel.EMAIL, contact.email, text.body))
    if Channel.SMS in outgoing.channels and contact.phone and text.sms:
        wanted.append((Channel.SMS, contact.phone, text.sms))
    created: list[Message] = []
    for channel, address, body in wanted:
        message_id = uuid.uuid4()
        immediate = channel is Channel.INBOX
        inserted = await insert_ignoring_conflicts(
            session,
            Message,
            {
                "id": message_id,
                "dedupe_key": f"{key[:240]}:{channel.value}",
                "customer_id": outgoing.recipient.customer_id,
                "technician_id": outgoing.recipient.technician_id,
                "user_id": outgoing.recipient.user_id,
                "channel": channel.value,
                "address": address,
                "template": outgoing.template,
                "subject": text.subject,
                "body": body[:8000],
                "work_order_id": outgoing.work_order_id,
                "status": DeliveryStatus.SENT if immediate else DeliveryStatus.QUEUED,
                "attempts": 0,
                "delivered_via": "inbox" if immediate else None,
                "created_at": now,
                "next_attempt_at": None if immediate else now,
                "sent_at": now if immediate else None,
            },
            conflict_columns=["dedupe_key"],
        )
        if not inserted:
            continue
        if not immediate:
            await schedule_delivery(session, message_id, attempt=1, at=now, now=now)
        row = await repository.message(session, message_id)
        assert row is not None
        created.append(row)
    if created:
        log.info("message composed", extra={"template": outgoing.template, "dedupe_key": key})
    return created


async def schedule_delivery(
    session: AsyncSession, message_id: uuid.UUID, *, attempt: int, at: datetime, now: datetime
) -> None:
    await outbox.enqueue(
        session,
        DELIVER_TASK,
        {"message_id": str(message_id)},
        dedupe_key=f"message:{message_id}:{attempt}",
        run_at=at,
        now=now,
    )


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    NOTHING_TO_DO = "nothing_to_do"  # already sent or failed, or no such message


async def deliver(
    session: AsyncSession, message_id: uuid.UUID, *, now: datetime, channels: Channels
) -> DeliveryOutcome:
    """Send one queued e-mail or SMS (row locked for the duration)."""
    message = await repository.locked_message(session, message_id)
    if message is None or message.status != DeliveryStatus.QUEUED:
        return DeliveryOutcome.NOTHING_TO_DO
    message.attempts += 1
    try:
        via = await _send(message, channels)
    except PermanentDeliveryError as exc:
        message.status = DeliveryStatus.FAILED
        message.last_error = str(exc)[:1000]
        message.next_attempt_at = None
        log.error("message refused", extra={"message_id": str(message.id), "error": str(exc)})
        return DeliveryOutcome.FAILED
    except TransientDeliveryError as exc:
        message.last_error = str(exc)[:1000]
        if message.attempts >= channels.config.messages_max_attempts:
            message.status = DeliveryStatus.FAILED
            message.next_attempt_at = None
            log.error("message failed after its last attempt", extra={"message_id": str(message.id)})
            return DeliveryOutcome.FAILED
        retry_at = now + timedelta(seconds=channels.config.retry_after_s(message.attempts))
        message.next_attempt_at = retry_at
        await schedule_delivery(session, message.id, attempt=message.attempts + 1, at=retry_at, now=now)
        log.warning(
            "message delivery failed; retrying", extra={"message_id": str(message.id), "error": str(exc)}
        )
        return DeliveryOutcome.RETRY_SCHEDULED
    message.status = DeliveryStatus.SENT
    message.sent_at = now
    message.delivered_via = via
    message.last_error = None
    message.next_attempt_at = None
    return DeliveryOutcome.SENT


async def _send(message: Message, channels: Channels) -> str:
    if message.address is None:
        raise PermanentDeliveryError("no address to send to")
    if message.channel == Channel.EMAIL:
        await channels.email.send(Email(str(message.id), message.address, message.subject, message.body))
        return channels.email.name
    if message.channel == Channel.SMS:
        await channels.sms.send(message.address, message.body, message_id=str(message.id))
        return channels.sms.name
    raise PermanentDeliveryError(f"channel {message.channel} is not delivered by a task")


async def list_messages(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[Message]:
    """The caller's own inbox, newest first (customers and technicians)."""
    if principal.role is Role.CUSTOMER and principal.customer_id is not None:
        return await repository.inbox_page(
            session, customer_id=principal.customer_id, cursor=cursor, limit=limit
        )
    if principal.role is Role.TECHNICIAN and principal.technician_id is not None:
        return await repository.inbox_page(
            session, technician_id=principal.technician_id, cursor=cursor, limit=limit
        )
    raise Forbidden("Only customers and technicians have an inbox")
