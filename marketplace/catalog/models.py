"""Reference data: the skill catalogue, triage categories and SLA policies."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from marketplace.db import id_field, json_field


class Skill(SQLModel, table=True):
    __tablename__ = "skills"

    code: str = Field(primary_key=True, max_length=64)  # e.g. "hvac.repair"
    name: str = Field(max_length=200)


class ServiceCategory(SQLModel, table=True):
    """Triage table: what a category of problem needs on site."""

    __tablename__ = "service_categories"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    required_skills: list[dict[str, Any]] = json_field(list)  # [{"code": ..., "min_level": ...}]
    required_certifications: list[str] = json_field(list)
    duration_s: int = Field(default=3600)
    remote_fixable: bool = Field(default=False)
    knowledge_base_hint: str | None = Field(default=None, max_length=2000)
    base_price_minor: int = Field(default=9000)


class SlaPolicy(SQLModel, table=True):
    __tablename__ = "sla_policies"
    __table_args__ = (sa.UniqueConstraint("tier", "priority", name="uq_sla_policies_tier_priority"),)

    id: uuid.UUID = id_field()
    tier: str = Field(max_length=20)
    priority: int
    response_s: int
    resolution_s: int
