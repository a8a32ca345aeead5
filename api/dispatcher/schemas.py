"""Wire shapes of the dispatcher console (never table models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec


class RunDecisionOut(msgspec.Struct):
    work_order_id: str
    decision: str  # offered | auto_assigned | unplaced | skipped
    technician_id: str | None = None
    offer_id: str | None = None
    why: str | None = None


class RunSummaryOut(msgspec.Struct):
    region: str
    trigger: str
    started_at: str
    finished_at: str | None
    skipped: str | None
    technicians: int
    open_orders: int
    pinned_visits: int
    offered: int
    auto_assigned: int
    unplaced: int
    eta_updates: int
    customers_told: int
    solver: str
    solve_seconds: float
    planned_travel_m: int
    decisions: list[RunDecisionOut]
    travel: str = ""  # the travel model that answered; "straight (… failed: why)" after a fallback


class PlanStopOut(msgspec.Struct):
    work_order_id: str
    status: str
    priority: int
    summary: str
    window_start: datetime
    window_end: datetime
    planned_arrival: datetime | None
    eta: datetime | None
    sla_due_at: datetime | None


class TechnicianPlanOut(msgspec.Struct):
    technician_id: str
    display_name: str
    auto_accept: bool
    last_located_at: datetime | None
    stops: list[PlanStopOut]


class RegionPlanOut(msgspec.Struct):
    region: str
    technicians: list[TechnicianPlanOut]


class SlaAlertOut(msgspec.Struct):
    id: str
    kind: str
    subject: str
    work_order_id: str | None
    data: dict[str, Any]
    created_at: datetime


class SlaAlertList(msgspec.Struct):
    items: list[SlaAlertOut]


class ReleaseIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class ReleaseOut(msgspec.Struct):
    work_order_id: str
    released: bool
    status: str
