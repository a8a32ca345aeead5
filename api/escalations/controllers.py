"""Support agents: escalate tickets, read and list work orders, expedite."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.deps import CurrentPrincipal, DbSession, Now
from api.escalations.schemas import (
    EscalationIn,
    EscalationOut,
    ExpediteIn,
    WorkOrderOut,
    WorkOrderPage,
    to_escalation,
    work_order_out,
)
from api.idempotency import idempotent
from marketplace.auth import requires, signed_in
from marketplace.bookings.service import live_appointment
from marketplace.support.models import CallbackRequest
from marketplace.support.service import list_callbacks, resolve_callback
from marketplace.users.models import Role
from marketplace.visits.eta import estimate, quick_risk
from marketplace.work_orders import escalation, expedite, reads
from marketplace.work_orders.intake import EscalationOutcome, EscalationResult

STAFF_GUARD = requires(Role.AGENT, Role.DISPATCHER, Role.ADMIN)

WorkOrderId = Annotated[uuid.UUID, PathParameter(description="Work order id")]


def escalation_body(result: EscalationResult, now: datetime) -> tuple[int, EscalationOut]:
    order = result.order
    body = EscalationOut(
        outcome=result.outcome.value,  # type: ignore[arg-type]
        work_order=work_order_out(order, sla_risk=quick_risk(order, None, now)) if order else None,
        knowledge_base_hint=result.knowledge_base_hint,
        context_appended=result.context_appended,
    )
    return (201 if result.outcome is EscalationOutcome.CREATED else 200), body


class CallbackOut(msgspec.Struct):
    id: str
    work_order_id: str | None
    customer_id: str
    reason: str
    status: str
    context: dict[str, Any]
    created_at: datetime
    resolved_at: datetime | None = None


class ResolveCallbackIn(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


def callback_out(r: CallbackRequest) -> CallbackOut:
    return CallbackOut(
        id=str(r.id),
        work_order_id=str(r.work_order_id) if r.work_order_id else None,
        customer_id=str(r.customer_id),
        reason=r.reason,
        status=r.status,
        context=r.context,
        created_at=r.created_at,
        resolved_at=r.resolved_at,
    )


class EscalationController(Controller):
    path = "/"
    tags = ["escalations"]

    @post(
        "/escalations",
        operation_id="escalateTicket",
        guards=[requires(Role.AGENT)],
        status_code=201,
        responses={
            200: ResponseSpec(
                EscalationOut,
                description=(
                    "Nothing new was created: outcome `existing` (the same work order, context "
                    "appended) or `resolve_remotely` (nothing booked)"
                ),
                generate_examples=False,
            )
        },
    )
    @idempotent
    async def escalate(
        self, now: Now, data: JSONBody[EscalationIn], principal: CurrentPrincipal, db_session: DbSession
    ) -> Response[EscalationOut]:
        """Turn a helpdesk ticket into a field visit (201), with the ticket's support context,
        the customer's tier and the SLA. The same helpdesk + ticket id again returns the same
        work order (200, outcome `existing`) and appends any new context. A remote-fixable
        category answers `resolve_remotely` (200) with the knowledge-base hint and books
        nothing, unless `insist_on_visit` is true."""
        result = await escalation.escalate_ticket(db_session, to_escalation(data), actor=principal, now=now)
        status, body = escalation_body(result, now)
        return Response(body, status_code=status)

    @get("/work-orders/{work_order_id:uuid}", operation_id="getWorkOrder", guards=[signed_in])
    async def get_work_order(
        self, now: Now, work_order_id: WorkOrderId, principal: CurrentPrincipal, db_session: DbSession
    ) -> WorkOrderOut:
        """A work order with its full event history (who, when, from, to, why), support
        context, appointment, ETA and SLA risk. Customers see only their own (404 otherwise)."""
        order = await reads.visible_order(db_session, principal, work_order_id)
        appointment = await live_appointment(db_session, order.id)
        eta = await estimate(db_session, order, appointment, now=now)
        events = await reads.events_of(db_session, order.id)
        return work_order_out(
            order, sla_risk=eta.sla_risk.value, appointment=appointment, eta=eta, events=events
        )

    @get("/work-orders", operation_id="listWorkOrders", guards=[signed_in])
    async def list_work_orders(
        self,
        now: Now,
        principal: CurrentPrincipal,
        db_session: DbSession,
        status: Annotated[list[str] | None, QueryParameter(max_items=11)] = None,
        priority: Annotated[int | None, QueryParameter(ge=1, le=4)] = None,
        customer_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        source: Annotated[
            Literal["escalation", "booking", "device_alert", "api"] | None, QueryParameter()
        ] = None,
        sla_due_before: Annotated[datetime | None, QueryParameter()] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> WorkOrderPage:
        """Newest first, cursor-paginated (`next_cursor`). Customers get only their own."""
        filters = reads.OrderFilter(
            status=tuple(status or ()),
            priority=priority,
            customer_id=customer_id,
            source=source,
            sla_due_before=sla_due_before,
        )
        rows, next_cursor = await reads.list_work_orders(
            db_session, principal, filters, cursor=cursor, limit=limit
        )
        items = []
        for o in rows:
            appointment = await live_appointment(db_session, o.id)
            items.append(
                work_order_out(o, sla_risk=quick_risk(o, appointment, now).value, appointment=appointment)
            )
        return WorkOrderPage(items=items, next_cursor=next_cursor)

    @post(
        "/work-orders/{work_order_id:uuid}/expedite",
        operation_id="expediteWorkOrder",
        guards=[requires(Role.AGENT, Role.DISPATCHER, Role.ADMIN)],
        status_code=200,
    )
    async def expedite(
        self,
        now: Now,
        work_order_id: WorkOrderId,
        data: JSONBody[ExpediteIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
    ) -> WorkOrderOut:
        """Raise to P1 (emergency) with a reason. Dispatchers, admins, and agents with expedite
        authority; audited as an `expedited` event; dispatch runs at once."""
        order = await expedite.expedite_work_order(
            db_session, principal, work_order_id, reason=data.reason, now=now
        )
        appointment = await live_appointment(db_session, order.id)
        return work_order_out(
            order, sla_risk=quick_risk(order, appointment, now).value, appointment=appointment
        )

    @get("/callback-requests", operation_id="listCallbackRequests", guards=[STAFF_GUARD])
    async def list_callback_requests(
        self,
        db_session: DbSession,
        status: Annotated[Literal["open", "resolved"] | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
    ) -> list[CallbackOut]:
        """Customers asking to talk to a human, newest first, with the work order context."""
        rows = await list_callbacks(db_session, status=status, limit=limit)
        return [callback_out(r) for r in rows]

    @post(
        "/callback-requests/{callback_id:uuid}/resolve",
        operation_id="resolveCallbackRequest",
        guards=[STAFF_GUARD],
        status_code=200,
    )
    async def resolve_callback_request(
        self,
        now: Now,
        callback_id: Annotated[uuid.UUID, PathParameter()],
        data: JSONBody[ResolveCallbackIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
    ) -> CallbackOut:
        """Close a customer's callback request with what was agreed on the call (audited on
        the work order). Retrying is harmless."""
        row = await resolve_callback(db_session, principal, callback_id, outcome=data.outcome, now=now)
        return callback_out(row)
