"""Admin: the triage table (categories) and SLA policies (tier x priority)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, delete, get, put
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter

from api.deps import DbSession
from api.escalations.schemas import SkillNeed
from marketplace.auth import requires, signed_in
from marketplace.catalog import service
from marketplace.catalog.models import ServiceCategory
from marketplace.errors import InvalidInput
from marketplace.sla import policies as sla_policies
from marketplace.users.models import Role

CATEGORY_CODE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
TIERS = ("standard", "priority", "premium")


class CategoryIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    required_skills: Annotated[list[SkillNeed], msgspec.Meta(min_length=1, max_length=20)]
    duration_s: Annotated[int, msgspec.Meta(ge=600, le=12 * 3600)] = 3600
    remote_fixable: bool = False
    knowledge_base_hint: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    required_certifications: list[Annotated[str, msgspec.Meta(max_length=64)]] = []
    base_price_minor: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 9000


class CategoryOut(msgspec.Struct):
    code: str
    name: str
    required_skills: list[SkillNeed]
    required_certifications: list[str]
    duration_s: int
    remote_fixable: bool
    knowledge_base_hint: str | None
    base_price_minor: int


class SlaPolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    response_s: Annotated[int, msgspec.Meta(ge=900, le=30 * 86_400)]
    resolution_s: Annotated[int, msgspec.Meta(ge=900, le=60 * 86_400)]


class SlaPolicyOut(msgspec.Struct):
    tier: str
    priority: int
    response_s: int
    resolution_s: int
    source: Literal["policy", "default"]


def category_out(c: ServiceCategory) -> CategoryOut:
    return CategoryOut(
        code=c.code,
        name=c.name,
        required_skills=[
            SkillNeed(code=s["code"], min_level=int(s.get("min_level", 1))) for s in c.required_skills
        ],
        required_certifications=c.required_certifications,
        duration_s=c.duration_s,
        remote_fixable=c.remote_fixable,
        knowledge_base_hint=c.knowledge_base_hint,
        base_price_minor=c.base_price_minor,
    )


class AdminController(Controller):
    path = "/admin"
    tags = ["admin"]

    @get("/categories", operation_id="listCategories", guards=[signed_in])
    async def list_categories(self, db_session: DbSession) -> list[CategoryOut]:
        """The triage table: what each problem category needs on site."""
        return [category_out(c) for c in await service.list_categories(db_session)]

    @put(
        "/categories/{code:str}",
        operation_id="putCategory",
        guards=[requires(Role.ADMIN)],
        responses={201: ResponseSpec(CategoryOut, description="Created", generate_examples=False)},
    )
    async def put_category(
        self, code: Annotated[str, PathParameter()], data: JSONBody[CategoryIn], db_session: DbSession
    ) -> Response[CategoryOut]:
        """Create (201) or replace (200) a triage category."""
        if not CATEGORY_CODE.match(code):
            raise InvalidInput("A category code is lowercase letters, digits, '.', '_' or '-' (max 64)")
        category, created = await service.put_category(
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
        return Response(category_out(category), status_code=201 if created else 200)

    @delete("/categories/{code:str}", operation_id="deleteCategory", guards=[requires(Role.ADMIN)])
    async def delete_category(self, code: Annotated[str, PathParameter()], db_session: DbSession) -> None:
        """Remove a category no work order uses (409 otherwise)."""
        await service.delete_category(db_session, code)

    @get("/sla-policies", operation_id="listSlaPolicies", guards=[requires(Role.ADMIN, Role.AGENT)])
    async def list_sla_policies(self, db_session: DbSession) -> list[SlaPolicyOut]:
        """Response and resolution targets for every tier x priority (stored or default)."""
        return [
            SlaPolicyOut(tier=t, priority=p, response_s=r, resolution_s=res, source=src)  # type: ignore[arg-type]
            for t, p, r, res, src in await sla_policies.list_sla_policies(db_session)
        ]

    @put(
        "/sla-policies/{tier:str}/{priority:int}", operation_id="putSlaPolicy", guards=[requires(Role.ADMIN)]
    )
    async def put_sla_policy(
        self,
        tier: Annotated[str, PathParameter()],
        priority: Annotated[int, PathParameter()],
        data: JSONBody[SlaPolicyIn],
        db_session: DbSession,
    ) -> SlaPolicyOut:
        """Set the targets for one tier x priority (applies to new work orders)."""
        if tier not in TIERS or not 1 <= priority <= 4:
            raise InvalidInput("tier is standard, priority or premium; priority is 1..4")
        row = await sla_policies.put_sla_policy(
            db_session,
            tier=tier,
            priority=priority,
            response_s=data.response_s,
            resolution_s=data.resolution_s,
        )
        return SlaPolicyOut(row.tier, row.priority, row.response_s, row.resolution_s, "policy")
