"""Dispatcher console: run dispatch for a region now, read plans and SLA alerts."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from api.deps import AppSettings, CurrentPrincipal, DbSession, Now
from api.dispatcher.schemas import (
    PlanStopOut,
    RegionPlanOut,
    ReleaseIn,
    ReleaseOut,
    RunDecisionOut,
    RunSummaryOut,
    SlaAlertList,
    SlaAlertOut,
    TechnicianPlanOut,
)
from marketplace.assignment import batch, console
from marketplace.assignment.config import load_config
from marketplace.assignment.horizon import region_horizon_end
from marketplace.assignment.replan import release_assignment
from marketplace.auth import requires
from marketplace.errors import NotFound
from marketplace.users.models import Role
from marketplace.work_orders.state import lock_work_order

DISPATCHER = requires(Role.DISPATCHER, Role.ADMIN)
STAFF = requires(Role.DISPATCHER, Role.AGENT, Role.ADMIN)
Region = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class DispatcherController(Controller):
    path = "/dispatch"
    tags = ["dispatch console"]

    @post("/regions/{region:str}/runs", operation_id="runDispatch", guards=[DISPATCHER], status_code=200)
    async def run_dispatch(
        self,
        now: Now,
        region: Region,
        db_session: DbSession,
        principal: CurrentPrincipal,
        settings: AppSettings,
    ) -> RunSummaryOut:
        """Run batch dispatch for one region now (open scheduled orders -> offers or, for
        auto-accept technicians, assignments; accepted visits keep their technician and get
        fresh ETAs). Returns the run summary. A run already in progress for the region
        makes this one a no-op with `skipped` set."""
        summary = await batch.run_region(
            db_session,
            region,
            settings=settings,
            config=load_config(),
            trigger=f"on_demand:{principal.key}",
            now=now,
        )
        data = summary.as_dict()
        decisions = [
            RunDecisionOut(
                work_order_id=d["work_order_id"],
                decision=d["decision"],
                technician_id=d.get("technician_id"),
                offer_id=d.get("offer_id"),
                why=d.get("why"),
            )
            for d in data.pop("decisions")
        ]
        return RunSummaryOut(**data, decisions=decisions)

    @get("/regions/{region:str}/plan", operation_id="getDispatchPlan", guards=[STAFF])
    async def get_plan(
        self, now: Now, region: Region, db_session: DbSession, settings: AppSettings
    ) -> RegionPlanOut:
        """Each active technician of the region with the visits on their plan, in order, up to
        the end of tomorrow in the region's time zone (the dispatch horizon)."""
        horizon_end = region_horizon_end(now, region, config=load_config(), settings=settings)
        plans = await console.technician_plans(db_session, region, now=now, horizon_end=horizon_end)
        return RegionPlanOut(
            region=region,
            technicians=[
                TechnicianPlanOut(
                    technician_id=str(p.technician.id),
                    display_name=p.technician.display_name,
                    auto_accept=p.technician.auto_accept,
                    last_located_at=p.technician.last_located_at,
                    stops=[
                        PlanStopOut(
                            work_order_id=str(s.order.id),
                            status=s.order.status,
                            priority=s.order.priority,
                            summary=s.order.summary,
                            window_start=s.appointment.window_start,
                            window_end=s.appointment.window_end,
                            planned_arrival=s.appointment.planned_arrival,
                            eta=s.appointment.eta,
                            sla_due_at=s.order.sla_due_at,
                        )
                        for s in p.stops
                    ],
                )
                for p in plans
            ],
        )

    @get("/sla-alerts", operation_id="listSlaAlerts", guards=[STAFF])
    async def list_alerts(
        self,
        db_session: DbSession,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        kind: Annotated[
            Literal["sla.at_risk", "sla.breached", "dispatch.escalated", "work_order.offers_exhausted"]
            | None,
            QueryParameter(),
        ] = None,
    ) -> SlaAlertList:
        """SLA alerts (at risk, breached) and escalations from dispatch, newest first."""
        rows = await console.sla_alerts(db_session, limit=limit, kind=kind)
        return SlaAlertList(
            items=[
                SlaAlertOut(
                    id=str(n.id),
                    kind=n.kind,
                    subject=n.subject,
                    work_order_id=str(n.work_order_id) if n.work_order_id else None,
                    data=n.data,
                    created_at=n.created_at,
                )
                for n in rows
            ]
        )

    @post(
        "/work-orders/{work_order_id:uuid}/release",
        operation_id="releaseAssignment",
        guards=[DISPATCHER],
        status_code=200,
    )
    async def release(
        self, now: Now, work_order_id: FromPath[uuid.UUID], data: JSONBody[ReleaseIn], db_session: DbSession
    ) -> ReleaseOut:
        """Take an accepted, not yet started visit back from its technician (e.g. they
        called to say they cannot make it): the order goes back to dispatch and the next
        batch run for its region is queued."""
        try:
            order = await lock_work_order(db_session, work_order_id)
        except NotFound:
            raise
        released = await release_assignment(db_session, order, reason=data.reason, now=now)
        return ReleaseOut(work_order_id=str(order.id), released=released, status=order.status)
