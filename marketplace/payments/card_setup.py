"""Saving a customer's card with Stripe Elements: a SetupIntent confirmed in the browser.

The browser needs a SetupIntent's client secret before it can confirm the card, so this is
the one payment step that talks to Stripe inside a request (creating and reading a
SetupIntent moves no money). The flow:

1. `start_card_setup`: make sure the customer exists at Stripe (the same idempotency key as
   the authorisation task uses, so both get one Stripe customer) and create a SetupIntent
   for them (`usage=off_session`, so later manual-capture authorisations need no customer).
   The caller's Idempotency-Key makes a retried tap return the same SetupIntent.
2. The browser confirms it with Stripe.js (`confirmCardSetup`); the card never reaches us.
3. `finish_card_setup`: read the SetupIntent back from Stripe, check it belongs to this
   customer and succeeded, then save its PaymentMethod (`set_default_payment_method`,
   which retries bookings waiting for a card).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.customers.models import Customer
from marketplace.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from marketplace.payments import repository as repo
from marketplace.payments.authorise import set_default_payment_method
from marketplace.payments.models import BillingProfile
from marketplace.payments.stripe_gateway import StripeGateway

log = logging.getLogger(__name__)


class CardSetupUnavailable(Conflict):
    slug = "card-setup-unavailable"
    title = "Cards cannot be saved on this server (no Stripe account is configured)"


class CardSetupFailed(ServiceUnavailable):
    slug = "card-setup-failed"
    title = "Stripe did not answer as expected; the card was not saved"


class CardNotConfirmed(InvalidInput):
    slug = "card-not-confirmed"
    title = "The card was not confirmed"


@dataclass(frozen=True, slots=True)
class CardSetup:
    id: str
    client_secret: str
    status: str
    customer: str | None
    payment_method: str | None


def _setup(obj: Any) -> CardSetup:
    data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    method = data.get("payment_method")
    if isinstance(method, dict):
        method = method.get("id")
    return CardSetup(
        id=str(data["id"]),
        client_secret=str(data.get("client_secret") or ""),
        status=str(data["status"]),
        customer=data.get("customer"),
        payment_method=str(method) if method else None,
    )


async def _stripe(coro: Any) -> Any:
    try:
        return await coro
    except stripe.StripeError as exc:
        log.warning("card setup: Stripe refused or failed", extra={"error": str(exc)})
        raise CardSetupFailed("We could not save the card just now; please try again.") from exc


def _gateway(gateway: object) -> StripeGateway:
    if not isinstance(gateway, StripeGateway):
        raise CardSetupUnavailable()
    return gateway


async def _customer(session: AsyncSession, principal: Principal) -> Customer:
    customer = await repo.customer(session, principal.customer_id) if principal.customer_id else None
    if customer is None:
        raise NotFound("No customer profile for this login")
    return customer


async def start_card_setup(
    session: AsyncSession, principal: Principal, gateway: object, *, request_key: str
) -> CardSetup:
    """A SetupIntent for the signed-in customer; `request_key` is the client's Idempotency-Key."""
    stripe_gateway = _gateway(gateway)
    customer = await _customer(session, principal)
    if customer.stripe_customer_id is None:
        customer.stripe_customer_id = await stripe_gateway.create_customer(
            name=customer.name,
            email=customer.email,
            metadata={"customer_id": str(customer.id)},
            idempotency_key=f"customer-{customer.id}",
        )
        await session.flush()
    digest = hashlib.sha256(request_key.encode()).hexdigest()[:32]
    params: Any = {
        "customer": customer.stripe_customer_id,
        "usage": "off_session",
        "metadata": {"customer_id": str(customer.id)},
    }
    created = await _stripe(
        stripe_gateway.client.v1.setup_intents.create_async(
            params, {"idempotency_key": f"seti-{customer.id}-{digest}"}
        )
    )
    return _setup(created)


async def finish_card_setup(
    session: AsyncSession, principal: Principal, gateway: object, setup_intent_id: str, *, now: datetime
) -> BillingProfile:
    """Save the card of a SetupIntent the browser confirmed, once Stripe says it succeeded."""
    stripe_gateway = _gateway(gateway)
    customer = await _customer(session, principal)
    if not setup_intent_id.startswith("seti_") or len(setup_intent_id) > 128:
        raise CardNotConfirmed("That is not a card confirmation from Stripe.")
    setup = _setup(await _stripe(stripe_gateway.client.v1.setup_intents.retrieve_async(setup_intent_id)))
    if customer.stripe_customer_id is None or setup.customer != customer.stripe_customer_id:
        raise NotFound("No such card confirmation for this customer")
    if setup.status != "succeeded" or setup.payment_method is None:
        raise CardNotConfirmed("Your bank did not confirm the card; try again or use another card.")
    return await set_default_payment_method(session, principal, setup.payment_method, now=now)
