"""The /console router: cookie sessions, HTML error pages and the template engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.response import Redirect, Template

from api.console.admin import AdminPages
from api.console.callbacks import CallbackPages
from api.console.fairness import FairnessPages
from api.console.pages import ConsolePages
from api.console.session import ConsoleForbidden, SignInRequired, console_session_middleware
from api.console.work_orders import WorkOrderPages
from marketplace.errors import DomainError, Forbidden, NotFound

TEMPLATES = Path(__file__).parent / "templates"


def _to_sign_in(_request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    return Redirect(path="/console/sign-in", status_code=303)


def _error_page(status: int, title: str) -> Any:
    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return _error(request, status, title, str(exc))

    return handler


def _domain_error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A refused action (wrong state, bad input, conflict): its status, title and detail as
    a page, with the way back to the work order it was about."""
    assert isinstance(exc, DomainError)
    return _error(request, exc.status, exc.title, exc.detail)


def _error(request: Request[Any, Any, Any], status: int, title: str, message: str) -> Response[Any]:
    parts = request.url.path.split("/")
    back = "/".join(parts[:4]) if len(parts) > 4 and parts[2] == "work-orders" else None
    return Template(
        template_name="error.html",
        context={
            "principal": None,
            "title": title,
            "message": message,
            "path": request.url.path,
            "back": back,
        },
        status_code=status,
    )


def build_console_router() -> Router:
    return Router(
        path="/console",
        route_handlers=[ConsolePages, WorkOrderPages, CallbackPages, AdminPages, FairnessPages],
        middleware=[console_session_middleware],
        exception_handlers={
            SignInRequired: _to_sign_in,
            ConsoleForbidden: _error_page(403, "Not allowed here"),
            Forbidden: _error_page(403, "Not allowed here"),
            NotFound: _error_page(404, "Not found"),
            DomainError: _domain_error_page,
        },
        include_in_schema=False,
    )
