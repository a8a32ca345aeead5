"""ASGI middleware: every routed HTTP request's latency, by operation, method and status."""

from __future__ import annotations

import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from marketplace.metrics import REQUEST_LATENCY


def operation_of(scope: Scope) -> str:
    """The route's operationId (bounded label values), else its path template."""
    handler: Any = scope.get("route_handler")
    operation = getattr(handler, "operation_id", None)
    if isinstance(operation, str):
        return operation
    return str(scope.get("path_template") or "unmatched")


def request_metrics_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes every handler

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await app(scope, receive, send_with_status)
        finally:
            REQUEST_LATENCY.labels(operation_of(scope), str(scope.get("method", "-")), str(status)).observe(
                time.perf_counter() - started
            )

    return middleware
