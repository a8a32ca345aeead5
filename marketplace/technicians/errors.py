"""Errors technicians' clients switch on (problem `type` = PROBLEM_BASE + slug)."""

from __future__ import annotations

from marketplace.errors import Conflict, Forbidden, InvalidInput


class UnknownSkill(InvalidInput):
    slug = "unknown-skill"
    title = "A skill code is not in the catalogue"


class ShiftOverlap(InvalidInput):
    slug = "shift-overlap"
    title = "Availability windows overlap"


class InvalidWindow(InvalidInput):
    slug = "invalid-window"
    title = "A time window is inverted, empty or too long"


class EmailTaken(Conflict):
    slug = "email-taken"
    title = "An account with this email already exists"


class TechnicianNotActive(Conflict):
    slug = "technician-not-active"
    title = "The technician account is not active"


class TechnicianSuspended(Forbidden):
    slug = "technician-suspended"
    title = "The technician account is suspended"
