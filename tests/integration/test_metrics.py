"""`/metrics`: Prometheus exposition for admins, with request and task series after a journey."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.users.models import Role
from tests.factories import Factory
from tests.integration.booking.helpers import add_technician, escalate, seed_catalog


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples(text).items() if n == name and set(labels.items()) <= ls)


async def test_metrics_are_for_admins_only(client: AsyncTestClient, factory: Factory) -> None:
    assert (await client.get("/metrics")).status_code == 401
    agent = await factory.login(Role.AGENT)
    assert (await client.get("/metrics", headers=agent.headers)).status_code == 403
    admin = await factory.login(Role.ADMIN)
    r = await client.get("/metrics", headers=admin.headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")


async def test_a_journey_shows_request_and_task_series(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_catalog(session_factory)
    now = datetime.now(UTC)
    await add_technician(session_factory, shifts=[(now - timedelta(hours=1), now + timedelta(hours=10))])
    admin = await factory.login(Role.ADMIN)
    before = (await client.get("/metrics", headers=admin.headers)).text
    agent = await factory.login(Role.AGENT)
    r = await escalate(client, agent, "MET-1", "cust-met-1", priority=1)  # urgent: a dispatch task
    assert r.status_code == 201, r.text
    missing = await client.get("/work-orders/00000000-0000-0000-0000-000000000000", headers=agent.headers)
    assert missing.status_code == 404

    text = ""
    for _ in range(100):  # the escalation's tasks run on the in-process queue
        text = (await client.get("/metrics", headers=admin.headers)).text
        if value(text, "fieldhand_task_duration_seconds_count", task="dispatch.instant") > value(
            before, "fieldhand_task_duration_seconds_count", task="dispatch.instant"
        ):
            break
        await asyncio.sleep(0.05)

    created = {"operation": "escalateTicket", "method": "POST", "status": "201"}
    assert value(text, "fieldhand_http_request_duration_seconds_count", **created) == 1 + value(
        before, "fieldhand_http_request_duration_seconds_count", **created
    )
    assert value(text, "fieldhand_http_request_duration_seconds_count", status="404") >= 1
    # labels are operations (bounded), never raw paths with ids in them
    assert "00000000-0000" not in text
    done = {"task": "dispatch.instant", "outcome": "done"}
    assert value(text, "fieldhand_task_duration_seconds_count", **done) > value(
        before, "fieldhand_task_duration_seconds_count", **done
    )
    assert re.search(r'^fieldhand_outbox_depth\{status="pending"\} \d+', text, re.M)
    assert re.search(r"^fieldhand_outbox_lag_seconds \d", text, re.M)
