"""Who could take one work order, ranked, with "why" and "why not" for each technician.

The same ranking the offers service runs (`dispatch.rank_candidates` over the technicians
`load_technicians` brings near the order, with the same visit window), read without
offering anything, so a dispatcher can see it and choose. A technician's own price floor
and an earlier release from this order keep them out, as they do in the offers service
and the batch run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.matching import Ranking, rank_candidates
from dispatch.scoring import explain_candidate, explain_exclusion
from marketplace.assignment import repository
from marketplace.assignment.replan import released_technicians
from marketplace.auth import Principal
from marketplace.bookings.models import Appointment
from marketplace.bookings.repository import live_appointment
from marketplace.errors import Forbidden
from marketplace.offers.dispatch_adapter import load_technicians, to_visit
from marketplace.offers.models import Offer
from marketplace.offers.rounds import earnings_for
from marketplace.technicians.models import Technician
from marketplace.timeutil import from_epoch, to_epoch
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.reads import visible_order

STAFF = (Role.DISPATCHER, Role.AGENT, Role.ADMIN)
RELEASED_WHY_NOT = "the job was taken back from them earlier, so it is not offered to them again"
PRICED_OUT_WHY_NOT = "the job paid less than your minimum price"


@dataclass(frozen=True, slots=True)
class Candidate:
    technician: Technician
    rank: int | None  # 1 = best; None when a hard rule keeps them out
    arrival: datetime | None
    travel_s: int | None
    travel_m: int | None
    why: tuple[str, ...]  # why they fit ("why you"), strongest first
    why_not: str | None  # why not the first choice, or why they are out
    offer_status: str | None  # their latest offer of this order, if any

    @property
    def offerable(self) -> bool:
        return self.rank is not None and self.offer_status not in ("pending", "accepted")


@dataclass(frozen=True, slots=True)
class Candidates:
    order: WorkOrder
    outcome: str  # dispatch.matching.Outcome: ranked | needs_callback | no_qualified_technician
    earliest_arrival: datetime | None  # with nobody feasible: the soonest qualified arrival
    ranked: list[Candidate]
    excluded: list[Candidate]


@dataclass(frozen=True, slots=True)
class RankedOrder:
    """One ranking of an order, with the rows behind its dispatch ids."""

    ranking: Ranking
    technicians: dict[str, Technician]
    appointment: Appointment | None
    released: set[uuid.UUID]
    priced_out: set[str]

    def why_not(self, technician_id: str) -> str:
        if uuid.UUID(technician_id) in self.released:
            return RELEASED_WHY_NOT
        if technician_id in self.priced_out:
            return PRICED_OUT_WHY_NOT
        return self.ranking.why_not(technician_id)


async def rank_order(session: AsyncSession, order: WorkOrder, *, now: datetime) -> RankedOrder:
    """Rank every technician near `order` (no limit: everyone feasible gets a rank)."""
    appointment = await live_appointment(session, order.id)
    customer = await repository.customer(session, order.customer_id)
    visit = to_visit(order, appointment, customer, now)
    horizon = from_epoch(visit.window.end + visit.duration_s) + timedelta(hours=1)
    techs, rows = await load_technicians(session, order, now=now, horizon_end=horizon)
    released = await released_technicians(session, order.id)
    pay = earnings_for(order)
    priced_out = {
        t.id
        for t in techs
        if rows[t.id].price_floor_minor is not None and pay < (rows[t.id].price_floor_minor or 0)
    }
    eligible = [t for t in techs if t.id not in priced_out and uuid.UUID(t.id) not in released]
    ranking = rank_candidates(visit, eligible, to_epoch(now), limit=max(len(eligible), 1))
    return RankedOrder(ranking, rows, appointment, released, priced_out)


def _latest_offers(offers: list[Offer]) -> dict[uuid.UUID, str]:
    latest: dict[uuid.UUID, Offer] = {}
    for offer in offers:
        seen = latest.get(offer.technician_id)
        if seen is None or (offer.round, offer.created_at) > (seen.round, seen.created_at):
            latest[offer.technician_id] = offer
    return {tech: offer.status for tech, offer in latest.items()}


async def candidates_for(
    session: AsyncSession, principal: Principal, work_order_id: uuid.UUID, *, now: datetime
) -> Candidates:
    """The ranked candidates of an order (best first) and who is out and why. Staff only."""
    if principal.role not in STAFF:
        raise Forbidden("Only staff see the candidates of a work order")
    order = await visible_order(session, principal, work_order_id)
    ranked_order = await rank_order(session, order, now=now)
    ranking = ranked_order.ranking
    offered = _latest_offers(await repository.offers_of(session, order.id))
    ranked = [
        Candidate(
            technician=ranked_order.technicians[c.technician_id],
            rank=c.rank,
            arrival=from_epoch(c.arrival),
            travel_s=c.travel_s,
            travel_m=c.travel_m,
            why=explain_candidate(c),
            why_not=None if c.rank == 1 else ranked_order.why_not(c.technician_id),
            offer_status=offered.get(uuid.UUID(c.technician_id)),
        )
        for c in ranking.candidates
    ]
    out_ids = [
        *sorted(ranked_order.priced_out),
        *sorted(str(t) for t in ranked_order.released if str(t) in ranked_order.technicians),
    ]
    reasons = {t: ranked_order.why_not(t) for t in out_ids}
    reasons.update(
        {t: explain_exclusion(r) for t, r in ranking.candidate_set.exclusions().items() if t not in reasons}
    )
    excluded = sorted(
        (
            Candidate(
                technician=ranked_order.technicians[t],
                rank=None,
                arrival=None,
                travel_s=None,
                travel_m=None,
                why=(),
                why_not=reason,
                offer_status=offered.get(uuid.UUID(t)),
            )
            for t, reason in reasons.items()
        ),
        key=lambda c: c.technician.display_name,
    )
    earliest = ranking.earliest_option
    return Candidates(
        order=order,
        outcome=ranking.status.value,
        earliest_arrival=from_epoch(earliest.arrival) if earliest else None,
        ranked=ranked,
        excluded=excluded,
    )
