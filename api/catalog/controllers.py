from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import JSONBody

from api.deps import DbSession, Now
from api.idempotency import idempotent
from marketplace.auth import requires, signed_in
from marketplace.catalog import service
from marketplace.users.models import Role

SkillCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", max_length=64)]


class SkillIn(msgspec.Struct, forbid_unknown_fields=True):
    code: SkillCode
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SkillOut(msgspec.Struct):
    code: str
    name: str


class CatalogController(Controller):
    path = "/skills"
    tags = ["catalog"]

    @get("", operation_id="listSkills", guards=[signed_in])
    async def list_skills(self, db_session: DbSession) -> list[SkillOut]:
        """The skill catalogue technicians declare and work orders require."""
        return [SkillOut(code=s.code, name=s.name) for s in await service.list_skills(db_session)]

    @post("", operation_id="addSkill", guards=[requires(Role.ADMIN)])
    @idempotent
    async def add_skill(self, now: Now, data: JSONBody[SkillIn], db_session: DbSession) -> SkillOut:
        """Add a skill (admin). Safe to retry with the same Idempotency-Key."""
        skill = await service.add_skill(db_session, code=data.code, name=data.name, now=now)
        return SkillOut(code=skill.code, name=skill.name)
