"""The visit lifecycle: en route -> on site -> completed | failed."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter

from api.idempotency import idempotent
from marketplace.auth import requires
from marketplace.ratings.service import rate_customer
from marketplace.sessions import readable_while_suspended
from marketplace.users.models import Role
from marketplace.visits import service
from marketplace.visits.models import VisitStepKind
from mobile_api.common import Cursor, Lat, Limit, Lng, body, problem_responses
from mobile_api.deps import CurrentPrincipal, DbSession, Now


class PartIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", min_length=1, max_length=200)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1
    sku: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=64)] | None = None


class StatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: VisitStepKind
    notes: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=4000)] | None = None
    time_spent_s: Annotated[int, msgspec.Meta(ge=0, le=86_400)] | None = None
    parts_used: Annotated[list[PartIn], msgspec.Meta(max_length=100)] = []
    customer_signoff_name: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=200)] | None = None
    lat: Lat | None = None
    lng: Lng | None = None


class StepOut(msgspec.Struct):
    status: str
    at: datetime
    notes: str | None
    time_spent_s: int | None
    parts_used: list[dict[str, Any]]
    customer_signoff_name: str | None
    eta: datetime | None


class VisitOut(msgspec.Struct):
    work_order_id: str
    status: str
    summary: str
    address: str | None
    lat: float
    lng: float
    context: dict[str, Any]
    window_start: datetime | None
    window_end: datetime | None
    eta: datetime | None
    steps: list[StepOut]
    replayed: bool = False


class VisitSummary(msgspec.Struct):
    work_order_id: str
    status: str
    summary: str
    address: str | None
    created_at: datetime


class VisitPage(msgspec.Struct):
    items: list[VisitSummary]
    next_cursor: str | None


class CustomerRatingIn(msgspec.Struct, forbid_unknown_fields=True):
    stars: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$", max_length=4000)] | None = None


class CustomerRatingOut(msgspec.Struct):
    id: str
    work_order_id: str
    customer_id: str
    stars: int
    comment: str | None
    created_at: datetime


class VisitState(StrEnum):
    ACTIVE = "active"
    DONE = "done"


def visit_out(v: service.VisitView) -> VisitOut:
    o, a = v.order, v.appointment
    return VisitOut(
        work_order_id=str(o.id),
        status=o.status,
        summary=o.summary,
        address=o.address,
        lat=o.lat,
        lng=o.lng,
        context=dict(o.context),
        window_start=a.window_start if a else None,
        window_end=a.window_end if a else None,
        eta=a.eta if a else None,
        steps=[
            StepOut(s.step, s.at, s.notes, s.time_spent_s, list(s.parts_used), s.customer_signoff_name, s.eta)
            for s in v.steps
        ],
        replayed=v.replayed,
    )


class VisitsController(Controller):
    path = "/visits"
    tags = ["mobile: visits"]
    guards = [requires(Role.TECHNICIAN)]

    @get("", operation_id="listVisits", opt=readable_while_suspended())
    async def list_visits(
        self,
        db_session: DbSession,
        principal: CurrentPrincipal,
        visit_state: Annotated[VisitState | None, QueryParameter(name="state", required=False)] = None,
        cursor: Cursor = None,
        limit: Limit = 20,
    ) -> VisitPage:
        """Your visits (jobs assigned to you), newest first; `state=active` for today's work."""
        page = await service.list_visits(
            db_session,
            principal,
            state=visit_state.value if visit_state else None,
            cursor=cursor,
            limit=limit,
        )
        return VisitPage(
            items=[VisitSummary(str(w.id), w.status, w.summary, w.address, w.created_at) for w in page.items],
            next_cursor=page.next_cursor,
        )

    @get(
        "/{work_order_id:uuid}",
        operation_id="getVisit",
        responses=problem_responses(404),
        opt=readable_while_suspended(),
    )
    async def get_visit(
        self, work_order_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentPrincipal
    ) -> VisitOut:
        """One of your visits with its steps (someone else's is 404)."""
        return visit_out(await service.get_visit(db_session, principal, work_order_id))

    @post(
        "/{work_order_id:uuid}/status",
        operation_id="updateVisitStatus",
        status_code=200,
        responses=problem_responses(404, 409, 422),
    )
    async def update_status(
        self,
        now: Now,
        work_order_id: FromPath[uuid.UUID],
        data: Annotated[
            StatusIn,
            body(
                {
                    "status": "completed",
                    "notes": "Replaced pressure sensor; boiler back at 1.5 bar",
                    "time_spent_s": 2700,
                    "parts_used": [{"name": "Pressure sensor", "quantity": 1, "sku": "PS-119"}],
                    "customer_signoff_name": "J. de Vries",
                }
            ),
        ],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> VisitOut:
        """Move the visit on: `en_route` -> `on_site` -> `completed` | `failed` (notes required).

        Each step is recorded once: resending a step you already sent returns the same visit
        (`replayed: true`) and changes nothing. A step out of order is 409
        `illegal-transition`. Each step updates the customer's ETA / status.
        """
        report = service.StepReport(
            notes=data.notes,
            time_spent_s=data.time_spent_s,
            parts_used=[msgspec.to_builtins(p) for p in data.parts_used],
            customer_signoff_name=data.customer_signoff_name,
            lat=data.lat,
            lng=data.lng,
        )
        view = await service.update_visit_status(
            db_session, principal, work_order_id, data.status, report, now=now
        )
        return visit_out(view)

    @post(
        "/{work_order_id:uuid}/customer-rating",
        operation_id="rateCustomer",
        responses=problem_responses(404, 409, 422),
    )
    @idempotent
    async def rate_customer(
        self,
        now: Now,
        work_order_id: FromPath[uuid.UUID],
        data: Annotated[CustomerRatingIn, body({"stars": 5, "comment": "Friendly, boiler easy to reach"})],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> CustomerRatingOut:
        """Rate the customer of a visit you completed, 1-5 stars with an optional comment,
        once (201). Only the visit's technician (404 for anyone else's visit); before
        completion a 409 `not-reviewable`, a second rating a 409 `already-reviewed`."""
        r = await rate_customer(
            db_session, principal, work_order_id, stars=data.stars, comment=data.comment, now=now
        )
        return CustomerRatingOut(
            id=str(r.id),
            work_order_id=str(r.work_order_id),
            customer_id=str(r.customer_id),
            stars=r.stars,
            comment=r.comment,
            created_at=r.created_at,
        )
