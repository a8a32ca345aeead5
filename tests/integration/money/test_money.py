"""Money end to end through the real stripe SDK over HTTP (local Stripe-compatible server)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
import stripe
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from marketplace import events
from marketplace.bookings.models import Appointment, AppointmentStatus
from marketplace.clock import utcnow
from marketplace.db import unit_of_work
from marketplace.external_events import ExternalEvent
from marketplace.ledger import repository as ledger_repo
from marketplace.ledger import service as ledger
from marketplace.ledger.models import LedgerEntry
from marketplace.notifications.models import Notification
from marketplace.outbox import OutboxTask
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payouts.models import Payout, PayoutStatus
from marketplace.pricing.policy import MoneyPolicy
from marketplace.pricing.service import split
from marketplace.technicians.models import Technician
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder, WorkOrderStatus
from tests.factories import Factory
from tests.integration.money.conftest import WEBHOOK_SECRET
from tests.integration.money.helpers import (
    Booked,
    booked_order,
    complete_onboarding,
    count_outbox,
    run_handler,
    run_tasks,
    server_counts,
    webhook_deliveries,
)
from workers.context import TaskContext
from workers.registry import handler_for
from workers.runner import RunOutcome, execute_task
from workers.tasks.payouts import sweep_held_payouts

pytestmark = pytest.mark.clock  # also run at each chosen instant (scripts/test-instants.sh)

PROBLEMS = "https://fieldhand.dev/problems/"
SF = async_sessionmaker[AsyncSession]


# ---------------------------------------------------------------------------- steps


async def book(sf: SF, booked: Booked) -> None:
    async with unit_of_work(sf) as session:
        order = await session.get(WorkOrder, booked.order_id)
        appointment = await session.get(Appointment, booked.appointment_id)
        assert order is not None and appointment is not None
        await events.publish(session, events.AppointmentBooked(order, appointment, now=utcnow()))


async def complete(sf: SF, booked: Booked) -> None:
    async with unit_of_work(sf) as session:
        order = await session.get(WorkOrder, booked.order_id)
        assert order is not None
        order.status = WorkOrderStatus.COMPLETED  # the visit flow's transition, not under test here
        await events.publish(session, events.VisitCompleted(order, now=utcnow()))


async def cancel(sf: SF, booked: Booked, fee: int) -> None:
    async with unit_of_work(sf) as session:
        order = await session.get(WorkOrder, booked.order_id)
        appointment = await session.get(Appointment, booked.appointment_id)
        assert order is not None and appointment is not None
        appointment.status = AppointmentStatus.CANCELLED
        await events.publish(
            session, events.AppointmentCancelled(order, appointment, cancellation_fee_minor=fee, now=utcnow())
        )


async def payment_of(sf: SF, booked: Booked) -> Payment:
    async with sf() as session:
        payment = (
            await session.execute(select(Payment).where(Payment.work_order_id == booked.order_id))
        ).scalar_one()
        return payment


async def payout_of(sf: SF, booked: Booked) -> Payout:
    async with sf() as session:
        return (
            await session.execute(select(Payout).where(Payout.work_order_id == booked.order_id))
        ).scalar_one()


async def postings(sf: SF, booked: Booked) -> dict[str, dict[str, int]]:
    """{correlation: {account: amount}} for the order, account names shortened to their kind."""
    out: dict[str, dict[str, int]] = {}
    async with sf() as session:
        for entry in await ledger_repo.entries(session, work_order_id=booked.order_id):
            kind = entry.correlation_id.split(":")[0]
            account = entry.account.split(":")[0]
            out.setdefault(kind, {})
            out[kind][account] = out[kind].get(account, 0) + entry.amount_minor
    return out


async def make_payout_due(sf: SF, booked: Booked) -> None:
    """The hold period elapsing (instead of waiting two days)."""
    async with unit_of_work(sf) as session:
        payout = (
            await session.execute(select(Payout).where(Payout.work_order_id == booked.order_id))
        ).scalar_one()
        past = utcnow() - timedelta(seconds=1)
        payout.available_at = past
        await session.execute(
            sa.update(OutboxTask)
            .where(col(OutboxTask.dedupe_key) == f"payouts.transfer:{payout.id}")
            .values(available_at=past)
        )


async def onboard_technician(
    client: AsyncTestClient, sf: SF, ctx: TaskContext, booked: Booked, server: str
) -> str:
    """Mobile API link request -> task creates the Express account + link -> onboarding -> webhook."""
    response = await client.post("/mobile/v1/payouts/account-links", headers=booked.technician.headers)
    assert response.status_code == 202, response.text
    link = response.json()
    assert link["status"] == "pending" and link["url"] is None

    async def link_ready() -> bool:
        got = await client.get(
            f"/mobile/v1/payouts/account-links/{link['id']}", headers=booked.technician.headers
        )
        assert got.status_code == 200
        return bool(got.json()["status"] == "ready")

    await eventually(ctx, link_ready)
    # the request pushed the task to the app's in-process queue
    response = await client.get(
        f"/mobile/v1/payouts/account-links/{link['id']}", headers=booked.technician.headers
    )
    assert response.json()["status"] == "ready" and response.json()["url"].startswith("https://")
    async with sf() as session:
        technician = await session.get(Technician, booked.technician_id)
        assert technician is not None and technician.stripe_account_id and not technician.payouts_enabled
        account_id = technician.stripe_account_id
    await complete_onboarding(server, account_id)
    delivery = await wait_for_delivery(server, "account.updated", account_id)
    response = await client.post(
        "/webhooks/stripe", content=delivery["payload"], headers={"Stripe-Signature": delivery["signature"]}
    )
    assert response.status_code == 200, response.text

    async def enabled() -> bool:
        async with sf() as session:
            row = await session.get(Technician, booked.technician_id)
            return bool(row and row.payouts_enabled)

    await eventually(ctx, enabled)
    async with sf() as session:
        technician = await session.get(Technician, booked.technician_id)
        errors = (await session.execute(select(OutboxTask.name, OutboxTask.last_error))).all()
        assert technician is not None and technician.payouts_enabled, errors
    return account_id


async def eventually(ctx: TaskContext, check: Callable[[], Awaitable[bool]], within_s: float = 10) -> None:
    """Wait for tasks a request enqueued: they run on the app's in-process queue after the commit.

    That queue lives on the test client's own event loop (so `drain()` from the test's loop only
    times out), and it drops a delivery that finds its row locked; rows still pending/pushed are
    therefore also run here, as the outbox sweeper would.
    """
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        await run_tasks(ctx, include_pushed=True)
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def wait_for_delivery(server: str, event_type: str, object_id: str, nth: int = 0) -> dict[str, str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [
            d
            for d in await webhook_deliveries(server)
            if d["type"] == event_type and json.loads(d["payload"])["data"]["object"]["id"] == object_id
        ]
        if len(found) > nth:
            return found[nth]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {event_type} webhook for {object_id}")


# ---------------------------------------------------------------------------- tests


async def test_book_authorise_complete_capture_and_transfer(
    factory: Factory,
    session_factory: SF,
    task_ctx: TaskContext,
    money_client: AsyncTestClient,
    money_app,  # type: ignore[no-untyped-def]
    stripe_client: stripe.StripeClient,
    stripe_server: str,
) -> None:
    booked = await booked_order(factory, session_factory)
    await book(session_factory, booked)
    async with session_factory() as session:
        order = await session.get(WorkOrder, booked.order_id)
        assert order is not None
        assert (order.price_minor, order.fee_minor, order.currency) == (12_000, 1_800, "eur")  # 15%, min 3.00
    payment = await payment_of(session_factory, booked)
    assert payment.status == PaymentStatus.PENDING  # booked, pending payment

    assert await run_tasks(task_ctx) == ["payments.authorize"]
    payment = await payment_of(session_factory, booked)
    assert payment.status == PaymentStatus.AUTHORIZED and payment.amount_authorized_minor == 12_000
    assert payment.stripe_payment_intent_id is not None
    intent = await stripe_client.v1.payment_intents.retrieve_async(payment.stripe_payment_intent_id)
    assert (intent.status, intent.amount, intent.capture_method) == ("requires_capture", 12_000, "manual")
    assert intent.metadata["payment_id"] == str(payment.id)

    account_id = await onboard_technician(money_client, session_factory, task_ctx, booked, stripe_server)

    await complete(session_factory, booked)
    assert await run_tasks(task_ctx) == ["payments.capture", "messages.deliver"]  # + the receipt e-mail
    payment = await payment_of(session_factory, booked)
    assert payment.status == PaymentStatus.CAPTURED and payment.amount_captured_minor == 12_000
    assert payment.stripe_payment_intent_id is not None
    intent = await stripe_client.v1.payment_intents.retrieve_async(payment.stripe_payment_intent_id)
    assert intent.status == "succeeded"
    assert await postings(session_factory, booked) == {
        "capture": {"customer": -12_000, "platform": 1_800, "technician": 10_200}
    }
    payout = await payout_of(session_factory, booked)
    assert payout.status == PayoutStatus.PENDING and payout.amount_minor == 10_200
    assert timedelta(days=2) - timedelta(minutes=1) < payout.available_at - utcnow() <= timedelta(days=2)
    assert await run_tasks(task_ctx) == []  # held for the hold period

    await make_payout_due(session_factory, booked)
    assert await run_tasks(task_ctx) == ["payouts.transfer", "messages.deliver"]  # + the payout notice
    payout = await payout_of(session_factory, booked)
    assert payout.status == PayoutStatus.PAID and payout.stripe_transfer_id
    transfer = await stripe_client.v1.transfers.retrieve_async(payout.stripe_transfer_id)
    assert (transfer.amount, transfer.destination, transfer.currency) == (10_200, account_id, "eur")
    assert transfer.source_transaction == payment.stripe_charge_id
    assert await postings(session_factory, booked) == {
        "capture": {"customer": -12_000, "platform": 1_800, "technician": 10_200},
        "payout": {"technician": -10_200, "technician_paid": 10_200},
    }
    response = await money_client.get("/mobile/v1/payouts/account", headers=booked.technician.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["payouts_enabled"] is True
    assert body["owed"] == {"amount": 0, "currency": "eur"}
    assert body["paid"] == {"amount": 10_200, "currency": "eur"}

    response = await money_client.get(
        f"/work-orders/{booked.order_id}/payment", headers=booked.customer.headers
    )
    assert response.status_code == 200
    assert response.json()["status"] == "captured" and response.json()["problem"] is None


async def test_emergency_and_overrun_capture_within_authorisation(
    factory: Factory, session_factory: SF, task_ctx: TaskContext
) -> None:
    booked = await booked_order(factory, session_factory, duration_s=5400, priority=1)
    await book(session_factory, booked)
    async with session_factory() as session:
        order = await session.get(WorkOrder, booked.order_id)
        assert order is not None
        assert order.price_minor == 27_000  # 120.00 x 1.5h x 1.5 emergency
    await run_tasks(task_ctx)
    async with unit_of_work(session_factory) as session:  # the visit ran long: price above the hold
        order = await session.get(WorkOrder, booked.order_id)
        assert order is not None
        order.price_minor = 30_000
        order.fee_minor = split(30_000, MoneyPolicy()).fee_minor
    await complete(session_factory, booked)
    await run_tasks(task_ctx)
    payment = await payment_of(session_factory, booked)
    assert payment.amount_captured_minor == 27_000  # never more than authorised
    assert (await postings(session_factory, booked))["capture"] == {
        "customer": -27_000,
        "platform": 4_050,
        "technician": 22_950,
    }


async def test_cancel_in_free_window_releases_the_authorisation(
    factory: Factory, session_factory: SF, task_ctx: TaskContext, stripe_client: stripe.StripeClient
) -> None:
    booked = await booked_order(factory, session_factory)
    await book(session_factory, booked)
    await run_tasks(task_ctx)
    await cancel(session_factory, booked, fee=0)
    assert await run_tasks(task_ctx) == ["payments.settle_cancellation"]
    payment = await payment_of(session_factory, booked)
    assert payment.status == PaymentStatus.CANCELED and payment.cancellation_fee_minor == 0
    assert payment.stripe_payment_intent_id is not None
    intent = await stripe_client.v1.payment_intents.retrieve_async(payment.stripe_payment_intent_id)
    assert intent.status == "canceled"
    assert await postings(session_factory, booked) == {}  # no money moved


async def test_cancel_after_free_window_keeps_only_the_fee(
    factory: Factory, session_factory: SF, task_ctx: TaskContext, stripe_client: stripe.StripeClient
) -> None:
    booked = await booked_order(factory, session_factory)
    await book(session_factory, booked)
    await run_tasks(task_ctx)
    await cancel(session_factory, booked, fee=3_000)
    await run_tasks(task_ctx)
    payment = await payment_of(session_factory, booked)
    assert payment.status == PaymentStatus.CAPTURED and payment.amount_captured_minor == 3_000
    assert payment.stripe_charge_id is not None
    charge = await stripe_client.v1.charges.retrieve_async(payment.stripe_charge_id)
    assert charge.captured and charge.amount - charge.amount_refunded == 3_000  # the rest was released
    assert await postings(session_factory, booked) == {
        "capture": {"customer": -3_000, "platform": 450, "technician": 2_550}
    }
    assert (await payout_of(session_factory, booked)).amount_minor == 2_550


async def test_cancel_after_capture_refunds_all_but_the_fee(
    factory: Factory, session_factory: SF, task_ctx: TaskContext, stripe_client: stripe.StripeClient
) -> None:
    booked = await booked_order(factory, session_factory)
    await book(session_factory, booked)
    await run_tasks(task_ctx)
    await complete(session_factory, booked)
    await run_tasks(task_ctx)
    await cancel(session_factory, booked, fee=3_000)
    await run_tasks(task_ctx)
    payment = await payment_of(session_factory, booked)
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert (payment.amount_captured_minor, payment.amount_refunded_minor) == (12_000, 9_000)
    assert payment.stripe_payment_intent_id is not None
    refunds = await stripe_client.v1.refunds.list_async({"payment_intent": payment.stripe_payment_intent_id})
    assert [r.amount for r in refunds.data] == [9_000]
    assert await postings(session_factory, booked) == {
        "capture": {"customer": -12_000, "platform": 1_800, "technician": 10_200},
        "refund": {"customer": 9_000, "platform": -1_350, "technician": -7_650},
    }
    async with session_factory() as session:
        customer = ledger.customer_account(booked.customer_id)
        assert await ledger_repo.balance(session, customer, "eur") == -3_000
        assert (
            await ledger_repo.balance(session, ledger.technician_account(booked.technician_id), "eur")
            == 2_550
        )
    assert (await payout_of(session_factory, booked)).amount_minor == 2_550  # not transferred yet: shrunk


async def test_card_decline_is_a_clear_problem_and_nothing_stays_booked(
    factory: Factory,
    session_factory: SF,
    task_ctx: TaskContext,
    money_client: AsyncTestClient,
) -> None:
    booked = await booked_order(factory, session_factory, payment_method="pm_card_visa_chargeDeclined")
    await book(session_factory, booked)
    await run_tasks(task_ctx)
    payment = await payment_of(session_factory, booked)
    assert payment.status == PaymentStatus.FAILED and payment.failure_code == "card_declined"
    async with session_factory() as session:
        appointment = await session.get(Appointment, booked.appointment_id)
        order = await session.get(WorkOrder, booked.order_id)
        assert appointment is not None and appointment.status == AppointmentStatus.CANCELLED
        assert order is not None and order.status == WorkOrderStatus.NEEDS_CALLBACK
        notes = (
            await session.execute(select(Notification).where(Notification.kind == "payment.declined"))
        ).scalars()
        assert [n.recipient_user_id for n in notes] == [booked.customer.user.id]
    assert await postings(session_factory, booked) == {}

    response = await money_client.get(
        f"/work-orders/{booked.order_id}/payment", headers=booked.customer.headers
    )
    assert response.status_code == 200
    problem = response.json()["problem"]
    assert problem["type"] == PROBLEMS + "payment-declined" and problem["status"] == 402
    assert "declined" in problem["detail"].lower()

    stranger = await factory.login(Role.CUSTOMER)
    response = await money_client.get(f"/work-orders/{booked.order_id}/payment", headers=stranger.headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == PROBLEMS + "not-found"

    # the customer fixes the card and books again: a second attempt, a new PaymentIntent
    response = await money_client.put(
        "/payment-method", json={"payment_method": "pm_card_visa"}, headers=booked.customer.headers
    )
    assert response.status_code == 200, response.text
    async with unit_of_work(session_factory) as session:
        order = await session.get(WorkOrder, booked.order_id)
        assert order is not None
        order.status = WorkOrderStatus.SCHEDULED
        old = await session.get(Appointment, booked.appointment_id)
        assert old is not None
        fresh = Appointment(
            work_order_id=order.id,
            customer_id=order.customer_id,
            window_start=old.window_start + timedelta(days=1),
            window_end=old.window_end + timedelta(days=1),
        )
        session.add(fresh)
        await session.flush()
        await events.publish(session, events.AppointmentBooked(order, fresh, now=utcnow()))
    await run_tasks(task_ctx)
    retried = await payment_of(session_factory, booked)
    assert retried.status == PaymentStatus.AUTHORIZED and retried.attempt == 2
    assert (
        retried.stripe_payment_intent_id
        and retried.stripe_payment_intent_id != payment.stripe_payment_intent_id
    )


async def test_missing_card_keeps_the_booking_pending_until_one_is_saved(
    factory: Factory,
    session_factory: SF,
    task_ctx: TaskContext,
    money_client: AsyncTestClient,
    money_app,  # type: ignore[no-untyped-def]
) -> None:
    booked = await booked_order(factory, session_factory, payment_method=None)
    await book(session_factory, booked)
    await run_tasks(task_ctx)
    payment = await payment_of(session_factory, booked)
    assert payment.status == PaymentStatus.PENDING and payment.failure_code == "payment_method_required"
    response = await money_client.get(
        f"/work-orders/{booked.order_id}/payment", headers=booked.customer.headers
    )
    assert response.json()["problem"]["type"] == PROBLEMS + "payment-method-required"
    response = await money_client.put(
        "/payment-method", json={"payment_method": "pm_card_visa"}, headers=booked.customer.headers
    )
    assert response.status_code == 200

    async def authorized() -> bool:
        return (await payment_of(session_factory, booked)).status == PaymentStatus.AUTHORIZED

    await eventually(task_ctx, authorized)
    response = await money_client.put(
        "/payment-method",
        json={"payment_method": "pm_card_visa", "extra": 1},
        headers=booked.customer.headers,
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_every_money_task_twice_gives_one_stripe_object_and_the_same_state(
    factory: Factory,
    session_factory: SF,
    task_ctx: TaskContext,
    money_client: AsyncTestClient,
    money_app,  # type: ignore[no-untyped-def]
    stripe_server: str,
) -> None:
    booked = await booked_order(factory, session_factory)
    await onboard_technician(money_client, session_factory, task_ctx, booked, stripe_server)
    await book(session_factory, booked)
    await run_tasks(task_ctx)
    payment = await payment_of(session_factory, booked)
    before = await server_counts(stripe_server)
    await run_handler(task_ctx, "payments.authorize", {"payment_id": str(payment.id), "attempt": 1})
    assert await payment_of(session_factory, booked) == payment
    assert (await server_counts(stripe_server))["payment_intent"] == before["payment_intent"]

    await complete(session_factory, booked)
    await run_tasks(task_ctx)
    captured = await payment_of(session_factory, booked)
    await run_handler(task_ctx, "payments.capture", {"payment_id": str(payment.id)})
    assert await payment_of(session_factory, booked) == captured
    ledger_rows = await postings(session_factory, booked)

    await make_payout_due(session_factory, booked)
    await run_tasks(task_ctx)
    paid = await payout_of(session_factory, booked)
    transfers = (await server_counts(stripe_server))["transfer"]
    await run_handler(task_ctx, "payouts.transfer", {"payout_id": str(paid.id)})
    assert await payout_of(session_factory, booked) == paid
    assert (await server_counts(stripe_server))["transfer"] == transfers
    assert set(await postings(session_factory, booked)) == {"capture", "payout"}
    assert (await postings(session_factory, booked))["capture"] == ledger_rows["capture"]

    async with session_factory() as session:
        ids = (await session.execute(select(OutboxTask.id))).scalars().all()
    for task_id in ids:  # a redelivery of any finished outbox row is a no-op
        assert await execute_task(task_ctx, task_id) == RunOutcome.ALREADY_DONE


async def test_transfer_killed_after_stripe_answered_is_not_sent_twice(
    factory: Factory,
    session_factory: SF,
    task_ctx: TaskContext,
    money_client: AsyncTestClient,
    money_app,  # type: ignore[no-untyped-def]
    stripe_server: str,
    stripe_client: stripe.StripeClient,
) -> None:
    booked = await booked_order(factory, session_factory)
    account_id = await onboard_technician(money_client, session_factory, task_ctx, booked, stripe_server)
    await book(session_factory, booked)
    await run_tasks(task_ctx)
    await complete(session_factory, booked)
    await run_tasks(task_ctx)
    await make_payout_due(session_factory, booked)
    payout = await payout_of(session_factory, booked)

    # the worker calls Stripe, then dies before committing: our transaction rolls back
    async with session_factory() as session:
        await handler_for("payouts.transfer")(session, task_ctx, now=utcnow(), payout_id=str(payout.id))
        await session.rollback()
    assert (await payout_of(session_factory, booked)).status == PayoutStatus.PENDING
    sent = [
        t
        for t in (await stripe_client.v1.transfers.list_async({"limit": 100})).data
        if t.destination == account_id
    ]
    assert len(sent) == 1

    assert await run_tasks(task_ctx) == ["payouts.transfer", "messages.deliver"]  # the retry, then the notice
    payout = await payout_of(session_factory, booked)
    assert payout.status == PayoutStatus.PAID and payout.stripe_transfer_id == sent[0].id
    again = [
        t
        for t in (await stripe_client.v1.transfers.list_async({"limit": 100})).data
        if t.destination == account_id
    ]
    assert len(again) == 1
    async with session_factory() as session:
        payout_entries = await ledger_repo.entries(session, correlation_id=f"payout:{payout.id}")
    assert sorted(e.amount_minor for e in payout_entries) == [-10_200, 10_200]


async def test_held_payout_is_released_once_the_account_is_enabled(
    factory: Factory, session_factory: SF, task_ctx: TaskContext
) -> None:
    booked = await booked_order(factory, session_factory)
    await book(session_factory, booked)
    await run_tasks(task_ctx)
    await complete(session_factory, booked)
    await run_tasks(task_ctx)
    await make_payout_due(session_factory, booked)
    await run_tasks(task_ctx)
    assert (await payout_of(session_factory, booked)).status == PayoutStatus.HELD  # no payout account yet
    assert await sweep_held_payouts(task_ctx) == 0

    # onboarding finished (here the account is created directly and marked enabled, as a missed
    # webhook would leave it): the sweeper puts the payout back in the queue
    async with unit_of_work(session_factory) as session:
        from workers.tasks.payments import gateway_for

        gateway = gateway_for(task_ctx)
        account = await gateway.create_express_account(
            email=None, country=None, metadata={}, idempotency_key=f"account-{booked.technician_id}"
        )
        technician = await session.get(Technician, booked.technician_id)
        assert technician is not None
        technician.stripe_account_id = account
        technician.payouts_enabled = True
    await complete_onboarding(task_ctx.settings.stripe_api_base or "", account)
    assert await sweep_held_payouts(task_ctx) == 1
    assert await run_tasks(task_ctx) == ["payouts.transfer", "messages.deliver"]
    assert (await payout_of(session_factory, booked)).status == PayoutStatus.PAID


async def test_webhooks_verified_stored_once_and_order_independent(
    factory: Factory,
    session_factory: SF,
    task_ctx: TaskContext,
    money_client: AsyncTestClient,
    money_app,  # type: ignore[no-untyped-def]
    stripe_server: str,
) -> None:
    booked = await booked_order(factory, session_factory)
    account_id = await onboard_technician(money_client, session_factory, task_ctx, booked, stripe_server)
    enabled = await wait_for_delivery(stripe_server, "account.updated", account_id)

    # a duplicate delivery of the same event: 200, stored once, handled once
    response = await money_client.post(
        "/webhooks/stripe", content=enabled["payload"], headers={"Stripe-Signature": enabled["signature"]}
    )
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": True}
    async with session_factory() as session:
        stored = (await session.execute(select(ExternalEvent))).scalars().all()
        assert len(stored) == 1 and stored[0].processed_at is not None
    assert await count_outbox(session_factory, "stripe.handle_event") == 1

    # forged: a valid-looking header signed with another secret -> 400 problem, nothing stored
    payload = json.dumps(
        {"id": "evt_forged", "type": "account.updated", "data": {"object": {"id": account_id}}}
    )
    forged = stripe.WebhookSignature._compute_signature(f"{int(time.time())}.{payload}", "whsec_wrong")
    for headers in (
        {"Stripe-Signature": f"t={int(time.time())},v1={forged}"},
        {},
        {"Stripe-Signature": "garbage"},
    ):
        response = await money_client.post("/webhooks/stripe", content=payload, headers=headers)
        assert response.status_code == 400
        assert response.json()["type"] == PROBLEMS + "invalid-webhook-signature"
    # replayed long after: correctly signed but stale -> 400
    old = int(time.time()) - 3600
    stale = stripe.WebhookSignature._compute_signature(f"{old}.{payload}", WEBHOOK_SECRET)
    response = await money_client.post(
        "/webhooks/stripe", content=payload, headers={"Stripe-Signature": f"t={old},v1={stale}"}
    )
    assert response.status_code == 400
    async with session_factory() as session:
        assert await session.scalar(select(sa.func.count()).select_from(ExternalEvent)) == 1

    # out of order: Stripe restricts then re-enables the account; the newer event arrives first
    import httpx

    async with httpx.AsyncClient() as http:
        await http.post(f"{stripe_server}/_config/fieldhand/accounts/{account_id}/restrict")
        await http.post(f"{stripe_server}/_config/fieldhand/accounts/{account_id}/complete_onboarding")
    restricted = await wait_for_delivery(stripe_server, "account.updated", account_id, nth=1)
    reenabled = await wait_for_delivery(stripe_server, "account.updated", account_id, nth=2)
    assert json.loads(restricted["payload"])["data"]["object"]["payouts_enabled"] is False
    for delivery in (reenabled, restricted):
        response = await money_client.post(
            "/webhooks/stripe",
            content=delivery["payload"],
            headers={"Stripe-Signature": delivery["signature"]},
        )
        assert response.status_code == 200 and response.json()["duplicate"] is False

    async def all_handled() -> bool:
        async with session_factory() as session:
            waiting = await session.scalar(
                select(sa.func.count())
                .select_from(ExternalEvent)
                .where(col(ExternalEvent.processed_at).is_(None))
            )
            return waiting == 0

    await eventually(task_ctx, all_handled)
    async with session_factory() as session:
        technician = await session.get(Technician, booked.technician_id)
        assert technician is not None and technician.payouts_enabled is True  # Stripe's current state wins


async def test_test_server_rejects_misspelt_parameters_and_reused_keys(
    stripe_client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as misspelt:
        await stripe_client.v1.transfers.create_async(
            {"amount": 100, "currency": "eur", "destinaton": "acct_x"}  # type: ignore[typeddict-unknown-key,typeddict-item]
        )
    assert misspelt.value.code == "parameter_unknown" and misspelt.value.param == "destinaton"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await stripe_client.v1.transfers.create_async({"amount": 100, "currency": "eur"})  # type: ignore[typeddict-item]
    assert missing.value.code == "parameter_missing"
    key = f"test-{uuid.uuid4()}"
    first = await stripe_client.v1.customers.create_async({"name": "A"}, {"idempotency_key": key})
    again = await stripe_client.v1.customers.create_async({"name": "A"}, {"idempotency_key": key})
    assert first.id == again.id
    with pytest.raises(stripe.IdempotencyError):
        await stripe_client.v1.customers.create_async({"name": "B"}, {"idempotency_key": key})


async def test_ledger_refuses_unbalanced_postings_and_edits(session_factory: SF) -> None:
    async with session_factory() as session:
        with pytest.raises(ledger.UnbalancedPosting):
            await ledger.post(
                session,
                correlation_id="test:unbalanced",
                lines=[
                    ledger.Line("customer:x", -100, "charge"),
                    ledger.Line(ledger.PLATFORM_FEES, 99, "fee"),
                ],
                currency="eur",
            )
        assert await ledger.post(
            session,
            correlation_id="test:ok",
            lines=[ledger.Line("customer:x", -100, "charge"), ledger.Line(ledger.PLATFORM_FEES, 100, "fee")],
            currency="eur",
        )
        assert not await ledger.post(  # a correlation is written once
            session,
            correlation_id="test:ok",
            lines=[ledger.Line("customer:x", -100, "charge"), ledger.Line(ledger.PLATFORM_FEES, 100, "fee")],
            currency="eur",
        )
        assert await ledger.reverse(session, correlation_id="test:ok:reversal", of_correlation_id="test:ok")
        await session.commit()
        assert await ledger_repo.balance(session, ledger.PLATFORM_FEES, "eur") == 0
        with pytest.raises(sa.exc.DBAPIError):  # append-only: the PG trigger refuses edits
            await session.execute(sa.update(LedgerEntry).values(amount_minor=1))
        await session.rollback()
