"""Distributed tracing (OpenTelemetry), off unless `FIELDHAND_TRACING` says otherwise.

`console` prints finished spans to stderr; `otlp` sends them over OTLP/HTTP to the endpoint
in the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (default `http://localhost:4318`). The API
traces every request; an outbox row keeps the W3C `traceparent` of the request that queued
it, and the worker runs the task in a span whose parent is that request, so one trace
follows a booking from the HTTP call into the task it caused, on whichever process.

With tracing off the API calls below are OpenTelemetry's no-ops: nothing is recorded.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

TRACING_MODES = ("off", "console", "otlp")
_tracer = trace.get_tracer("fieldhand")


def _exporter(mode: str) -> SpanExporter:
    if mode == "console":
        return ConsoleSpanExporter(out=sys.stderr)
    # the OTLP exporter pulls in protobuf and requests: loaded only when tracing sends OTLP
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

    return OTLPSpanExporter()


def configure_tracing(mode: str, service: str) -> bool:
    """Install a tracer provider for this process; False when tracing is off.

    A provider already installed (by the host, or by a test that collects spans) is kept.
    """
    if mode not in TRACING_MODES:
        raise ValueError(f"tracing must be one of {TRACING_MODES}, not {mode!r}")
    if mode == "off":
        return False
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return True
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(_exporter(mode)))
    trace.set_tracer_provider(provider)
    return True


def current_trace_context() -> str | None:
    """The W3C traceparent of the span in progress, if one is being recorded."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def task_span(name: str, *, task_id: str, attempt: int, trace_context: str | None) -> Iterator[None]:
    """Run a task inside a span that continues the trace of the request that queued it."""
    parent = propagate.extract({"traceparent": trace_context}) if trace_context else context.Context()
    attributes: dict[str, str | int] = {
        "fieldhand.task": name,
        "fieldhand.task_id": task_id,
        "fieldhand.attempt": attempt,
    }
    with _tracer.start_as_current_span(
        f"task {name}", context=parent, kind=trace.SpanKind.CONSUMER, attributes=attributes
    ):
        yield
