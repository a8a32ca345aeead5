"""Stripe Connect resources localstripe lacks: Express accounts, account links, transfers."""

from __future__ import annotations

import time
from typing import Any

from localstripe.errors import UserError
from localstripe.resources import Charge, Event, StripeObject, random_id, store
from localstripe.webhooks import schedule_webhook


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        type: str | None = None,
        email: str | None = None,
        country: str | None = None,
        capabilities: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
        business_type: str | None = None,
        controller: dict[str, Any] | None = None,
        **_ignored: Any,
    ) -> None:
        if type not in (None, "express", "standard", "custom"):
            raise UserError(400, f"Invalid type: {type}")
        super().__init__()
        self.type = type or "express"
        self.email = email
        self.country = country or "NL"
        self.default_currency = "eur"
        self.business_type = business_type
        self.metadata = metadata or {}
        self.controller = controller or {"type": "application"}
        requested = {
            name
            for name, opts in (capabilities or {}).items()
            if str(opts.get("requested")).lower() == "true"
        }
        self.capabilities = {name: "inactive" for name in requested}
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.requirements: dict[str, Any] = {
            "currently_due": ["external_account", "tos_acceptance.date"],
            "disabled_reason": "requirements.past_due",
        }

    def _complete_onboarding(self) -> None:
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = {name: "active" for name in self.capabilities} or {"transfers": "active"}
        self.requirements = {"currently_due": [], "disabled_reason": None}
        schedule_webhook(Event("account.updated", self))

    def _restrict(self) -> None:
        self.payouts_enabled = False
        self.capabilities = {name: "inactive" for name in self.capabilities}
        self.requirements = {
            "currently_due": ["individual.verification.document"],
            "disabled_reason": "requirements.past_due",
        }
        schedule_webhook(Event("account.updated", self))


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        amount: Any = None,
        currency: str | None = None,
        destination: str | None = None,
        source_transaction: str | None = None,
        transfer_group: str | None = None,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        **_ignored: Any,
    ) -> None:
        try:
            amount = int(amount)
        except (TypeError, ValueError):
            raise UserError(400, "Invalid integer: amount") from None
        if amount <= 0:
            raise UserError(400, "Amount must be at least 1 cent", {"param": "amount"})
        account = store.get(f"account:{destination}")
        if account is None:
            raise UserError(
                400,
                f"No such destination: '{destination}'",
                {"code": "resource_missing", "param": "destination"},
            )
        if account.capabilities.get("transfers") != "active":
            raise UserError(
                400,
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                {"code": "insufficient_capabilities_for_transfer", "param": "destination"},
            )
        if source_transaction is not None:
            charge = store.get(f"charge:{source_transaction}")
            if charge is None:
                raise UserError(
                    400, f"No such charge: '{source_transaction}'", {"param": "source_transaction"}
                )
            if not charge.captured or amount > charge.amount:
                raise UserError(400, "Transfer amount exceeds the source transaction", {"param": "amount"})
        super().__init__()
        self.amount = amount
        self.amount_reversed = 0
        self.currency = (currency or "eur").lower()
        self.destination = destination
        self.source_transaction = source_transaction
        self.transfer_group = transfer_group
        self.description = description
        self.metadata = metadata or {}
        self.reversed = False
        schedule_webhook(Event("transfer.created", self))


def create_account_link(
    account: str | None = None,
    type: str | None = None,
    refresh_url: str | None = None,
    return_url: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    if store.get(f"account:{account}") is None:
        raise UserError(
            400, f"No such account: '{account}'", {"code": "resource_missing", "param": "account"}
        )
    now = int(time.time())
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + 300,
        "url": f"https://connect.stripe.test/setup/e/{account}/{random_id(12)}",
    }


# make localstripe's `pm_card_visa_chargeDeclined` decline when charged, as Stripe does
_original_charging_is_declined = None


def patch_test_cards() -> None:
    from localstripe.resources import PaymentMethod

    global _original_charging_is_declined
    if _original_charging_is_declined is not None:
        return
    _original_charging_is_declined = PaymentMethod._charging_is_declined

    def charging_is_declined(self: Any) -> bool:
        if self.type == "card" and getattr(self, "_card_number", None) == "4000000000000002":
            return True
        return bool(_original_charging_is_declined(self))

    PaymentMethod._charging_is_declined = charging_is_declined  # type: ignore[method-assign]


__all__ = ["Account", "Charge", "Transfer", "create_account_link", "patch_test_cards"]
