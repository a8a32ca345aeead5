"""Admin screens: categories and triage, SLA policies, technicians (verify, suspend,
certificates) and staff accounts, on the same services as the admin API. Form input is
checked by the API's own request types, so a form accepts exactly what the API accepts."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import msgspec
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from api.admin.controllers import CATEGORY_CODE, TIERS, CategoryIn, SlaPolicyIn
from api.console.pages import ADMIN, page
from api.console.session import checked_form, redirect_with_note, signed_in_principal
from api.deps import AppSettings, DbSession, Now
from api.staff.controllers import InviteIn, RoleIn
from api.technicians.controllers import ReasonIn
from marketplace.catalog import service as catalog
from marketplace.errors import InvalidInput
from marketplace.sla import policies as sla_policies
from marketplace.technicians import service as technicians
from marketplace.technicians.models import TechnicianStatus
from marketplace.users import staff

T = TypeVar("T")
NOTES = {
    "category-saved": "Category saved.",
    "category-deleted": "Category deleted.",
    "policy-saved": "SLA policy saved; it applies to new work orders.",
    "technician-moved": "Technician updated.",
    "certificate-reviewed": "Certificate reviewed.",
    "invited": "Invitation sent by e-mail.",
    "role-changed": "Role changed; their sessions ended.",
    "deactivated": "Account deactivated; its sessions ended.",
}
MOVES = {
    "verify": TechnicianStatus.ACTIVE,
    "reinstate": TechnicianStatus.ACTIVE,
    "suspend": TechnicianStatus.SUSPENDED,
}
STATUS_FILTERS = ("pending_verification", "active", "suspended")


def parsed(kind: type[T], data: dict[str, Any]) -> T:
    """Form values as the API's request type (same rules, same limits), or a 422 page."""
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"Check the form: {exc}") from exc


def _skills(text: str) -> list[dict[str, Any]]:
    """ "plumbing.leak:2, hvac.repair" -> skill needs (level 1 when none is given)."""
    needs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        code, _, level = item.partition(":")
        if level and not level.strip().isdigit():
            raise InvalidInput(f"A skill level is a number: {item!r}")
        needs.append({"code": code.strip(), "min_level": int(level) if level.strip() else 1})
    return needs


def _whole(form: dict[str, str], key: str, default: int) -> int:
    value = form.get(key, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise InvalidInput(f"{key.replace('_', ' ')} is a whole number")
    return int(value)


def _note(path: str, note: str) -> Redirect:
    return redirect_with_note(f"/console/admin/{path}", note)


class AdminPages(Controller):
    path = "/admin"
    include_in_schema = False
    guards = [ADMIN]

    # ------------------------------------------------------------------ categories

    @get("/categories")
    async def categories(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        note: str | None = None,
    ) -> Template:
        return page(
            request,
            settings,
            "admin_categories.html",
            categories=await catalog.list_categories(db_session),
            skills=await catalog.list_skills(db_session),
            note=NOTES.get(note or ""),
        )

    @post("/categories", status_code=303)
    async def save_category(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Redirect:
        form = await checked_form(request, settings)
        code = form.get("code", "").strip()
        if not CATEGORY_CODE.match(code):
            raise InvalidInput("A category code is lowercase letters, digits, '.', '_' or '-' (max 64)")
        data = parsed(
            CategoryIn,
            {
                "name": form.get("name", "").strip(),
                "required_skills": _skills(form.get("required_skills", "")),
                "duration_s": _whole(form, "duration_min", 60) * 60,
                "remote_fixable": form.get("remote_fixable") == "on",
                "knowledge_base_hint": form.get("knowledge_base_hint", "").strip() or None,
                "required_certifications": [
                    c.strip() for c in form.get("required_certifications", "").split(",") if c.strip()
                ],
                "base_price_minor": _whole(form, "base_price_minor", 0),
            },
        )
        await catalog.put_category(
            db_session,
            code=code,
            name=data.name,
            required_skills=[(s.code, s.min_level) for s in data.required_skills],
            required_certifications=data.required_certifications,
            duration_s=data.duration_s,
            remote_fixable=data.remote_fixable,
            knowledge_base_hint=data.knowledge_base_hint,
            base_price_minor=data.base_price_minor,
        )
        return _note("categories", "category-saved")

    @post("/categories/{code:str}/delete", status_code=303)
    async def delete_category(
        self, request: Request[Any, Any, Any], code: str, db_session: DbSession, settings: AppSettings
    ) -> Redirect:
        await checked_form(request, settings)
        await catalog.delete_category(db_session, code)
        return _note("categories", "category-deleted")

    # ------------------------------------------------------------------ SLA policies

    @get("/sla-policies")
    async def sla_policies(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        note: str | None = None,
    ) -> Template:
        policies = await sla_policies.list_sla_policies(db_session)
        return page(
            request, settings, "admin_sla.html", policies=policies, tiers=TIERS, note=NOTES.get(note or "")
        )

    @post("/sla-policies", status_code=303)
    async def save_sla_policy(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Redirect:
        form = await checked_form(request, settings)
        tier, priority = form.get("tier", ""), form.get("priority", "")
        if tier not in TIERS or priority not in ("1", "2", "3", "4"):
            raise InvalidInput("tier is standard, priority or premium; priority is 1..4")
        minutes = {
            "response_s": _whole(form, "response_min", 0) * 60,
            "resolution_s": _whole(form, "resolution_min", 0) * 60,
        }
        data = parsed(SlaPolicyIn, minutes)
        await sla_policies.put_sla_policy(
            db_session,
            tier=tier,
            priority=int(priority),
            response_s=data.response_s,
            resolution_s=data.resolution_s,
        )
        return _note("sla-policies", "policy-saved")

    # ------------------------------------------------------------------ technicians

    @get("/technicians")
    async def technician_list(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        status: str | None = None,
        cursor: str | None = None,
        note: str | None = None,
    ) -> Template:
        shown = status if status in STATUS_FILTERS else None
        found = await technicians.list_technicians(db_session, status=shown, cursor=cursor, limit=100)
        return page(
            request,
            settings,
            "admin_technicians.html",
            technicians=found.items,
            next_cursor=found.next_cursor,
            status=shown,
            statuses=STATUS_FILTERS,
            note=NOTES.get(note or ""),
        )

    @get("/technicians/{technician_id:uuid}")
    async def technician(
        self,
        request: Request[Any, Any, Any],
        technician_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
        note: str | None = None,
    ) -> Template:
        profile = await technicians.load_profile(db_session, technician_id)
        certificates = [(c, technicians.certification_state(c, now)) for c in profile.certifications]
        return page(
            request,
            settings,
            "admin_technician.html",
            profile=profile,
            certificates=certificates,
            note=NOTES.get(note or ""),
        )

    @post("/technicians/{technician_id:uuid}/{move:str}", status_code=303)
    async def move_technician(
        self,
        request: Request[Any, Any, Any],
        technician_id: uuid.UUID,
        move: str,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        form = await checked_form(request, settings)
        if move not in MOVES:
            raise InvalidInput("verify, suspend or reinstate")
        reason = parsed(ReasonIn, {"reason": form.get("reason") or None}).reason
        await technicians.set_technician_status(
            db_session, signed_in_principal(request), technician_id, MOVES[move], reason=reason, now=now
        )
        return _note(f"technicians/{technician_id}", "technician-moved")

    @post("/technicians/{technician_id:uuid}/certifications/{certification_id:uuid}", status_code=303)
    async def review_certificate(
        self,
        request: Request[Any, Any, Any],
        technician_id: uuid.UUID,
        certification_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        form = await checked_form(request, settings)
        decision = form.get("decision")
        if decision not in ("verify", "reject"):
            raise InvalidInput("verify or reject")
        await technicians.review_certification(
            db_session,
            signed_in_principal(request),
            technician_id,
            certification_id,
            approve=decision == "verify",
            now=now,
        )
        return _note(f"technicians/{technician_id}", "certificate-reviewed")

    # ------------------------------------------------------------------ staff accounts

    @get("/staff")
    async def staff_list(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        note: str | None = None,
    ) -> Template:
        members = [
            (u, staff.status_of(u).value)
            for u in await staff.list_staff(db_session, signed_in_principal(request))
        ]
        return page(request, settings, "admin_staff.html", members=members, note=NOTES.get(note or ""))

    @post("/staff", status_code=303)
    async def invite(
        self, request: Request[Any, Any, Any], now: Now, db_session: DbSession, settings: AppSettings
    ) -> Redirect:
        form = await checked_form(request, settings)
        data = parsed(
            InviteIn,
            {
                "email": form.get("email", "").strip(),
                "display_name": form.get("display_name", "").strip(),
                "role": form.get("role"),
            },
        )
        await staff.invite(
            db_session,
            settings,
            signed_in_principal(request),
            email=data.email,
            display_name=data.display_name,
            role=data.role,
            now=now,
        )
        return _note("staff", "invited")

    @post("/staff/{user_id:uuid}/role", status_code=303)
    async def change_role(
        self,
        request: Request[Any, Any, Any],
        user_id: uuid.UUID,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        form = await checked_form(request, settings)
        data = parsed(RoleIn, {"role": form.get("role")})
        await staff.change_role(db_session, signed_in_principal(request), user_id, data.role)
        return _note("staff", "role-changed")

    @post("/staff/{user_id:uuid}/deactivate", status_code=303)
    async def deactivate(
        self,
        request: Request[Any, Any, Any],
        user_id: uuid.UUID,
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect:
        await checked_form(request, settings)
        await staff.deactivate(db_session, signed_in_principal(request), user_id, now=now)
        return _note("staff", "deactivated")
