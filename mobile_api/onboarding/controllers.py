"""Sign-up (public) and the technician's own profile and certifications."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from litestar import Controller, get, patch, post

from api.idempotency import idempotent
from marketplace.auth import issue_token, requires
from marketplace.sessions import readable_while_suspended
from marketplace.technicians import service
from marketplace.users.models import Role
from mobile_api.common import aware, body, problem_responses
from mobile_api.deps import AppSettings, CurrentPrincipal, DbSession, Now
from mobile_api.onboarding.schemas import (
    CertificationIn,
    CertificationOut,
    ProfileOut,
    ProfilePatch,
    SignUpIn,
    SignUpOut,
    cert_out,
    profile_out,
)

SIGNUP_EXAMPLE = {
    "email": "sam@example.com",
    "password": "correct-horse-battery",
    "display_name": "Sam Fixer",
    "home": {"lat": 52.3702, "lng": 4.8952},
    "skills": [{"code": "hvac.repair", "level": 2}],
    "timezone": "Europe/Amsterdam",
    "service_radius_m": 20000,
    "hourly_rate_minor": 4500,
    "price_floor_minor": 6000,
}


def _signup_owner(arguments: dict[str, Any]) -> str:
    """Sign-up has no caller yet: its idempotency keys belong to the e-mail address."""
    email: str = arguments["data"].email
    return "signup:" + hashlib.sha256(email.lower().encode()).hexdigest()[:40]


class OnboardingController(Controller):
    path = ""
    tags = ["mobile: onboarding"]

    @post(
        "/signup",
        operation_id="signUpTechnician",
        security=[{}],  # public: no bearer token
        responses=problem_responses(409, 422),
    )
    @idempotent(owner=_signup_owner)
    async def sign_up(
        self,
        now: Now,
        data: Annotated[SignUpIn, body(SIGNUP_EXAMPLE)],
        db_session: DbSession,
        settings: AppSettings,
    ) -> SignUpOut:
        """Create a technician account (status `pending_verification`) and return a bearer token.

        Public: no token needed. Skill codes must exist in the catalogue (unknown ->
        422 `unknown-skill`); an email already in use is 409 `email-taken`. Send an
        `Idempotency-Key` to retry safely over a flaky connection.
        """
        tech, user = await service.sign_up(
            db_session,
            email=data.email,
            password=data.password,
            display_name=data.display_name,
            home_lat=data.home.lat,
            home_lng=data.home.lng,
            phone=data.phone,
            timezone=data.timezone,
            service_radius_m=data.service_radius_m,
            vehicle_notes=data.vehicle_notes,
            hourly_rate_minor=data.hourly_rate_minor,
            price_floor_minor=data.price_floor_minor,
            currency=data.currency,
            skills=[service.SkillLevel(s.code, s.level) for s in data.skills],
        )
        profile = await service.load_profile(db_session, tech.id)
        return SignUpOut(
            technician=profile_out(profile, now), access_token=issue_token(settings, user, now=now)
        )

    @get(
        "/me",
        operation_id="getProfile",
        guards=[requires(Role.TECHNICIAN)],
        opt={"problems": (404,), **readable_while_suspended()},
    )
    async def get_profile(self, now: Now, db_session: DbSession, principal: CurrentPrincipal) -> ProfileOut:
        """The signed-in technician's profile: skills, certifications (with live status), rates, status."""
        return profile_out(await service.get_profile(db_session, principal), now)

    @patch(
        "/me",
        operation_id="updateProfile",
        guards=[requires(Role.TECHNICIAN)],
        responses=problem_responses(422),
    )
    async def update_profile(
        self,
        now: Now,
        data: Annotated[
            ProfilePatch,
            body(
                {
                    "service_radius_m": 15000,
                    "skills": [{"code": "hvac.repair", "level": 3}],
                    "price_floor_minor": 7000,
                }
            ),
        ],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> ProfileOut:
        """Change only the fields sent. `skills`, when sent, replaces the whole list. Idempotent."""
        changes = service.ProfileChanges(
            display_name=data.display_name,
            phone=data.phone,
            timezone=data.timezone,
            home_lat=data.home.lat if data.home else None,
            home_lng=data.home.lng if data.home else None,
            service_radius_m=data.service_radius_m,
            vehicle_notes=data.vehicle_notes,
            hourly_rate_minor=data.hourly_rate_minor,
            price_floor_minor=data.price_floor_minor,
            skills=[service.SkillLevel(s.code, s.level) for s in data.skills]
            if data.skills is not None
            else None,
        )
        return profile_out(await service.update_profile(db_session, principal, changes), now)

    @post(
        "/me/certifications",
        operation_id="addCertification",
        guards=[requires(Role.TECHNICIAN)],
        responses=problem_responses(422),
    )
    @idempotent
    async def add_certification(
        self,
        now: Now,
        data: Annotated[
            CertificationIn,
            body(
                {
                    "code": "gas_safe",
                    "number": "GS-123456",
                    "issuer": "Gas Safe Register",
                    "expires_at": "2027-06-30T00:00:00Z",
                }
            ),
        ],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> CertificationOut:
        """Declare a certification. It is `pending` until an admin verifies it, and stops
        counting by itself once `expires_at` passes. Send an `Idempotency-Key` to retry safely."""
        expires = aware(data.expires_at, "expires_at") if data.expires_at else None
        cert = await service.add_certification(
            db_session,
            principal,
            code=data.code,
            number=data.number,
            issuer=data.issuer,
            expires_at=expires,
            now=now,
        )
        return cert_out(cert, now)

    @get(
        "/me/certifications",
        operation_id="listCertifications",
        guards=[requires(Role.TECHNICIAN)],
        opt={"problems": (404,)},
    )
    async def list_certifications(
        self, now: Now, db_session: DbSession, principal: CurrentPrincipal
    ) -> list[CertificationOut]:
        """Your certifications with their live status (pending, verified, rejected, expired)."""
        profile = await service.get_profile(db_session, principal)
        return [cert_out(c, now) for c in profile.certifications]
