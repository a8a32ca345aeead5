"""The /app router: the customer's cookie session and friendly error pages."""

from __future__ import annotations

from pathlib import Path

from litestar import Router

from api.customer_app.ask import AskPages
from api.customer_app.pages import CustomerPages, error_page
from api.customer_app.pay import CardPages
from api.customer_app.session import LinkRequired, PageForbidden, app_session_middleware
from api.customer_app.track import TrackPages
from marketplace.access.errors import AccessLinkGone, AccessLinkInvalid
from marketplace.errors import DomainError, Forbidden, NotFound

TEMPLATES = Path(__file__).parent / "templates"


def build_customer_router() -> Router:
    return Router(
        path="/app",
        route_handlers=[CustomerPages, CardPages, TrackPages, AskPages],
        middleware=[app_session_middleware],
        exception_handlers={
            LinkRequired: error_page(401, "error.link_needed"),
            AccessLinkInvalid: error_page(401, "error.link_broken"),
            AccessLinkGone: error_page(410, "error.link_gone"),
            PageForbidden: error_page(403, "error.forbidden"),
            Forbidden: error_page(403, "error.forbidden"),
            NotFound: error_page(404, "error.not_found"),
            DomainError: error_page(400, "error.failed"),
        },
        include_in_schema=False,
    )
