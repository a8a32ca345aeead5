"""Customers ask for a visit themselves: triage first, then a work order to book."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody

from api.deps import CurrentPrincipal, DbSession, Now
from api.escalations.controllers import escalation_body
from api.escalations.schemas import EscalationOut, LocationIn
from api.idempotency import idempotent
from marketplace.auth import requires
from marketplace.users.models import Role
from marketplace.work_orders.self_service import VisitRequest, request_visit


class VisitRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="A service category code")]
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]
    location: LocationIn
    priority: Annotated[
        int, msgspec.Meta(ge=2, le=4, description="2 urgent .. 4 low; emergencies go through support")
    ] = 3
    device: dict[str, Any] | None = None
    steps_tried: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00]*$")]], msgspec.Meta(max_length=50)
    ] = []
    insist_on_visit: bool = False


class ServiceRequestController(Controller):
    path = "/service-requests"
    tags = ["self-service"]

    @post(
        "",
        operation_id="requestVisit",
        guards=[requires(Role.CUSTOMER)],
        status_code=201,
        responses={
            200: ResponseSpec(
                EscalationOut,
                description=(
                    "Outcome `resolve_remotely`: the category has a known remote fix "
                    "(`knowledge_base_hint`); nothing was booked. Send the request again with "
                    "`insist_on_visit: true` if you still need a visit."
                ),
                generate_examples=False,
            )
        },
    )
    @idempotent
    async def request_visit(
        self, now: Now, data: JSONBody[VisitRequestIn], principal: CurrentPrincipal, db_session: DbSession
    ) -> Response[EscalationOut]:
        """Ask for a visit yourself (customers only): category, what is wrong and where
        (coordinates, or an address that is geocoded). A remote-fixable category answers
        first with the knowledge-base fix (200, `resolve_remotely`) unless
        `insist_on_visit` is true ("I still need a visit"). Otherwise a work order (201,
        `created`, source `booking`) with the SLA of your tier; then list its slots, book a
        window and your card is authorised. When no qualified technician can come in time the
        order is `needs_callback` and support calls you with the honest earliest time."""
        loc = data.location
        request = VisitRequest(
            category=data.category,
            description=data.description,
            lat=loc.lat,
            lng=loc.lng,
            address=loc.address,
            priority=data.priority,
            device=data.device,
            steps_tried=tuple(data.steps_tried),
            insist_on_visit=data.insist_on_visit,
        )
        result = await request_visit(db_session, principal, request, now=now)
        status, body = escalation_body(result, now)
        return Response(body, status_code=status)
