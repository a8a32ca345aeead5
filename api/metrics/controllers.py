"""`GET /metrics`: Prometheus text exposition, for admins (a scraper signs in as one).

The request and task series come from `marketplace.metrics` (merged across processes in
multiprocess mode); the outbox depth and lag are read from the database at scrape time,
so every process answers the same.
"""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Response, get
from litestar.datastructures import State
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import Now
from marketplace.auth import requires
from marketplace.metrics import exposition
from marketplace.outbox import backlog
from marketplace.users.models import Role


async def outbox_lines(state: State, now: datetime) -> list[str]:
    async with state.session_factory() as session:
        by_status = await backlog(session)
    lines = [
        "# HELP fieldhand_outbox_depth Outbox tasks not yet done, by status",
        "# TYPE fieldhand_outbox_depth gauge",
    ]
    lines += [
        f'fieldhand_outbox_depth{{status="{s}"}} {by_status.get(s, (0, None))[0]}'
        for s in ("pending", "pushed")
    ]
    oldest = [o for _, o in by_status.values() if o is not None]
    lag = max((now - min(oldest)).total_seconds(), 0.0) if oldest else 0.0
    lines += [
        "# HELP fieldhand_outbox_lag_seconds Age of the oldest outbox task not yet done",
        "# TYPE fieldhand_outbox_lag_seconds gauge",
        f"fieldhand_outbox_lag_seconds {lag:.3f}",
    ]
    return lines


class MetricsController(Controller):
    @get("/metrics", guards=[requires(Role.ADMIN)], include_in_schema=False)
    async def metrics(self, state: State, now: Now) -> Response[bytes]:
        body = exposition() + ("\n".join(await outbox_lines(state, now)) + "\n").encode()
        return Response(body, media_type=CONTENT_TYPE_LATEST)
