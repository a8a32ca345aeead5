"""Admin: staff accounts (invite, role, deactivate, list); invitees accept with their link."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, get, post, put
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter

from api.auth.schemas import Email
from api.deps import AppSettings, CurrentPrincipal, DbSession, Now
from api.idempotency import idempotent
from marketplace.auth import requires
from marketplace.users import staff
from marketplace.users.models import User

StaffRole = Literal["agent", "dispatcher", "admin"]
UserId = Annotated[uuid.UUID, PathParameter(description="Staff user id")]


class InviteIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    role: StaffRole


class StaffOut(msgspec.Struct):
    user_id: str
    email: str
    display_name: str
    role: str
    status: Literal["invited", "active", "deactivated"]
    created_at: datetime


class InvitationOut(msgspec.Struct):
    staff: StaffOut
    invitation_expires_at: datetime


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=200)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RoleIn(msgspec.Struct, forbid_unknown_fields=True):
    role: StaffRole


def staff_out(user: User) -> StaffOut:
    return StaffOut(
        user_id=str(user.id),
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        status=staff.status_of(user).value,  # type: ignore[arg-type]
        created_at=user.created_at,
    )


class StaffController(Controller):
    path = "/admin/staff"
    tags = ["admin"]

    @get("", operation_id="listStaff", guards=[requires(staff.Role.ADMIN)])
    async def list_staff(self, db_session: DbSession, principal: CurrentPrincipal) -> list[StaffOut]:
        """Every agent, dispatcher and admin, invited, active or deactivated, by e-mail."""
        return [staff_out(u) for u in await staff.list_staff(db_session, principal)]

    @post(
        "/invitations",
        operation_id="inviteStaff",
        guards=[requires(staff.Role.ADMIN)],
        status_code=201,
        responses={
            200: ResponseSpec(
                InvitationOut, description="A pending invitee invited again", generate_examples=False
            )
        },
    )
    @idempotent
    async def invite(
        self,
        now: Now,
        data: JSONBody[InviteIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[InvitationOut]:
        """Invite someone as agent, dispatcher or admin (201): they get an e-mail with a link
        to choose their password (`acceptInvitation`). Inviting a pending invitee again (200)
        sends a new link and withdraws the old one; an address that already has an account
        is 409."""
        invitation = await staff.invite(
            db_session,
            settings,
            principal,
            email=data.email,
            display_name=data.display_name,
            role=data.role,
            now=now,
        )
        body = InvitationOut(
            staff=staff_out(invitation.user), invitation_expires_at=invitation.link.link.expires_at
        )
        return Response(body, status_code=201 if invitation.created else 200)

    @put("/{user_id:uuid}/role", operation_id="changeStaffRole", guards=[requires(staff.Role.ADMIN)])
    async def change_role(
        self, user_id: UserId, data: JSONBody[RoleIn], principal: CurrentPrincipal, db_session: DbSession
    ) -> StaffOut:
        """Give a staff member another role. Their sessions end (they sign in again with the
        new role); the same role again changes nothing."""
        return staff_out(await staff.change_role(db_session, principal, user_id, data.role))

    @post(
        "/{user_id:uuid}/deactivate",
        operation_id="deactivateStaff",
        guards=[requires(staff.Role.ADMIN)],
        status_code=200,
    )
    async def deactivate(
        self, now: Now, user_id: UserId, principal: CurrentPrincipal, db_session: DbSession
    ) -> StaffOut:
        """Close a staff account: it cannot sign in and every one of its bearer tokens is
        refused (401) from this moment. Repeating it changes nothing."""
        return staff_out(await staff.deactivate(db_session, principal, user_id, now=now))


class InvitationController(Controller):
    path = "/auth/invitations"
    tags = ["auth"]

    @post(
        "/accept", operation_id="acceptInvitation", status_code=200, security=[], opt={"problems": (401, 410)}
    )
    async def accept(
        self, now: Now, data: JSONBody[AcceptIn], db_session: DbSession, settings: AppSettings
    ) -> StaffOut:
        """Choose a password with the invitation's token (`/app/invitation/{token}`); then
        sign in with `createToken`. Each invitation works once."""
        user = await staff.accept(db_session, settings, data.token, password=data.password, now=now)
        return staff_out(user)
