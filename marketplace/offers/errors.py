"""Offer errors a phone switches on (problem `type` = PROBLEM_BASE + slug)."""

from __future__ import annotations

from marketplace.errors import Conflict


class OfferTaken(Conflict):
    slug = "offer-taken"
    title = "Another technician already took this job"


class OfferExpired(Conflict):
    slug = "offer-expired"
    title = "The offer has expired"


class OfferNotPending(Conflict):
    slug = "offer-not-pending"
    title = "The offer can no longer be answered"


class WorkOrderNotOfferable(Conflict):
    slug = "work-order-not-offerable"
    title = "The work order cannot be offered in its current state"
