"""What dispatch needs to know about a set of technicians, read in four queries.

Every place that turns technician rows into `dispatch.problem.Technician` (slots and ETAs,
offers, batch runs) reads the same facts: skills, verified certifications, shifts and time
off overlapping a horizon. Each caller then applies its own view (clipping to "now",
subtracting bookings) to these plain values.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.problem import Certification as DispatchCertification
from marketplace.technicians import repository, shift_repository
from marketplace.timeutil import to_epoch

Interval = tuple[int, int]  # Unix seconds, [start, end)


@dataclass(frozen=True)
class TechnicianFacts:
    skills: dict[uuid.UUID, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    certifications: dict[uuid.UUID, list[DispatchCertification]] = field(
        default_factory=lambda: defaultdict(list)
    )
    shifts: dict[uuid.UUID, list[Interval]] = field(default_factory=lambda: defaultdict(list))
    time_off: dict[uuid.UUID, list[Interval]] = field(default_factory=lambda: defaultdict(list))


async def load_technician_facts(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, start: datetime, end: datetime
) -> TechnicianFacts:
    """Skills, verified certifications, and shifts / time off overlapping [start, end)."""
    facts = TechnicianFacts()
    if not ids:
        return facts
    for skill in await repository.skills_of_technicians(session, ids):
        facts.skills[skill.technician_id].append((skill.skill_code, skill.level))
    for cert in await repository.verified_certifications_of(session, ids):
        expires = to_epoch(cert.expires_at) if cert.expires_at else None
        facts.certifications[cert.technician_id].append(DispatchCertification(cert.code, expires))
    for shift in await shift_repository.shifts_of_technicians_overlapping(session, ids, start, end):
        facts.shifts[shift.technician_id].append((to_epoch(shift.starts_at), to_epoch(shift.ends_at)))
    for off in await shift_repository.time_off_of_technicians_overlapping(session, ids, start, end):
        facts.time_off[off.technician_id].append((to_epoch(off.starts_at), to_epoch(off.ends_at)))
    return facts
