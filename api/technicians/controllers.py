"""Admin: verify, suspend or reinstate technicians; review their certifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import CurrentPrincipal, DbSession, Now
from marketplace.auth import requires
from marketplace.technicians import service
from marketplace.technicians.models import Certification, Technician, TechnicianStatus
from marketplace.users.models import Role


class StatusFilter(StrEnum):
    PENDING_VERIFICATION = "pending_verification"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=500)] | None = None


class TechnicianAdminOut(msgspec.Struct):
    id: str
    display_name: str
    status: str
    home_lat: float
    home_lng: float
    service_radius_m: int
    created_at: datetime


class TechnicianAdminPage(msgspec.Struct):
    items: list[TechnicianAdminOut]
    next_cursor: str | None


class CertificationAdminOut(msgspec.Struct):
    id: str
    technician_id: str
    code: str
    number: str
    issuer: str
    expires_at: datetime | None
    status: str


def _tech(t: Technician) -> TechnicianAdminOut:
    return TechnicianAdminOut(
        str(t.id), t.display_name, t.status, t.home_lat, t.home_lng, t.service_radius_m, t.created_at
    )


def _cert(c: Certification, now: datetime) -> CertificationAdminOut:
    return CertificationAdminOut(
        str(c.id),
        str(c.technician_id),
        c.code,
        c.number,
        c.issuer,
        c.expires_at,
        service.certification_state(c, now),
    )


class TechnicianAdminController(Controller):
    path = "/technicians"
    tags = ["admin: technicians"]
    guards = [requires(Role.ADMIN)]

    @get("", operation_id="listTechnicians")
    async def list_technicians(
        self,
        db_session: DbSession,
        status: Annotated[StatusFilter | None, QueryParameter(required=False)] = None,
        cursor: Annotated[str | None, QueryParameter(required=False, max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> TechnicianAdminPage:
        """Technicians, oldest first; `status=pending_verification` is the review queue."""
        page = await service.list_technicians(
            db_session, status=status.value if status else None, cursor=cursor, limit=limit
        )
        return TechnicianAdminPage([_tech(t) for t in page.items], page.next_cursor)

    @get("/{technician_id:uuid}/certifications", operation_id="listTechnicianCertifications")
    async def list_certifications(
        self, now: Now, technician_id: FromPath[uuid.UUID], db_session: DbSession
    ) -> list[CertificationAdminOut]:
        """A technician's declared certifications, to review."""
        profile = await service.load_profile(db_session, technician_id)
        return [_cert(c, now) for c in profile.certifications]

    async def _move(
        self,
        now: datetime,
        db_session: DbSession,
        principal: CurrentPrincipal,
        technician_id: FromPath[uuid.UUID],
        target: TechnicianStatus,
        reason: str | None,
    ) -> TechnicianAdminOut:
        tech = await service.set_technician_status(
            db_session, principal, technician_id, target, reason=reason, now=now
        )
        return _tech(tech)

    @post("/{technician_id:uuid}/verify", operation_id="verifyTechnician", status_code=200)
    async def verify(
        self, now: Now, technician_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentPrincipal
    ) -> TechnicianAdminOut:
        """Identity and documents checked: `pending_verification` -> `active`. Idempotent."""
        return await self._move(now, db_session, principal, technician_id, TechnicianStatus.ACTIVE, None)

    @post("/{technician_id:uuid}/suspend", operation_id="suspendTechnician", status_code=200)
    async def suspend(
        self,
        now: Now,
        technician_id: FromPath[uuid.UUID],
        data: JSONBody[ReasonIn],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> TechnicianAdminOut:
        """Stop a technician getting work; their open offers are withdrawn. Idempotent."""
        return await self._move(
            now, db_session, principal, technician_id, TechnicianStatus.SUSPENDED, data.reason
        )

    @post("/{technician_id:uuid}/reinstate", operation_id="reinstateTechnician", status_code=200)
    async def reinstate(
        self, now: Now, technician_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentPrincipal
    ) -> TechnicianAdminOut:
        """`suspended` -> `active`. Idempotent."""
        return await self._move(now, db_session, principal, technician_id, TechnicianStatus.ACTIVE, None)

    @post(
        "/{technician_id:uuid}/certifications/{certification_id:uuid}/verify",
        operation_id="verifyCertification",
        status_code=200,
    )
    async def verify_certification(
        self,
        now: Now,
        technician_id: FromPath[uuid.UUID],
        certification_id: FromPath[uuid.UUID],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> CertificationAdminOut:
        """Mark a certification verified: from now until it expires it counts for dispatch."""
        cert = await service.review_certification(
            db_session, principal, technician_id, certification_id, approve=True, now=now
        )
        return _cert(cert, now)

    @post(
        "/{technician_id:uuid}/certifications/{certification_id:uuid}/reject",
        operation_id="rejectCertification",
        status_code=200,
    )
    async def reject_certification(
        self,
        now: Now,
        technician_id: FromPath[uuid.UUID],
        certification_id: FromPath[uuid.UUID],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> CertificationAdminOut:
        """Reject a certification (it never counts)."""
        cert = await service.review_certification(
            db_session, principal, technician_id, certification_id, approve=False, now=now
        )
        return _cert(cert, now)
