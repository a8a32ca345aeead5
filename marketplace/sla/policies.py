"""Admins' verbs on the SLA policy table (tier x priority -> response and resolution targets)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.catalog.models import SlaPolicy
from marketplace.errors import InvalidInput
from marketplace.sla import repository
from marketplace.sla.policy import DEFAULT_TARGETS


async def list_sla_policies(session: AsyncSession) -> list[tuple[str, int, int, int, str]]:
    """Every tier x priority with its targets: stored rows, else the built-in defaults."""
    stored = {(p.tier, p.priority): p for p in await repository.sla_policies(session)}
    out = []
    for (tier, priority), (response_s, resolution_s) in sorted(DEFAULT_TARGETS.items()):
        row = stored.get((tier, priority))
        if row is not None:
            out.append((tier, priority, row.response_s, row.resolution_s, "policy"))
        else:
            out.append((tier, priority, response_s, resolution_s, "default"))
    return out


async def put_sla_policy(
    session: AsyncSession, *, tier: str, priority: int, response_s: int, resolution_s: int
) -> SlaPolicy:
    if response_s > resolution_s:
        raise InvalidInput("The response target cannot be later than the resolution target")
    row = await repository.sla_policy(session, tier, priority)
    if row is None:
        row = SlaPolicy(tier=tier, priority=priority, response_s=response_s, resolution_s=resolution_s)
        session.add(row)
    row.response_s = response_s
    row.resolution_s = resolution_s
    await session.flush()
    return row
