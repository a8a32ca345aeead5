"""ETA and resolution-time estimates, and the SLA risk they imply.

Stages: before booking, the earliest qualified option (dispatch feasibility) is the best
honest guess; once booked, the planned arrival inside the agreed window; once the
technician is en route, their last known position plus the travel model's time to the
site; on site, arrival plus the job's estimated duration (never earlier than now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.geo import DEFAULT_TRAVEL_MODEL, TravelModel
from dispatch.problem import GeoPoint
from marketplace.bookings.models import Appointment
from marketplace.bookings.slots import search_slots
from marketplace.sla.policy import SlaRisk, assess
from marketplace.technicians.repository import cached_technician
from marketplace.timeutil import from_epoch
from marketplace.visits import repository as repo
from marketplace.work_orders.models import WorkOrder
from marketplace.work_orders.models import WorkOrderStatus as S

UNPLACED = (S.NEW, S.TRIAGED, S.NEEDS_CALLBACK)
BOOKED = (S.SCHEDULED, S.OFFERED, S.ASSIGNED)


@dataclass(frozen=True, slots=True)
class Estimate:
    status: str
    source: str  # earliest_option | planned | live_location | on_site | completed | none
    window_start: datetime | None
    window_end: datetime | None
    arrival: datetime | None  # planned, live or actual arrival
    travel_s: int | None
    distance_m: int | None
    resolution_at: datetime | None
    sla_due_at: datetime | None
    sla_risk: SlaRisk
    technician_id: str | None
    technician_name: str | None
    location_at: datetime | None  # when the position used for a live ETA was recorded


async def _accepted_arrival(session: AsyncSession, order: WorkOrder) -> datetime | None:
    """The arrival the accepted offer was made for (an unbooked, instantly dispatched
    order has no appointment: the offer's window opens at the ranked arrival)."""
    return await repo.accepted_offer_start(session, order.id, order.technician_id)


def quick_risk(order: WorkOrder, appointment: Appointment | None, now: datetime) -> SlaRisk:
    """Risk without a feasibility search (lists): planned arrival if booked, else now."""
    status = S(order.status)
    start = (appointment.eta or appointment.planned_arrival) if appointment else None
    projected = (start or now) + timedelta(seconds=order.duration_s)
    finished = order.updated_at if status is S.COMPLETED else None
    return assess(
        now=now,
        sla_due_at=order.sla_due_at,
        projected_finish=max(projected, now),
        finished_at=finished,
        unplaceable=status is S.NEEDS_CALLBACK,
    )


async def estimate(
    session: AsyncSession,
    order: WorkOrder,
    appointment: Appointment | None,
    *,
    now: datetime,
    model: TravelModel = DEFAULT_TRAVEL_MODEL,
) -> Estimate:
    status = S(order.status)
    duration = timedelta(seconds=order.duration_s)
    tech_id = order.technician_id or (appointment.technician_id if appointment else None)
    tech = await cached_technician(session, tech_id) if tech_id else None
    source, arrival, resolution = "none", None, None
    travel_s = distance_m = None
    location_at = None
    finished_at = None
    unplaceable = False

    if status in UNPLACED:
        customer = await repo.customer(session, order.customer_id)
        found = await search_slots(
            session,
            order,
            tier=customer.tier if customer else "standard",
            tz=customer.timezone if customer else "UTC",
            now=now,
        )
        earliest = found.earliest
        if earliest is not None:
            source = "earliest_option"
            arrival = from_epoch(earliest.earliest_arrival)
            resolution = arrival + duration
        unplaceable = status is S.NEEDS_CALLBACK or earliest is None
    elif status in BOOKED and appointment is not None:
        source = "planned"
        arrival = appointment.eta or appointment.planned_arrival or appointment.window_start
        resolution = max(arrival, now) + duration
    elif status in BOOKED and order.technician_id is not None:
        arrival = await _accepted_arrival(session, order)
        if arrival is not None:
            source = "planned"
            resolution = max(arrival, now) + duration
    elif status is S.EN_ROUTE:
        if tech is not None and tech.last_lat is not None and tech.last_lng is not None:
            leg = model.leg(GeoPoint(tech.last_lat, tech.last_lng), GeoPoint(order.lat, order.lng))
            source, travel_s, distance_m = "live_location", leg.seconds, leg.metres
            location_at = tech.last_located_at
            arrival = now + timedelta(seconds=leg.seconds)
        elif appointment is not None:
            source = "planned"
            arrival = max(appointment.eta or appointment.planned_arrival or appointment.window_start, now)
        elif (planned := await _accepted_arrival(session, order)) is not None:
            source = "planned"
            arrival = max(planned, now)
        if arrival is not None:
            resolution = arrival + duration
    elif status is S.ON_SITE:
        source = "on_site"
        arrival = await repo.status_reached_at(session, order.id, S.ON_SITE) or now
        resolution = max(arrival + duration, now)
    elif status is S.COMPLETED:
        source = "completed"
        arrival = await repo.status_reached_at(session, order.id, S.ON_SITE)
        finished_at = resolution = (
            await repo.status_reached_at(session, order.id, S.COMPLETED) or order.updated_at
        )

    risk = assess(
        now=now,
        sla_due_at=order.sla_due_at,
        projected_finish=resolution,
        finished_at=finished_at,
        unplaceable=unplaceable,
    )
    if status is S.CANCELLED:
        risk = SlaRisk.ON_TRACK
    return Estimate(
        status=status.value,
        source=source,
        window_start=appointment.window_start if appointment else None,
        window_end=appointment.window_end if appointment else None,
        arrival=arrival,
        travel_s=travel_s,
        distance_m=distance_m,
        resolution_at=resolution,
        sla_due_at=order.sla_due_at,
        sla_risk=risk,
        technician_id=str(tech.id) if tech else None,
        technician_name=tech.display_name if tech else None,
        location_at=location_at,
    )
