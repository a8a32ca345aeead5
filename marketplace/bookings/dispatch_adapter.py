"""Work orders -> `dispatch.problem` visits, and booked time, for slots, bookings and ETAs.

A technician's availability handed to dispatch (`region_pool`) is their shifts minus time
off minus the time their live bookings reserve ([busy_from, busy_until): leaving for the
job until it is done). Each free stretch becomes one `Technician.shifts` window, so the
dispatch feasibility check (skills, certifications, radius, travel, arrival inside the
window, job finished before the stretch ends) answers "can anyone still take this?".

Travel between two bookings is modelled as from home (dispatch's rule for a later
shift): a stretch that starts right after a booking starts at home. That is an
approximation; the reserved `busy_from` already covers the trip *to* each booking.
"""

from __future__ import annotations

from dispatch.problem import Visit
from marketplace.bookings.availability import Interval
from marketplace.dispatch_io.visits import order_visit
from marketplace.work_orders.models import WorkOrder


def visit_for(order: WorkOrder, window: Interval, *, tier: str) -> Visit:
    return order_visit(order, window[0], window[1], tier=tier)
