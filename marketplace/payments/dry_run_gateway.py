"""`DryRunGateway`: no network, no money, fabricated ids prefixed `dryrun_`, a warning on
every call. For `make run` on a laptop only."""

from __future__ import annotations

import hashlib
import logging

from marketplace.payments.gateway import AccountLinkState, AccountState, IntentState

log = logging.getLogger(__name__)


def _fake_id(prefix: str, key: str) -> str:
    return f"dryrun_{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:20]}"


class DryRunGateway:
    """No Stripe at all: deterministic fake ids from the idempotency keys. NO MONEY MOVES."""

    dry_run = True

    def __init__(self) -> None:
        self._intents: dict[str, IntentState] = {}

    def _warn(self, what: str) -> None:
        log.warning("DRY-RUN payment gateway: %s (no Stripe key configured, no money moves)", what)

    async def create_customer(
        self, *, name: str, email: str | None, metadata: dict[str, str], idempotency_key: str
    ) -> str:
        self._warn("create customer")
        return _fake_id("cus", idempotency_key)

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
        self._warn("authorise payment")
        intent_id = _fake_id("pi", idempotency_key)
        state = IntentState(intent_id, "requires_capture", amount_minor, 0, _fake_id("ch", idempotency_key))
        self._intents[intent_id] = state
        return state

    async def capture(self, intent_id: str, *, amount_minor: int, idempotency_key: str) -> IntentState:
        self._warn("capture payment")
        return IntentState(intent_id, "succeeded", amount_minor, amount_minor, _fake_id("ch", intent_id))

    async def cancel(self, intent_id: str, *, idempotency_key: str) -> IntentState:
        self._warn("cancel payment")
        return IntentState(intent_id, "canceled", 0, 0, None)

    async def retrieve_intent(self, intent_id: str) -> IntentState:
        return self._intents.get(intent_id) or IntentState(intent_id, "requires_capture", 0, 0, None)

    async def refund(
        self, intent_id: str, *, amount_minor: int, metadata: dict[str, str], idempotency_key: str
    ) -> str:
        self._warn("refund")
        return _fake_id("re", idempotency_key)

    async def create_express_account(
        self, *, email: str | None, country: str | None, metadata: dict[str, str], idempotency_key: str
    ) -> str:
        self._warn("create connected account")
        return _fake_id("acct", idempotency_key)

    async def retrieve_account(self, account_id: str) -> AccountState:
        return AccountState(account_id, payouts_enabled=True, charges_enabled=True, details_submitted=True)

    async def create_account_link(
        self, account_id: str, *, refresh_url: str, return_url: str, idempotency_key: str
    ) -> AccountLinkState:
        self._warn("create onboarding link")
        return AccountLinkState(url=f"{return_url}?dry_run=1&account={account_id}", expires_at=None)

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
        self._warn("transfer to technician")
        return _fake_id("tr", idempotency_key)
