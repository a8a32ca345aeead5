"""A dispatcher offers a work order to the technician they chose from its ranking.

Only a ranked candidate can be chosen (the same hard rules as every other offer: skills,
certifications, shifts, radius, price floor, never someone the order was taken back
from). The offer is written by the same helpers the batch run uses: a technician who
opted into auto-accept is assigned at once, anyone else gets a pending offer; a booked
window's reservation moves to the chosen technician first (refused when it would overlap
their other bookings). The dispatcher and their reason are on the order's timeline.

Safe to repeat: choosing a technician who already holds a pending or accepted offer of
the order returns that offer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.assignment import repository
from marketplace.assignment.candidates import rank_order
from marketplace.assignment.config import DispatchConfig, load_config
from marketplace.assignment.offering import move_reservation, offer_or_assign
from marketplace.auth import Principal
from marketplace.errors import Conflict, Forbidden
from marketplace.offers.errors import WorkOrderNotOfferable
from marketplace.offers.models import Offer, OfferStatus
from marketplace.offers.rounds import OFFERABLE
from marketplace.users.models import Role
from marketplace.work_orders.models import WorkOrderStatus
from marketplace.work_orders.state import lock_work_order, record_event

CHOOSERS = (Role.DISPATCHER, Role.ADMIN)


class NotACandidate(Conflict):
    slug = "not-a-candidate"
    title = "That technician cannot take this work order"


@dataclass(frozen=True, slots=True)
class ChosenOffer:
    offer: Offer
    assigned: bool  # auto-accept: the technician has the job already
    created: bool  # False when the same choice was made before


async def offer_to_chosen(
    session: AsyncSession,
    principal: Principal,
    work_order_id: uuid.UUID,
    technician_id: uuid.UUID,
    *,
    now: datetime,
    config: DispatchConfig | None = None,
) -> ChosenOffer:
    if principal.role not in CHOOSERS:
        raise Forbidden("Only dispatchers choose who is offered a work order")
    config = config or load_config()
    order = await lock_work_order(session, work_order_id)
    for offer in await repository.offers_of(session, order.id):
        if offer.technician_id == technician_id and offer.status in (
            OfferStatus.PENDING,
            OfferStatus.ACCEPTED,
        ):
            return ChosenOffer(offer, offer.status == OfferStatus.ACCEPTED, created=False)
    if WorkOrderStatus(order.status) not in OFFERABLE or order.technician_id is not None:
        raise WorkOrderNotOfferable(
            f"A work order in status {order.status} cannot be offered", current_status=order.status
        )
    ranked = await rank_order(session, order, now=now)
    tech = ranked.technicians.get(str(technician_id))
    if tech is None:
        raise NotACandidate("That technician is not active near this work order")
    if technician_id in ranked.released or str(technician_id) in ranked.priced_out:
        raise NotACandidate(ranked.why_not(str(technician_id)))
    candidate = ranked.ranking.candidate(str(technician_id))
    if candidate is None:
        raise NotACandidate(ranked.why_not(str(technician_id)))
    appointment = ranked.appointment
    if appointment is not None and appointment.technician_id != tech.id:
        moved = await move_reservation(
            session,
            appointment,
            tech.id,
            arrival=candidate.arrival,
            travel_s=candidate.travel_s,
            duration_s=order.duration_s,
        )
        if not moved:
            raise NotACandidate("That technician is booked elsewhere during this window")
    why = f"chosen by a {principal.role.value} (rank {candidate.rank})"
    offer = await offer_or_assign(
        session,
        order,
        tech,
        candidate,
        appointment=appointment,
        ttl_s=config.batch_offer_ttl_s,
        now=now,
        why=why,
    )
    await record_event(
        session,
        order,
        "offer_chosen",
        actor=principal,
        reason=f"offered to {tech.display_name} (rank {candidate.rank})",
        data={"offer_id": str(offer.id), "technician_id": str(tech.id), "rank": candidate.rank},
        now=now,
    )
    return ChosenOffer(offer, offer.status == OfferStatus.ACCEPTED, created=True)
