"""Customer-facing payment endpoints: save a card, see the payment of a work order."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody

from api.deps import CurrentPrincipal, DbSession, Now
from marketplace.auth import requires
from marketplace.payments import authorise, records
from marketplace.users.models import Role

PaymentMethodId = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^pm_[A-Za-z0-9_]+$",
        max_length=128,
        description="A Stripe PaymentMethod id collected with Stripe.js (e.g. `pm_card_visa` in test mode)",
    ),
]


class PaymentMethodIn(msgspec.Struct, forbid_unknown_fields=True):
    payment_method: PaymentMethodId


class PaymentMethodOut(msgspec.Struct):
    payment_method: str
    updated_at: datetime


class Money(msgspec.Struct):
    amount: int
    currency: str


class PaymentOut(msgspec.Struct):
    work_order_id: uuid.UUID
    status: str
    authorized: Money
    captured: Money
    refunded: Money
    attempt: int
    cancellation_fee: Money | None
    problem: dict[str, Any] | None
    updated_at: datetime


class PaymentsController(Controller):
    path = ""
    tags = ["payments"]

    @put("/payment-method", operation_id="setPaymentMethod", guards=[requires(Role.CUSTOMER)])
    async def set_payment_method(
        self, now: Now, data: JSONBody[PaymentMethodIn], principal: CurrentPrincipal, db_session: DbSession
    ) -> PaymentMethodOut:
        """Save the card used to authorise bookings. Bookings waiting for a card are retried."""
        profile = await authorise.set_default_payment_method(
            db_session, principal, data.payment_method, now=now
        )
        return PaymentMethodOut(payment_method=profile.default_payment_method, updated_at=profile.updated_at)

    @get(
        "/work-orders/{work_order_id:uuid}/payment",
        operation_id="getWorkOrderPayment",
        guards=[requires(Role.CUSTOMER, Role.AGENT, Role.DISPATCHER, Role.ADMIN)],
    )
    async def get_payment(
        self, work_order_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> PaymentOut:
        """The payment of a work order, amounts in minor units: staff (agent, dispatcher,
        admin) read any order's, a customer only their own (404 otherwise). `status` is
        pending (authorising), authorized, captured, canceled, partially_refunded, refunded
        or failed; when the card was declined (or a card is missing) `problem` holds an
        RFC 9457 problem (`payment-declined`, `payment-method-required`) explaining what to do."""
        view = await records.get_payment_for_customer(db_session, principal, work_order_id)
        p = view.payment
        return PaymentOut(
            work_order_id=p.work_order_id,
            status=p.status,
            authorized=Money(p.amount_authorized_minor, p.currency),
            captured=Money(p.amount_captured_minor, p.currency),
            refunded=Money(p.amount_refunded_minor, p.currency),
            attempt=p.attempt,
            cancellation_fee=(
                Money(p.cancellation_fee_minor, p.currency) if p.cancellation_fee_minor is not None else None
            ),
            problem=view.problem,
            updated_at=p.updated_at,
        )
