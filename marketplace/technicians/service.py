"""Technician accounts: sign-up, profile, skills, certifications, and admin status changes.

Ownership: every verb that takes a `Principal` acts on `principal.technician_id` only; an
admin verb takes the technician id explicitly and is reached through an admin-only route.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import events
from marketplace.auth import Principal, create_user
from marketplace.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from marketplace.pagination import Page
from marketplace.regions import region_for_location
from marketplace.technicians import repository as repo
from marketplace.technicians.errors import EmailTaken, UnknownSkill
from marketplace.technicians.models import (
    Certification,
    CertificationStatus,
    Technician,
    TechnicianSkill,
    TechnicianStatus,
)
from marketplace.users import repository as users_repo
from marketplace.users.models import Role, User


@dataclass(frozen=True, slots=True)
class SkillLevel:
    code: str
    level: int


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """Fields left as None are not changed (`skills` replaces the whole list when given)."""

    display_name: str | None = None
    phone: str | None = None
    timezone: str | None = None
    home_lat: float | None = None
    home_lng: float | None = None
    service_radius_m: int | None = None
    vehicle_notes: str | None = None
    hourly_rate_minor: int | None = None
    price_floor_minor: int | None = None
    skills: Sequence[SkillLevel] | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    technician: Technician
    skills: list[TechnicianSkill]
    certifications: list[Certification]
    email: str


def own_technician_id(principal: Principal) -> uuid.UUID:
    if principal.role is not Role.TECHNICIAN or principal.technician_id is None:
        raise Forbidden("Only a technician account can do this")
    return principal.technician_id


def certification_state(cert: Certification, now: datetime) -> str:
    """pending | verified | rejected | expired: an expired certificate stops counting by itself."""
    if cert.expires_at is not None and cert.expires_at <= now and cert.status != CertificationStatus.REJECTED:
        return "expired"
    return cert.status


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput(f"Unknown time zone {name!r}; use an IANA name like Europe/Amsterdam") from exc


async def _check_skills(session: AsyncSession, skills: Sequence[SkillLevel]) -> None:
    codes = [s.code for s in skills]
    if len(set(codes)) != len(codes):
        raise InvalidInput("Each skill may be listed once", field="skills")
    if not codes:
        return
    known = await repo.known_skill_codes(session, codes)
    unknown = sorted(set(codes) - known)
    if unknown:
        raise UnknownSkill(
            f"Unknown skill code(s): {', '.join(unknown)}. See GET /skills for the catalogue.",
            unknown_skills=unknown,
        )


async def _replace_skills(
    session: AsyncSession, technician_id: uuid.UUID, skills: Sequence[SkillLevel]
) -> None:
    await repo.delete_skills(session, technician_id)
    for s in skills:
        session.add(TechnicianSkill(technician_id=technician_id, skill_code=s.code, level=s.level))
    await session.flush()


async def sign_up(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    home_lat: float,
    home_lng: float,
    phone: str | None = None,
    timezone: str = "UTC",
    service_radius_m: int = 25_000,
    vehicle_notes: str | None = None,
    hourly_rate_minor: int | None = None,
    price_floor_minor: int | None = None,
    currency: str = "eur",
    skills: Sequence[SkillLevel] = (),
) -> tuple[Technician, User]:
    """Create a technician (pending verification) and their login with role technician."""
    _check_timezone(timezone)
    await _check_skills(session, skills)
    if await users_repo.email_in_use(session, email.lower()):
        raise EmailTaken("An account with this email already exists; sign in instead")
    tech = Technician(
        display_name=display_name,
        phone=phone,
        timezone=timezone,
        home_lat=home_lat,
        home_lng=home_lng,
        service_radius_m=service_radius_m,
        vehicle_notes=vehicle_notes,
        hourly_rate_minor=hourly_rate_minor,
        price_floor_minor=price_floor_minor,
        currency=currency,
        status=TechnicianStatus.PENDING_VERIFICATION,
        region=await region_for_location(session, home_lat, home_lng),  # join the region around home
    )
    session.add(tech)
    await session.flush()
    await _replace_skills(session, tech.id, skills)
    try:
        async with session.begin_nested():
            user = await create_user(
                session,
                email=email,
                password=password,
                role=Role.TECHNICIAN,
                display_name=display_name,
                technician_id=tech.id,
            )
    except sa.exc.IntegrityError as exc:  # a concurrent sign-up with the same email
        raise EmailTaken("An account with this email already exists; sign in instead") from exc
    return tech, user


async def get_technician(
    session: AsyncSession, technician_id: uuid.UUID, *, lock: bool = False
) -> Technician:
    tech = await repo.technician(session, technician_id, lock=lock)
    if tech is None:
        raise NotFound("No such technician")
    return tech


async def load_profile(session: AsyncSession, technician_id: uuid.UUID) -> Profile:
    tech = await get_technician(session, technician_id)
    skills = await repo.skills_of(session, technician_id)
    certs = await repo.certifications_of(session, technician_id)
    email = await repo.login_email(session, technician_id)
    return Profile(technician=tech, skills=skills, certifications=certs, email=email or "")


async def get_profile(session: AsyncSession, principal: Principal) -> Profile:
    return await load_profile(session, own_technician_id(principal))


async def update_profile(session: AsyncSession, principal: Principal, changes: ProfileChanges) -> Profile:
    """Partial update; the same request applied twice gives the same profile."""
    technician_id = own_technician_id(principal)
    tech = await get_technician(session, technician_id, lock=True)
    if (changes.home_lat is None) != (changes.home_lng is None):
        raise InvalidInput("Send the home base as both home_lat and home_lng", field="home")
    if changes.timezone is not None:
        _check_timezone(changes.timezone)
    for name in (
        "display_name",
        "phone",
        "timezone",
        "home_lat",
        "home_lng",
        "service_radius_m",
        "vehicle_notes",
        "hourly_rate_minor",
        "price_floor_minor",
    ):
        value = getattr(changes, name)
        if value is not None:
            setattr(tech, name, value)
    if changes.skills is not None:
        await _check_skills(session, changes.skills)
        await _replace_skills(session, technician_id, changes.skills)
    await session.flush()
    return await load_profile(session, technician_id)


async def add_certification(
    session: AsyncSession,
    principal: Principal,
    *,
    code: str,
    number: str,
    issuer: str,
    expires_at: datetime | None,
    now: datetime,
) -> Certification:
    """Declare a certification; it counts for dispatch once an admin verifies it."""
    technician_id = own_technician_id(principal)
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("This certification has already expired", field="expires_at")
    await get_technician(session, technician_id)
    cert = Certification(
        technician_id=technician_id, code=code, number=number, issuer=issuer, expires_at=expires_at
    )
    session.add(cert)
    await session.flush()
    return cert


# --------------------------------------------------------------------------- admin verbs


_STATUS_MOVES: dict[str, frozenset[str]] = {
    TechnicianStatus.PENDING_VERIFICATION: frozenset({TechnicianStatus.ACTIVE, TechnicianStatus.SUSPENDED}),
    TechnicianStatus.ACTIVE: frozenset({TechnicianStatus.SUSPENDED}),
    TechnicianStatus.SUSPENDED: frozenset({TechnicianStatus.ACTIVE}),
}


async def set_technician_status(
    session: AsyncSession,
    principal: Principal,
    technician_id: uuid.UUID,
    target: TechnicianStatus,
    *,
    reason: str | None,
    now: datetime,
) -> Technician:
    """Admin: verify (-> active), suspend, or reinstate. Repeating the same move is a no-op."""
    principal.require(Role.ADMIN)
    tech = await get_technician(session, technician_id, lock=True)
    if tech.status == target:
        return tech
    if target not in _STATUS_MOVES[tech.status]:
        raise IllegalTransition(
            f"A technician cannot go from {tech.status} to {target.value}",
            current_status=tech.status,
            requested_status=target.value,
        )
    tech.status = target.value
    await session.flush()
    if target is TechnicianStatus.SUSPENDED:
        await events.publish(
            session, events.TechnicianSuspended(technician_id, reason=reason or "suspended", now=now)
        )
    return tech


async def review_certification(
    session: AsyncSession,
    principal: Principal,
    technician_id: uuid.UUID,
    certification_id: uuid.UUID,
    *,
    approve: bool,
    now: datetime,
) -> Certification:
    """Admin: verify or reject a declared certification (idempotent for the same decision)."""
    principal.require(Role.ADMIN)
    cert = await repo.certification(session, certification_id)
    if cert is None or cert.technician_id != technician_id:
        raise NotFound("No such certification for this technician")
    target = CertificationStatus.VERIFIED if approve else CertificationStatus.REJECTED
    if cert.status == target:
        return cert
    cert.status = target.value
    cert.verified_by = principal.user_id
    cert.verified_at = now
    await session.flush()
    return cert


async def list_technicians(
    session: AsyncSession, *, status: str | None, cursor: str | None, limit: int
) -> Page[Technician]:
    return await repo.technicians_page(session, status=status, cursor=cursor, limit=limit)


async def display_names(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[str, str]:
    """Technicians' display names by id (as a string), for lists that carry only ids."""
    if not ids:
        return {}
    return {str(tid): name for tid, name in (await repo.display_names(session, ids)).items()}
