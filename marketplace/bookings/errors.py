"""Booking problems clients switch on (problem `type` = PROBLEM_BASE + slug)."""

from __future__ import annotations

from marketplace.errors import Conflict


class SlotUnavailable(Conflict):
    slug = "slot-unavailable"
    title = "That arrival window is no longer available"


class AlreadyBooked(Conflict):
    slug = "already-booked"
    title = "This work order already has an appointment"


class NoAppointment(Conflict):
    slug = "no-appointment"
    title = "This work order has no live appointment"


class NoQualifiedTechnician(Conflict):
    slug = "no-qualified-technician"
    title = "No qualified technician can take this visit"
