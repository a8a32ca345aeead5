"""One request can be followed into the task it queued: the task's logs carry the request's id
and, with tracing on, its span continues the request's trace."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from marketplace.logs import request_id_var
from marketplace.outbox import OutboxTask
from marketplace.settings import Settings
from marketplace.users.models import Role
from tests.factories import Factory


class _RequestIds(logging.Handler):
    """Remembers the request id in force when each task log line was written."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), request_id_var.get()))


def _collect_spans() -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_a_request_and_the_task_it_queued_share_one_trace_and_one_request_id(
    settings: Settings, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    spans = _collect_spans()
    handler = _RequestIds()
    runner_log = logging.getLogger("workers.runner")
    runner_log.addHandler(handler)
    previous_level = runner_log.level
    runner_log.setLevel(logging.INFO)
    try:
        app = create_app(settings.model_copy(update={"tracing": "console"}))
        async with AsyncTestClient(app) as client:
            admin = await factory.login(Role.ADMIN)
            response = await client.post(
                "/skills",
                json={"code": "hvac.repair", "name": "HVAC repair"},
                headers={**admin.headers, "X-Request-ID": "trace-me-1"},
            )
            assert response.status_code == 201
            await app.state.queue.drain()
    finally:
        runner_log.removeHandler(handler)
        runner_log.setLevel(previous_level)

    async with session_factory() as session:
        rows = list((await session.execute(sa.select(OutboxTask))).scalars())
    assert [r.request_id for r in rows] == ["trace-me-1"]
    assert rows[0].trace_context is not None
    assert ("task done", "trace-me-1") in handler.seen

    finished = spans.get_finished_spans()
    server = [s for s in finished if s.kind == trace.SpanKind.SERVER and "/skills" in s.name]
    task = [s for s in finished if s.name == f"task {rows[0].name}"]
    assert len(server) == 1 and len(task) == 1, [s.name for s in finished]
    assert task[0].context.trace_id == server[0].context.trace_id
    assert task[0].parent is not None
    assert task[0].attributes["fieldhand.attempt"] == 1
    assert request_id_var.get() is None  # the worker put the caller's (empty) id back
