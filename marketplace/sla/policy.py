"""SLA policy (tier x priority -> response and resolution targets) and SLA risk.

Targets live in `sla_policies` (editable by admins through the catalog service); a tier
and priority with no row falls back to `DEFAULT_TARGETS`, so a fresh install still has
sensible deadlines. A work order's `sla_due_at` is the earlier of the ticket's own
remaining SLA and the policy's resolution target, `response_due_at` the policy's
response target (a technician on site by then).

Risk is judged against the *projected finish* (planned or live arrival + job duration):
`breached` once the due time has passed unfinished (or it finished late), `at_risk` when
the projection lands after the due time or nobody qualified has been found yet, else
`on_track`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.sla import repository

HOUR = 3600

# (tier, priority) -> (response_s, resolution_s)
DEFAULT_TARGETS: dict[tuple[str, int], tuple[int, int]] = {
    ("premium", 1): (2 * HOUR, 6 * HOUR),
    ("premium", 2): (4 * HOUR, 12 * HOUR),
    ("premium", 3): (24 * HOUR, 48 * HOUR),
    ("premium", 4): (48 * HOUR, 96 * HOUR),
    ("priority", 1): (4 * HOUR, 8 * HOUR),
    ("priority", 2): (8 * HOUR, 24 * HOUR),
    ("priority", 3): (48 * HOUR, 72 * HOUR),
    ("priority", 4): (72 * HOUR, 120 * HOUR),
    ("standard", 1): (8 * HOUR, 24 * HOUR),
    ("standard", 2): (24 * HOUR, 48 * HOUR),
    ("standard", 3): (72 * HOUR, 120 * HOUR),
    ("standard", 4): (120 * HOUR, 240 * HOUR),
}


class SlaRisk(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"


@dataclass(frozen=True, slots=True)
class Targets:
    response_s: int
    resolution_s: int
    source: str  # "policy" (a stored row) or "default"


async def targets_for(session: AsyncSession, tier: str, priority: int) -> Targets:
    row = await repository.sla_policy(session, tier, priority)
    if row is not None:
        return Targets(row.response_s, row.resolution_s, "policy")
    response_s, resolution_s = DEFAULT_TARGETS.get((tier, priority), DEFAULT_TARGETS[("standard", priority)])
    return Targets(response_s, resolution_s, "default")


def due_times(now: datetime, targets: Targets, ticket_due_at: datetime | None) -> tuple[datetime, datetime]:
    """(response_due_at, sla_due_at): the ticket's remaining SLA wins when it is earlier."""
    resolution_due = now + timedelta(seconds=targets.resolution_s)
    if ticket_due_at is not None and ticket_due_at < resolution_due:
        resolution_due = ticket_due_at
    response_due = min(now + timedelta(seconds=targets.response_s), resolution_due)
    return response_due, resolution_due


def assess(
    *,
    now: datetime,
    sla_due_at: datetime | None,
    projected_finish: datetime | None,
    finished_at: datetime | None = None,
    unplaceable: bool = False,
) -> SlaRisk:
    """Pure risk rule (see module docstring)."""
    if sla_due_at is None:
        return SlaRisk.AT_RISK if unplaceable else SlaRisk.ON_TRACK
    if finished_at is not None:
        return SlaRisk.BREACHED if finished_at > sla_due_at else SlaRisk.ON_TRACK
    if now >= sla_due_at:
        return SlaRisk.BREACHED
    if unplaceable or projected_finish is None or projected_finish > sla_due_at:
        return SlaRisk.AT_RISK
    return SlaRisk.ON_TRACK
