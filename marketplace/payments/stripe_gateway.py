"""`StripeGateway`: the official SDK's `StripeClient` (async methods) behind `PaymentGateway`,
and `build_gateway`, which picks the gateway for the settings:
- `FIELDHAND_STRIPE_API_KEY` set      -> real Stripe (test or live mode per key),
  `FIELDHAND_STRIPE_API_BASE` optional override (e.g. a local Stripe-compatible server);
- no key but `FIELDHAND_STRIPE_API_BASE` -> that local server with a placeholder test key;
- neither                             -> `DryRunGateway` (`dry_run_gateway.py`)."""

from __future__ import annotations

from typing import Any

import stripe

from marketplace.payments.dry_run_gateway import DryRunGateway
from marketplace.payments.gateway import (
    AccountLinkState,
    AccountState,
    CardDeclined,
    IntentState,
    PaymentGateway,
    StripeGatewayError,
    StripeRequestRejected,
    TransientStripeError,
)
from marketplace.settings import Settings
from marketplace.timeutil import from_epoch

LOCAL_PLACEHOLDER_KEY = "sk_test_fieldhand_local_server"


def _translate(exc: stripe.StripeError) -> StripeGatewayError:
    if isinstance(exc, stripe.CardError):
        error = exc.error
        return CardDeclined(
            exc.user_message or str(exc),
            code=exc.code,
            decline_code=getattr(error, "decline_code", None) if error is not None else None,
        )
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return TransientStripeError(str(exc))
    status = exc.http_status
    if status == 409:  # an idempotent request still in flight, or a lock timeout at Stripe
        return TransientStripeError(str(exc))
    if status is not None and status >= 500:
        return TransientStripeError(str(exc))
    if isinstance(exc, stripe.APIError) and status is None:
        return TransientStripeError(str(exc))
    return StripeRequestRejected(exc.user_message or str(exc), code=exc.code, status=status)


def _charge_id(latest_charge: Any) -> str | None:
    if latest_charge is None:
        return None
    if isinstance(latest_charge, str):
        return latest_charge
    return str(latest_charge["id"])


def _plain(obj: Any) -> dict[str, Any]:
    """SDK objects are not dicts (no `.get`); work on a plain copy."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _intent(pi: Any) -> IntentState:
    data = _plain(pi)
    return IntentState(
        id=data["id"],
        status=data["status"],
        amount_minor=int(data["amount"]),
        amount_received_minor=int(data.get("amount_received") or 0),
        charge_id=_charge_id(data.get("latest_charge")),
    )


class StripeGateway:
    dry_run = False

    def __init__(self, api_key: str, api_base: str | None = None, *, max_network_retries: int = 0) -> None:
        base_addresses: Any = {"api": api_base, "connect": api_base} if api_base else None
        self.client = stripe.StripeClient(
            api_key,
            base_addresses=base_addresses,
            max_network_retries=max_network_retries,
            http_client=stripe.HTTPXClient(),
        )

    @staticmethod
    def _options(idempotency_key: str | None) -> Any:
        return {"idempotency_key": idempotency_key} if idempotency_key else {}

    async def _call(self, coro: Any) -> Any:
        try:
            return await coro
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    async def create_customer(
        self, *, name: str, email: str | None, metadata: dict[str, str], idempotency_key: str
    ) -> str:
        params: Any = {"name": name, "metadata": metadata}
        if email:
            params["email"] = email
        customer = await self._call(
            self.client.v1.customers.create_async(params, self._options(idempotency_key))
        )
        return str(customer.id)

    async def authorize(
        self,
        *,
        amount_minor: int,
        currency: str,
        customer: str,
        payment_method: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> IntentState:
        params: Any = {
            "amount": amount_minor,
            "currency": currency,
            "customer": customer,
            "payment_method": payment_method,
            "capture_method": "manual",
            "confirm": True,
            "off_session": True,
            "metadata": metadata,
        }
        pi = await self._call(
            self.client.v1.payment_intents.create_async(params, self._options(idempotency_key))
        )
        return _intent(pi)

    async def capture(self, intent_id: str, *, amount_minor: int, idempotency_key: str) -> IntentState:
        params: Any = {"amount_to_capture": amount_minor}
        pi = await self._call(
            self.client.v1.payment_intents.capture_async(intent_id, params, self._options(idempotency_key))
        )
        return _intent(pi)

    async def cancel(self, intent_id: str, *, idempotency_key: str) -> IntentState:
        pi = await self._call(
            self.client.v1.payment_intents.cancel_async(intent_id, None, self._options(idempotency_key))
        )
        return _intent(pi)

    async def retrieve_intent(self, intent_id: str) -> IntentState:
        return _intent(await self._call(self.client.v1.payment_intents.retrieve_async(intent_id)))

    async def refund(
        self, intent_id: str, *, amount_minor: int, metadata: dict[str, str], idempotency_key: str
    ) -> str:
        params: Any = {"payment_intent": intent_id, "amount": amount_minor, "metadata": metadata}
        refund = await self._call(self.client.v1.refunds.create_async(params, self._options(idempotency_key)))
        return str(refund.id)

    async def create_express_account(
        self, *, email: str | None, country: str | None, metadata: dict[str, str], idempotency_key: str
    ) -> str:
        params: Any = {
            "type": "express",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": metadata,
        }
        if email:
            params["email"] = email
        if country:
            params["country"] = country
        account = await self._call(
            self.client.v1.accounts.create_async(params, self._options(idempotency_key))
        )
        return str(account.id)

    async def retrieve_account(self, account_id: str) -> AccountState:
        account = _plain(await self._call(self.client.v1.accounts.retrieve_async(account_id)))
        return AccountState(
            id=str(account["id"]),
            payouts_enabled=bool(account.get("payouts_enabled")),
            charges_enabled=bool(account.get("charges_enabled")),
            details_submitted=bool(account.get("details_submitted")),
        )

    async def create_account_link(
        self, account_id: str, *, refresh_url: str, return_url: str, idempotency_key: str
    ) -> AccountLinkState:
        params: Any = {
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
        link = await self._call(
            self.client.v1.account_links.create_async(params, self._options(idempotency_key))
        )
        return AccountLinkState(url=str(link["url"]), expires_at=from_epoch(int(link["expires_at"])))

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
    ) -> str:
        params: Any = {
            "amount": amount_minor,
            "currency": currency,
            "destination": destination,
            "metadata": metadata,
        }
        if source_transaction:
            params["source_transaction"] = source_transaction
        if transfer_group:
            params["transfer_group"] = transfer_group
        transfer = await self._call(
            self.client.v1.transfers.create_async(params, self._options(idempotency_key))
        )
        return str(transfer.id)


def build_gateway(settings: Settings) -> PaymentGateway:
    if settings.stripe_api_key:
        return StripeGateway(settings.stripe_api_key, settings.stripe_api_base)
    if settings.stripe_api_base:
        return StripeGateway(LOCAL_PLACEHOLDER_KEY, settings.stripe_api_base)
    return DryRunGateway()
