"""Paying from /app: the card form (Stripe Elements) and the payment in plain words."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, post
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.customer_app import wording
from api.customer_app.session import checked_form, customer
from api.deps import AppSettings, DbSession, Now
from api.web.messages import Messages
from marketplace.errors import InvalidInput
from marketplace.payments.card_setup import finish_card_setup, start_card_setup
from marketplace.payments.gateway import PaymentGateway
from marketplace.payments.models import BillingProfile
from marketplace.payments.records import PAYMENT_METHOD_REQUIRED, payment_for_order
from marketplace.payments.stripe_gateway import build_gateway
from marketplace.settings import Settings
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.reads import visible_order

CLOSED = ("completed", "cancelled", "failed")


def gateway_of(state: Any, settings: Settings) -> PaymentGateway:
    """One payment gateway per app process, built on first use."""
    gateway = getattr(state, "customer_app_gateway", None)
    if gateway is None:
        gateway = build_gateway(settings)
        state.customer_app_gateway = gateway
    return gateway  # type: ignore[no-any-return]


async def payment_context(
    session: AsyncSession, state: Any, settings: Settings, order: WorkOrder, m: Messages
) -> dict[str, Any]:
    """What the order page shows about money: the payment in words and the card form."""
    payment = await payment_for_order(session, order.id)
    words = None
    if payment is not None and payment.customer_id == order.customer_id:
        words = wording.payment(
            payment.status,
            authorized=payment.amount_authorized_minor,
            captured=payment.amount_captured_minor,
            refunded=payment.amount_refunded_minor,
            currency=payment.currency,
            waiting_for_card=payment.failure_code == PAYMENT_METHOD_REQUIRED,
            problem=payment.failure_reason,
            m=m,
        )
    profile = await session.get(BillingProfile, order.customer_id)
    dry_run = gateway_of(state, settings).dry_run
    return {
        "payment_words": words,
        "card_saved": profile is not None,
        "card_form": not dry_run and bool(settings.stripe_publishable_key) and order.status not in CLOSED,
        "payments_off": dry_run,
        "stripe_key": settings.stripe_publishable_key,
        "stripe_js_url": settings.stripe_js_url,
    }


class CardPages(Controller):
    path = "/orders/{order_id:uuid}"
    include_in_schema = False

    @post("/card-setup", status_code=200)
    async def card_setup(
        self,
        request: Request[Any, Any, Any],
        order_id: uuid.UUID,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[dict[str, str]]:
        """The SetupIntent the page's Stripe.js confirms (JSON for the page's script)."""
        principal = customer(request)
        await checked_form(request, settings, principal)
        await visible_order(db_session, principal, order_id)
        key = request.headers.get("idempotency-key", "")
        if not 8 <= len(key) <= 200:
            raise InvalidInput("An Idempotency-Key header (8-200 characters) is required.")
        setup = await start_card_setup(
            db_session, principal, gateway_of(request.app.state, settings), request_key=key
        )
        return Response({"client_secret": setup.client_secret}, headers={"Cache-Control": "no-store"})

    @post("/card", status_code=303)
    async def save_card(
        self,
        request: Request[Any, Any, Any],
        order_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        """Save the card Stripe.js confirmed; bookings waiting for a card go ahead."""
        principal = customer(request)
        form = await checked_form(request, settings, principal)
        await visible_order(db_session, principal, order_id)
        await finish_card_setup(
            db_session,
            principal,
            gateway_of(request.app.state, settings),
            form.get("setup_intent", ""),
            now=now,
        )
        return Redirect(path=f"/app/orders/{order_id}?note=card", status_code=303)
