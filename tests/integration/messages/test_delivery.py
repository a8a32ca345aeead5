"""Delivering e-mails from worker tasks to a real SMTP server: once however often the task
runs, retried with backoff while the server is down, failed (and kept) when it gives up."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col, select

from marketplace.db import unit_of_work
from marketplace.messages.channels import MessagingConfig, build_channels
from marketplace.messages.models import Channel, DeliveryStatus, Message
from marketplace.messages.service import DELIVER_TASK, Outgoing, Recipient, compose, schedule_delivery
from marketplace.outbox import OutboxStatus, OutboxTask
from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.factories import Factory
from tests.mailbox import Mailbox, free_port
from workers.context import TaskContext
from workers.runner import RunOutcome, execute_task
from workers.tasks.messages import CHANNELS_KEY

SF = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 5, 4, 12, 5, tzinfo=UTC)


def task_ctx(settings: Settings, engine: AsyncEngine, sf: SF, config: MessagingConfig) -> TaskContext:
    ctx = TaskContext(settings=settings, engine=engine, session_factory=sf, queue=None)
    ctx.extras[CHANNELS_KEY] = build_channels(config)
    return ctx


async def customer_with_mail(factory: Factory, address: str) -> uuid.UUID:
    login = await factory.login(Role.CUSTOMER, email=address)
    assert login.user.customer_id is not None
    return login.user.customer_id


async def compose_on_the_way(sf: SF, customer_id: uuid.UUID, key: str = "otw-1") -> list[Message]:
    async with unit_of_work(sf) as s:
        return await compose(
            s,
            Outgoing(
                Recipient(customer_id=customer_id),
                "technician_on_the_way",
                {"technician": "Sam", "eta": NOW},
                now=NOW,
                dedupe_key=key,
            ),
        )


async def on_the_way_email(sf: SF, customer_id: uuid.UUID) -> Message:
    [email] = [m for m in await compose_on_the_way(sf, customer_id) if m.channel == Channel.EMAIL]
    return email


async def delivery_tasks(sf: SF, message_id: uuid.UUID) -> list[OutboxTask]:
    async with sf() as s:
        rows = await s.execute(
            select(OutboxTask)
            .where(OutboxTask.name == DELIVER_TASK)
            .order_by(col(OutboxTask.available_at), col(OutboxTask.created_at))
        )
        return [r for r in rows.scalars() if r.args["message_id"] == str(message_id)]


async def reload(sf: SF, message_id: uuid.UUID) -> Message:
    async with sf() as s:
        message = await s.get(Message, message_id)
        assert message is not None
        return message


async def test_composing_writes_inbox_and_email_once_per_key(factory: Factory, session_factory: SF) -> None:
    customer_id = await customer_with_mail(factory, "ada@example.test")
    email = await on_the_way_email(session_factory, customer_id)
    assert await compose_on_the_way(session_factory, customer_id) == []  # same key: nothing new
    async with session_factory() as s:
        rows = list((await s.execute(select(Message).where(Message.customer_id == customer_id))).scalars())
    assert sorted(m.channel for m in rows) == ["email", "inbox"]
    inbox = next(m for m in rows if m.channel == Channel.INBOX)
    assert inbox.status == DeliveryStatus.SENT and inbox.delivered_via == "inbox"
    assert email.status == DeliveryStatus.QUEUED and email.address == "ada@example.test"
    assert len(await delivery_tasks(session_factory, email.id)) == 1


async def test_delivering_twice_at_once_sends_one_mail(
    factory: Factory, session_factory: SF, engine: AsyncEngine, settings: Settings, smtp_mailbox: Mailbox
) -> None:
    customer_id = await customer_with_mail(factory, "twice@example.test")
    email = await on_the_way_email(session_factory, customer_id)
    async with unit_of_work(session_factory) as s:  # a second delivery of the same message
        await schedule_delivery(s, email.id, attempt=99, at=NOW, now=NOW)
    first, second = await delivery_tasks(session_factory, email.id)
    ctx = task_ctx(settings, engine, session_factory, smtp_mailbox.config())

    outcomes = await asyncio.gather(execute_task(ctx, first.id), execute_task(ctx, second.id))
    assert outcomes == [RunOutcome.DONE, RunOutcome.DONE]
    assert await execute_task(ctx, first.id) == RunOutcome.ALREADY_DONE  # arq delivers it again

    [mail] = smtp_mailbox.wait_for("twice@example.test")
    await asyncio.sleep(0.2)
    assert len(smtp_mailbox.to("twice@example.test")) == 1
    assert mail.subject == "Your technician is on the way, ETA 12:05"  # the customer's zone is UTC
    assert str(email.id) in mail.message_id
    sent = await reload(session_factory, email.id)
    assert sent.status == DeliveryStatus.SENT and sent.attempts == 1 and sent.delivered_via == "smtp"


async def test_smtp_down_is_retried_with_backoff_and_nothing_is_lost(
    factory: Factory, session_factory: SF, engine: AsyncEngine, settings: Settings, smtp_mailbox: Mailbox
) -> None:
    customer_id = await customer_with_mail(factory, "later@example.test")
    email = await on_the_way_email(session_factory, customer_id)
    down = MessagingConfig(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout_s=2.0)
    [first] = await delivery_tasks(session_factory, email.id)

    assert await execute_task(task_ctx(settings, engine, session_factory, down), first.id) == RunOutcome.DONE
    waiting = await reload(session_factory, email.id)
    assert waiting.status == DeliveryStatus.QUEUED and waiting.attempts == 1
    assert waiting.last_error and "Connection" in waiting.last_error
    _, retry = await delivery_tasks(session_factory, email.id)
    assert retry.status == OutboxStatus.PENDING
    assert waiting.next_attempt_at is not None and retry.available_at == waiting.next_attempt_at
    assert (retry.available_at - first.available_at).total_seconds() >= down.messages_retry_base_s

    # the server is back: the retry delivers the very same message
    up = task_ctx(settings, engine, session_factory, smtp_mailbox.config())
    assert await execute_task(up, retry.id) == RunOutcome.DONE
    [mail] = smtp_mailbox.wait_for("later@example.test")
    assert str(email.id) in mail.message_id
    sent = await reload(session_factory, email.id)
    assert sent.status == DeliveryStatus.SENT and sent.attempts == 2 and sent.last_error is None


async def test_smtp_down_for_good_fails_the_message_after_the_last_attempt(
    factory: Factory, session_factory: SF, engine: AsyncEngine, settings: Settings
) -> None:
    customer_id = await customer_with_mail(factory, "never@example.test")
    email = await on_the_way_email(session_factory, customer_id)
    down = MessagingConfig(
        smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout_s=2.0, messages_max_attempts=2
    )
    ctx = task_ctx(settings, engine, session_factory, down)
    [first] = await delivery_tasks(session_factory, email.id)
    await execute_task(ctx, first.id)
    _, second = await delivery_tasks(session_factory, email.id)
    await execute_task(ctx, second.id)
    failed = await reload(session_factory, email.id)
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 2 and failed.last_error
    assert len(await delivery_tasks(session_factory, email.id)) == 2  # no third attempt


async def test_a_refused_recipient_fails_at_once(
    factory: Factory, session_factory: SF, engine: AsyncEngine, settings: Settings, smtp_mailbox: Mailbox
) -> None:
    customer_id = await customer_with_mail(factory, "gone@example.test")
    email = await on_the_way_email(session_factory, customer_id)
    smtp_mailbox.refuse.add("gone@example.test")
    [first] = await delivery_tasks(session_factory, email.id)
    await execute_task(task_ctx(settings, engine, session_factory, smtp_mailbox.config()), first.id)
    failed = await reload(session_factory, email.id)
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 1
    assert failed.last_error and "550" in failed.last_error
    assert len(await delivery_tasks(session_factory, email.id)) == 1


async def test_without_smtp_mail_goes_to_the_log(
    factory: Factory,
    session_factory: SF,
    engine: AsyncEngine,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FIELDHAND_SMTP_HOST", raising=False)
    customer_id = await customer_with_mail(factory, "dev@example.test")
    email = await on_the_way_email(session_factory, customer_id)
    [first] = await delivery_tasks(session_factory, email.id)
    with caplog.at_level(logging.INFO, logger="marketplace.messages.channels"):
        await execute_task(task_ctx(settings, engine, session_factory, MessagingConfig()), first.id)
    logged = [r for r in caplog.records if r.getMessage() == "e-mail (no SMTP configured)"]
    assert [getattr(r, "to", None) for r in logged] == ["dev@example.test"]
    assert getattr(logged[0], "subject", "").startswith("Your technician is on the way")
    done = await reload(session_factory, email.id)
    assert done.status == DeliveryStatus.SENT and done.delivered_via == "log"
