"""The dispatcher's fairness page: how work was shared out in a region over the last days
(from the ledger) and what the fairness weight would have cost in travel over them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template

from api.console.pages import DISPATCH, page
from api.deps import AppSettings, DbSession, Now
from marketplace.assignment import board
from marketplace.fairness.replay import replay_region
from marketplace.fairness.service import region_fairness
from marketplace.fairness.weights import FairnessConfig
from marketplace.technicians.service import display_names


class FairnessPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/fairness", guards=[DISPATCH])
    async def fairness_page(
        self,
        request: Request[Any, Any, Any],
        now: Now,
        db_session: DbSession,
        settings: AppSettings,
        region: str | None = None,
        days: Annotated[int, Parameter(ge=1, le=90)] = 7,
    ) -> Template:
        region = region or settings.console_region
        start = now - timedelta(days=days)
        metrics = await region_fairness(db_session, region, start=start, end=now)
        knob = await replay_region(db_session, region, start=start, end=now)
        ids = [uuid.UUID(t.technician_id) for t in metrics.technicians]
        names = await display_names(db_session, ids)
        baseline = knob[0].travel_km if knob else 0.0
        return page(
            request,
            settings,
            "fairness.html",
            region=region,
            regions=await board.regions(db_session) or [region],
            days=days,
            metrics=metrics,
            technicians=sorted(metrics.technicians, key=lambda t: -t.earnings_minor),
            names=names,
            knob=knob,
            baseline_km=baseline,
            weight_now=FairnessConfig().fairness_per_pct,
        )
