"""What Fieldhand tells customers and technicians, one verb per occasion.

Each verb composes a catalog message (inbox, e-mail, SMS where the template has one) in
the caller's transaction, with a dedupe key derived from the occasion's row, so telling
twice writes once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.messages import repository
from marketplace.messages.models import Channel, Message
from marketplace.messages.service import Outgoing, Recipient, compose
from marketplace.messages.templates import money
from marketplace.work_orders.models import WorkOrder

if TYPE_CHECKING:
    from marketplace.bookings.models import Appointment
    from marketplace.offers.models import Offer
    from marketplace.payments.models import Payment
    from marketplace.payouts.models import Payout
    from marketplace.technicians.models import Technician


def to_customer(customer_id: uuid.UUID) -> Recipient:
    return Recipient(customer_id=customer_id)


def to_technician(technician_id: uuid.UUID) -> Recipient:
    return Recipient(technician_id=technician_id)


async def access_link(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    url: str,
    expires_at: datetime,
    summary: str,
    dedupe_key: str,
    now: datetime,
    work_order_id: uuid.UUID | None = None,
) -> list[Message]:
    """A signed sign-in link (built by the caller). Not kept in the inbox: the link is the
    credential, and an inbox is only reachable once signed in anyway."""
    return await compose(
        session,
        Outgoing(
            to_customer(customer_id),
            "access_link",
            {"summary": summary, "url": url, "expires_at": expires_at},
            now=now,
            dedupe_key=dedupe_key,
            work_order_id=work_order_id,
            channels=(Channel.EMAIL, Channel.SMS),
        ),
    )


async def slot_held(
    session: AsyncSession, order: WorkOrder, appointment: Appointment, *, now: datetime
) -> list[Message]:
    """The customer did not book in time: a window is held for them until `hold_confirm_at`."""
    assert appointment.hold_confirm_at is not None
    return await compose(
        session,
        Outgoing(
            to_customer(order.customer_id),
            "slot_held",
            {
                "summary": order.summary,
                "window_start": appointment.window_start,
                "window_end": appointment.window_end,
                "confirm_at": appointment.hold_confirm_at,
            },
            now=now,
            dedupe_key=f"slot-held:{appointment.id}",
            work_order_id=order.id,
        ),
    )


async def booking_confirmed(
    session: AsyncSession, order: WorkOrder, appointment: Appointment, *, meets_sla: bool, now: datetime
) -> list[Message]:
    note = (
        ""
        if meets_sla
        else "\nThis is later than your service level promises; support knows and may call you."
    )
    return await compose(
        session,
        Outgoing(
            to_customer(order.customer_id),
            "booking_confirmation",
            {
                "summary": order.summary,
                "window_start": appointment.window_start,
                "window_end": appointment.window_end,
                "note": note,
            },
            now=now,
            dedupe_key=f"booking-confirmed:{appointment.id}",
            work_order_id=order.id,
            channels=(Channel.INBOX, Channel.EMAIL),
        ),
    )


def on_the_way_message(
    order: WorkOrder, tech: Technician, eta: datetime | None, *, now: datetime
) -> Outgoing:
    """One per assignment: the visit step and the reminder sweep share the dedupe key."""
    return Outgoing(
        to_customer(order.customer_id),
        "technician_on_the_way" if eta is not None else "technician_on_the_way_no_eta",
        {"technician": tech.display_name, "eta": eta},
        now=now,
        dedupe_key=f"on-the-way:{order.id}:{tech.id}",
        work_order_id=order.id,
    )


async def on_the_way(
    session: AsyncSession, order: WorkOrder, tech: Technician, eta: datetime | None, *, now: datetime
) -> list[Message]:
    return await compose(session, on_the_way_message(order, tech, eta, now=now))


async def sla_apology(
    session: AsyncSession, order: WorkOrder, new_time: datetime, *, now: datetime
) -> list[Message]:
    due = order.sla_due_at.isoformat() if order.sla_due_at else "none"
    return await compose(
        session,
        Outgoing(
            to_customer(order.customer_id),
            "sla_risk_apology",
            {"summary": order.summary, "new_time": new_time},
            now=now,
            dedupe_key=f"sla-apology:{order.id}:{due}",
            work_order_id=order.id,
        ),
    )


async def receipt(
    session: AsyncSession, payment: Payment, order: WorkOrder, *, now: datetime
) -> list[Message]:
    return await compose(
        session,
        Outgoing(
            to_customer(payment.customer_id),
            "receipt",
            {
                "summary": order.summary,
                "amount": money(payment.amount_captured_minor, payment.currency),
                "paid_at": now,
                "reference": str(payment.id),
            },
            now=now,
            dedupe_key=f"receipt:{payment.id}",
            work_order_id=order.id,
            channels=(Channel.INBOX, Channel.EMAIL),
        ),
    )


async def payment_declined(
    session: AsyncSession, payment: Payment, order: WorkOrder, *, now: datetime
) -> list[Message]:
    return await compose(
        session,
        Outgoing(
            to_customer(payment.customer_id),
            "payment_declined",
            {
                "summary": order.summary,
                "reason": payment.failure_reason or payment.failure_code or "declined",
            },
            now=now,
            dedupe_key=f"payment-declined:{payment.id}:{payment.attempt}",
            work_order_id=order.id,
            channels=(Channel.INBOX, Channel.EMAIL),
        ),
    )


async def offer_made(
    session: AsyncSession, order: WorkOrder, offer: Offer, *, now: datetime
) -> list[Message]:
    earnings = (
        money(offer.earnings_minor, offer.currency) if offer.earnings_minor is not None else "see the app"
    )
    start = offer.window_start or now  # no window: as soon as possible
    return await compose(
        session,
        Outgoing(
            to_technician(offer.technician_id),
            "offer_notice",
            {
                "summary": order.summary,
                "window_start": start,
                "window_end": offer.window_end or start,
                "earnings": earnings,
                "expires_at": offer.expires_at,
            },
            now=now,
            dedupe_key=f"offer-new:{offer.id}",
            work_order_id=order.id,
        ),
    )


async def missed_offer(
    session: AsyncSession, technician_id: uuid.UUID, order: WorkOrder, *, reason: str, now: datetime
) -> list[Message]:
    """ "Why not you": a job the technician was considered for went to someone else."""
    return await compose(
        session,
        Outgoing(
            to_technician(technician_id),
            "missed_offer_notice",
            {"summary": order.summary, "reason": reason},
            now=now,
            dedupe_key=f"missed-offer:{order.id}:{technician_id}",
            work_order_id=order.id,
            channels=(Channel.INBOX,),
        ),
    )


async def payout_sent(session: AsyncSession, payout: Payout, *, now: datetime) -> list[Message]:
    order = (
        await repository.work_order_told_about(session, payout.work_order_id)
        if payout.work_order_id
        else None
    )
    summary = order.summary if order is not None else "your completed visits"
    return await compose(
        session,
        Outgoing(
            to_technician(payout.technician_id),
            "payout_notice",
            {"amount": money(payout.amount_minor, payout.currency), "summary": summary, "paid_at": now},
            now=now,
            dedupe_key=f"payout-sent:{payout.id}",
            work_order_id=payout.work_order_id,
            channels=(Channel.INBOX, Channel.EMAIL),
        ),
    )
