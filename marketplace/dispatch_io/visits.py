"""A work order as the solver's `Visit`: the one order -> `Visit` adapter and its tier map.

Callers decide the arrival window (a booked window, an open one until the SLA, a planning
window in Unix seconds); this module only translates.
"""

from __future__ import annotations

import uuid

from dispatch.problem import CustomerTier, GeoPoint, Priority, SkillRequirement, TimeWindow, Visit
from marketplace.timeutil import to_epoch
from marketplace.work_orders.models import WorkOrder

TIERS = {
    "standard": CustomerTier.STANDARD,
    "priority": CustomerTier.PRIORITY,
    "premium": CustomerTier.PREMIUM,
}


def tier_of(tier: str | None) -> CustomerTier:
    """A customer's tier name as the solver's tier (unknown or missing: standard)."""
    return TIERS.get(tier or "standard", CustomerTier.STANDARD)


def skill_requirements(order: WorkOrder) -> tuple[SkillRequirement, ...]:
    return tuple(
        SkillRequirement(code=str(s["code"]), min_level=int(s.get("min_level", s.get("level", 1))))
        for s in order.required_skills
    )


def order_visit(
    order: WorkOrder, start: int, end: int, *, tier: str | None, pinned_to: uuid.UUID | None = None
) -> Visit:
    """`order` to be reached between `start` and `end` (Unix seconds)."""
    return Visit(
        id=str(order.id),
        location=GeoPoint(order.lat, order.lng),
        duration_s=order.duration_s,
        window=TimeWindow(start, end),
        skills=skill_requirements(order),
        certifications=tuple(order.required_certifications),
        priority=Priority(min(max(order.priority, 1), 4)),
        tier=tier_of(tier),
        sla_due_at=to_epoch(order.sla_due_at) if order.sla_due_at else None,
        pinned_to=str(pinned_to) if pinned_to else None,
    )
