"""Every error leaves as RFC 9457 `application/problem+json` with a stable `type`."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from marketplace.errors import PROBLEM_BASE, DomainError
from marketplace.logs import request_id_var

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 5
"""Seconds a client should wait before retrying when a dependency is unavailable."""

_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflicts with the current state"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


def problem(
    request: Request[Any, Any, Any], status: int, slug: str, title: str, detail: str, **extra: Any
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    return problem(request, exc.status, exc.slug, exc.title, exc.detail, **exc.extra)


def validation_error_handler(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    return problem(
        request,
        422,
        "validation-failed",
        "The request did not pass validation",
        str(exc.detail),
        errors=[
            {"field": e.get("key"), "source": e.get("source"), "message": e.get("message")}
            for e in errors
            if isinstance(e, dict)
        ],
    )


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    slug, title = _HTTP_SLUGS.get(status, ("http-error", "HTTP error"))
    if isinstance(exc, NotAuthorizedException):
        slug, title = _HTTP_SLUGS[401]
    elif isinstance(exc, PermissionDeniedException):
        slug, title = _HTTP_SLUGS[403]
    elif isinstance(exc, NotFoundException):
        slug, title = _HTTP_SLUGS[404]
    response = problem(request, status, slug, title, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def integrity_error_handler(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[dict[str, Any]]:
    """A constraint the database enforced that a service did not translate: still a 409, not a 500."""
    log.warning("unmapped integrity error", extra={"error": str(exc.orig)[:500]})
    return problem(
        request, 409, "conflict", "Conflicts with the current state", "A conflicting change was made"
    )


def data_error_handler(request: Request[Any, Any, Any], exc: DataError) -> Response[dict[str, Any]]:
    """The database refused a value (NUL byte in text, number out of range): the input is bad."""
    log.info("database refused a value", extra={"error": str(exc.orig)[:300]})
    return problem(request, 422, "invalid-input", "The request is not valid", "A value is not acceptable")


def unavailable(request: Request[Any, Any, Any], detail: str) -> Response[dict[str, Any]]:
    response = problem(request, 503, "service-unavailable", "A dependency is unavailable", detail)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def database_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if sqlstate.startswith("22"):  # class 22, data exception: the value, not the database
        log.info("database refused a value", extra={"error": str(exc.orig)[:300], "sqlstate": sqlstate})
        return problem(request, 422, "invalid-input", "The request is not valid", "A value is not acceptable")
    if exc.connection_invalidated:
        log.warning("database connection lost", extra={"error": str(exc.orig)[:300]})
    else:
        log.exception("database error")
    return unavailable(request, "The database failed")


def connection_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """No connection to a dependency (refused, timed out, pool exhausted, server not ready)."""
    log.warning("dependency unreachable", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
    return unavailable(request, "The database cannot be reached; try again shortly")


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error")
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal-error",
        "Internal error",
        "Something went wrong on our side",
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    IntegrityError: integrity_error_handler,
    DataError: data_error_handler,
    DBAPIError: database_error_handler,
    # Failures to connect are not DBAPIErrors: the driver's own errors and OSError escape
    # SQLAlchemy's wrapping when the connection is being made, and a full pool times out.
    OSError: connection_error_handler,
    PoolTimeout: connection_error_handler,
    asyncpg.PostgresConnectionError: connection_error_handler,
    asyncpg.InterfaceError: connection_error_handler,
    asyncpg.exceptions.CannotConnectNowError: connection_error_handler,
    asyncpg.exceptions.TooManyConnectionsError: connection_error_handler,
    Exception: internal_error_handler,
}
