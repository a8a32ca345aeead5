"""The one place that talks to Stripe (customers, PaymentIntents, refunds, Connect).

`StripeGateway` wraps the official SDK's `StripeClient` (async methods). Every creating call
takes an idempotency key derived from one of our row ids, so a task that runs again after a
crash gets Stripe's stored answer instead of a second object. Errors are sorted into:
- `CardDeclined`       the customer's bank said no (final, show it to the customer);
- `TransientStripeError` network trouble, rate limits, Stripe 5xx, an idempotent request
  still in flight: retry later with backoff;
- `StripeRequestRejected` anything else (a bug or a state Stripe refuses): not retried blindly.

The interface and its errors live here; `stripe_gateway.py` holds `StripeGateway` and
`build_gateway(settings)`, `dry_run_gateway.py` the no-money stand-in for `make run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from marketplace.errors import TryLater


class StripeGatewayError(Exception):
    pass


class CardDeclined(StripeGatewayError):
    def __init__(self, message: str, *, code: str | None, decline_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or "card_declined"
        self.decline_code = decline_code


class TransientStripeError(StripeGatewayError, TryLater):
    """Network trouble, rate limits, Stripe's own errors: worth the same call again later."""


class StripeRequestRejected(StripeGatewayError):
    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass(frozen=True, slots=True)
class IntentState:
    id: str
    status: str  # Stripe's PaymentIntent status
    amount_minor: int
    amount_received_minor: int
    charge_id: str | None


@dataclass(frozen=True, slots=True)
class AccountState:
    id: str
    payouts_enabled: bool
    charges_enabled: bool
    details_submitted: bool


@dataclass(frozen=True, slots=True)
class AccountLinkState:
    url: str
    expires_at: datetime | None  # None: a dry-run link that does not expire


class PaymentGateway(Protocol):
    dry_run: bool

    async def create_customer(
        self, *, name: str, email: str | None, metadata: dict[str, str], idempotency_key: str
    ) -> str: ...

    async def authorize(
        self,
        *,
        amount_minor: int,
        currency: str,
        customer: str,
        payment_method: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> IntentState: ...

    async def capture(self, intent_id: str, *, amount_minor: int, idempotency_key: str) -> IntentState: ...

    async def cancel(self, intent_id: str, *, idempotency_key: str) -> IntentState: ...

    async def retrieve_intent(self, intent_id: str) -> IntentState: ...

    async def refund(
        self, intent_id: str, *, amount_minor: int, metadata: dict[str, str], idempotency_key: str
    ) -> str: ...

    async def create_express_account(
        self, *, email: str | None, country: str | None, metadata: dict[str, str], idempotency_key: str
    ) -> str: ...

    async def retrieve_account(self, account_id: str) -> AccountState: ...

    async def create_account_link(
        self, account_id: str, *, refresh_url: str, return_url: str, idempotency_key: str
    ) -> AccountLinkState: ...

    async def transfer(
        self,
        *,
        amount_minor: int,
        currency: str,
        destination: str,
        source_transaction: str | None,
        transfer_group: str | None,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> str: ...
