"""The /console router: cookie sessions, HTML error pages and the template engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.response import Redirect, Template

from api.console.pages import ConsolePages
from api.console.session import ConsoleForbidden, SignInRequired, console_session_middleware
from marketplace.errors import Forbidden, NotFound

TEMPLATES = Path(__file__).parent / "templates"


def _to_sign_in(_request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    return Redirect(path="/console/sign-in", status_code=303)


def _error_page(status: int, title: str) -> Any:
    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return Template(
            template_name="error.html",
            context={"principal": None, "title": title, "message": str(exc), "path": request.url.path},
            status_code=status,
        )

    return handler


def build_console_router() -> Router:
    return Router(
        path="/console",
        route_handlers=[ConsolePages],
        middleware=[console_session_middleware],
        exception_handlers={
            SignInRequired: _to_sign_in,
            ConsoleForbidden: _error_page(403, "Not allowed here"),
            Forbidden: _error_page(403, "Not allowed here"),
            NotFound: _error_page(404, "Not found"),
        },
        include_in_schema=False,
    )
