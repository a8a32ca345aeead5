"""Technician payouts over Stripe Connect (Express accounts, separate charges and transfers).

- A connected account is created on demand (first onboarding link request), key
  `account-<technician id>`; `payouts_enabled` mirrors Stripe, refreshed from `account.updated`
  webhooks by reading the account (so duplicated or out-of-order events are harmless).
- A captured visit schedules one `Payout` per work order, due after the hold period; the
  transfer task sends it with idempotency key `payout-<payout id>` and posts the ledger.
- A technician who cannot receive payouts yet gets HELD payouts; `release_held_payouts`
  (webhook or sweeper) puts them back in the queue once the account is enabled.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import outbox
from marketplace.auth import Principal
from marketplace.errors import NotFound, TryLater
from marketplace.ledger import service as ledger
from marketplace.ledger.repository import balance
from marketplace.messages import notices
from marketplace.payments.gateway import PaymentGateway, StripeRequestRejected
from marketplace.payments.repository import payment_for_order
from marketplace.payouts import repository as repo
from marketplace.payouts.models import AccountLinkStatus, Payout, PayoutAccountLink, PayoutStatus
from marketplace.pricing.policy import MoneyPolicy, load_policy
from marketplace.settings import Settings
from marketplace.technicians.models import Technician
from marketplace.technicians.repository import cached_technician

log = logging.getLogger(__name__)

TRANSFER_TASK = "payouts.transfer"
ACCOUNT_LINK_TASK = "payouts.create_account_link"


class PayoutNotDue(TryLater):
    """The hold period is not over: run the transfer again in `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"payout due in {seconds:.0f}s")
        self.seconds = seconds
        self.retry_after_s = max(float(int(seconds) + 1), 1.0)


def transfer_key(payout: Payout) -> str:
    return f"payout-{payout.id}"


def payout_correlation(payout: Payout) -> str:
    return f"payout:{payout.id}"


# ---------------------------------------------------------------------------- scheduling


async def schedule_payout(
    session: AsyncSession,
    *,
    technician_id: uuid.UUID,
    work_order_id: uuid.UUID,
    amount_minor: int,
    currency: str,
    policy: MoneyPolicy | None = None,
    now: datetime,
) -> Payout:
    """One payout per work order, due after the hold period (called in the capture transaction)."""
    policy = policy or load_policy()
    existing = await repo.payout_for_order(session, work_order_id)
    if existing is not None:
        return existing
    payout = Payout(
        technician_id=technician_id,
        work_order_id=work_order_id,
        amount_minor=amount_minor,
        currency=currency,
        status=PayoutStatus.PENDING,
        available_at=(now) + timedelta(seconds=policy.payout_hold_s),
    )
    session.add(payout)
    await session.flush()
    await outbox.enqueue(
        session,
        TRANSFER_TASK,
        {"payout_id": str(payout.id)},
        dedupe_key=f"{TRANSFER_TASK}:{payout.id}",
        run_at=payout.available_at,
        now=now,
    )
    return payout


async def adjust_unpaid_payout(
    session: AsyncSession, *, work_order_id: uuid.UUID, new_amount_minor: int
) -> None:
    """After a refund: shrink (or cancel) a payout that has not been transferred yet."""
    found = await repo.payout_for_order(session, work_order_id)
    if found is None:
        return
    payout = await repo.payout_for_update(session, found.id)
    if payout is None or payout.status in (PayoutStatus.PAID, PayoutStatus.CANCELED):
        if (
            payout is not None
            and payout.status == PayoutStatus.PAID
            and payout.amount_minor > new_amount_minor
        ):
            log.warning(
                "refund after transfer: technician owes the difference",
                extra={"payout_id": str(payout.id), "owed": payout.amount_minor - new_amount_minor},
            )
        return
    if new_amount_minor <= 0:
        payout.status = PayoutStatus.CANCELED
        payout.failure_reason = "Refunded before transfer"
    payout.amount_minor = max(new_amount_minor, 0)
    await session.flush()


# ---------------------------------------------------------------------------- transfer task body


async def transfer(
    session: AsyncSession, gateway: PaymentGateway, payout_id: uuid.UUID, *, now: datetime
) -> Payout | None:
    payout = await repo.payout_for_update(session, payout_id)
    if payout is None or payout.status in (PayoutStatus.PAID, PayoutStatus.CANCELED):
        return payout
    if payout.available_at > now:
        raise PayoutNotDue((payout.available_at - now).total_seconds())
    technician = await cached_technician(session, payout.technician_id)
    assert technician is not None
    if payout.amount_minor <= 0:
        payout.status = PayoutStatus.CANCELED
        return payout
    if technician.stripe_account_id is None or not technician.payouts_enabled:
        payout.status = PayoutStatus.HELD
        payout.failure_reason = "Payout account not enabled yet; held until onboarding completes."
        await session.flush()
        return payout
    payment = (
        await payment_for_order(session, payout.work_order_id) if payout.work_order_id is not None else None
    )
    try:
        transfer_id = await gateway.transfer(
            amount_minor=payout.amount_minor,
            currency=payout.currency,
            destination=technician.stripe_account_id,
            source_transaction=payment.stripe_charge_id if payment is not None else None,
            transfer_group=f"wo_{payout.work_order_id}" if payout.work_order_id else None,
            metadata={"payout_id": str(payout.id), "technician_id": str(technician.id)},
            idempotency_key=transfer_key(payout),
        )
    except StripeRequestRejected as rejected:
        # e.g. the account lost its transfers capability: hold it, the sweeper retries later
        payout.status = PayoutStatus.HELD
        payout.failure_reason = f"Stripe refused the transfer: {rejected.message}"[:500]
        await session.flush()
        return payout
    payout.status = PayoutStatus.PAID
    payout.stripe_transfer_id = transfer_id
    payout.paid_at = now
    payout.failure_reason = None
    await ledger.post(
        session,
        correlation_id=payout_correlation(payout),
        lines=[
            ledger.Line(ledger.technician_account(technician.id), -payout.amount_minor, "transfer"),
            ledger.Line(ledger.technician_paid_account(technician.id), payout.amount_minor, "transfer"),
        ],
        currency=payout.currency,
        work_order_id=payout.work_order_id,
        memo=f"transfer {transfer_id} to {technician.stripe_account_id}",
    )
    await notices.payout_sent(session, payout, now=now)
    await session.flush()
    return payout


async def release_held_payouts(
    session: AsyncSession,
    *,
    technician_id: uuid.UUID | None = None,
    now: datetime,
    limit: int = 500,
) -> int:
    """Put HELD payouts of technicians who can now be paid back in the queue (the sweeper)."""
    released = 0
    for payout in await repo.held_payouts_for_update(session, technician_id=technician_id, limit=limit):
        payout.status = PayoutStatus.PENDING
        payout.failure_reason = None
        due = max(payout.available_at, now)
        await outbox.enqueue(session, TRANSFER_TASK, {"payout_id": str(payout.id)}, run_at=due, now=now)
        released += 1
    await session.flush()
    return released


# ---------------------------------------------------------------------------- Connect accounts


async def request_account_link(
    session: AsyncSession, principal: Principal, *, now: datetime
) -> PayoutAccountLink:
    """Technician asks for an onboarding link; a task creates the account (if needed) and the link."""
    technician = await _own_technician(session, principal)
    link = PayoutAccountLink(technician_id=technician.id)
    session.add(link)
    await session.flush()
    await outbox.enqueue(
        session,
        ACCOUNT_LINK_TASK,
        {"link_id": str(link.id)},
        dedupe_key=f"{ACCOUNT_LINK_TASK}:{link.id}",
        now=now,
    )
    return link


async def get_account_link(
    session: AsyncSession, principal: Principal, link_id: uuid.UUID
) -> PayoutAccountLink:
    technician = await _own_technician(session, principal)
    link = await repo.account_link(session, link_id)
    if link is None or link.technician_id != technician.id:
        raise NotFound("No such payout account link")
    return link


async def create_account_link(
    session: AsyncSession, gateway: PaymentGateway, settings: Settings, link_id: uuid.UUID
) -> PayoutAccountLink | None:
    link = await repo.account_link(session, link_id)
    if link is None or link.status != AccountLinkStatus.PENDING:
        return link
    technician = await repo.technician_for_update(session, link.technician_id)
    assert technician is not None
    if technician.stripe_account_id is None:
        email = await repo.technician_email(session, technician.id)
        technician.stripe_account_id = await gateway.create_express_account(
            email=email,
            country=None,
            metadata={"technician_id": str(technician.id)},
            idempotency_key=f"account-{technician.id}",
        )
    try:
        state = await gateway.create_account_link(
            technician.stripe_account_id,
            refresh_url=settings.connect_refresh_url,
            return_url=settings.connect_return_url,
            idempotency_key=f"account-link-{link.id}",
        )
    except StripeRequestRejected as rejected:
        link.status = AccountLinkStatus.FAILED
        link.failure_reason = rejected.message[:500]
        return link
    link.status = AccountLinkStatus.READY
    link.url = state.url
    link.expires_at = state.expires_at
    await session.flush()
    return link


async def sync_account(
    session: AsyncSession, gateway: PaymentGateway, account_id: str, *, now: datetime
) -> Technician | None:
    """Refresh `payouts_enabled` from Stripe's current view of the account; release held payouts."""
    found = await repo.technician_for_account(session, account_id)
    if found is None:
        return None
    technician = await repo.technician_for_update(session, found)
    assert technician is not None
    state = await gateway.retrieve_account(account_id)
    was_enabled = technician.payouts_enabled
    technician.payouts_enabled = state.payouts_enabled
    if state.payouts_enabled and not was_enabled:
        await release_held_payouts(session, technician_id=technician.id, now=now)
    await session.flush()
    return technician


@dataclass(frozen=True, slots=True)
class PayoutAccountStatus:
    has_account: bool
    payouts_enabled: bool
    currency: str
    owed_minor: int  # earned, not yet transferred (ledger)
    paid_minor: int  # transferred so far (ledger)
    held_count: int
    pending_count: int


async def account_status(session: AsyncSession, principal: Principal) -> PayoutAccountStatus:
    technician = await _own_technician(session, principal)
    counts = {
        status: await repo.payout_count(session, technician.id, status)
        for status in (PayoutStatus.HELD, PayoutStatus.PENDING)
    }
    return PayoutAccountStatus(
        has_account=technician.stripe_account_id is not None,
        payouts_enabled=technician.payouts_enabled,
        currency=technician.currency,
        owed_minor=await balance(session, ledger.technician_account(technician.id), technician.currency),
        paid_minor=await balance(session, ledger.technician_paid_account(technician.id), technician.currency),
        held_count=counts[PayoutStatus.HELD],
        pending_count=counts[PayoutStatus.PENDING],
    )


async def _own_technician(session: AsyncSession, principal: Principal) -> Technician:
    if principal.technician_id is None:
        raise NotFound("No technician profile for this login")
    technician = await cached_technician(session, principal.technician_id)
    if technician is None:
        raise NotFound("No technician profile for this login")
    return technician
