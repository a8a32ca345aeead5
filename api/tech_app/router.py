"""The /tech router: the technician's cookie session and HTML error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.response import Redirect

from api.tech_app.common import page, provide_action, provide_screen, translator
from api.tech_app.pages.account import AccountPages
from api.tech_app.pages.assets import AssetPages
from api.tech_app.pages.money import MoneyPages
from api.tech_app.pages.offers import OfferPages
from api.tech_app.pages.shifts import ShiftPages
from api.tech_app.pages.today import TodayPages
from api.tech_app.session import SignInRequired, TechForbidden, tech_session_middleware
from marketplace.errors import DomainError

TEMPLATES = Path(__file__).parent / "templates"


def _to_sign_in(_request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    return Redirect(path="/tech/sign-in", status_code=303)


def _forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    t = translator(request)
    settings = request.app.state.settings
    return page(
        request, settings, "error.html", status=403, title=t("tech.error.forbidden"), message=t(str(exc))
    )


def _domain_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, DomainError)
    t = translator(request)
    title = {403: "tech.error.forbidden", 404: "tech.error.not_found", 409: "tech.error.conflict"}.get(
        exc.status, "tech.error.failed"
    )
    return page(
        request, request.app.state.settings, "error.html", status=exc.status, title=t(title), message=str(exc)
    )


def build_tech_router() -> Router:
    return Router(
        path="/tech",
        route_handlers=[AccountPages, OfferPages, TodayPages, ShiftPages, MoneyPages, AssetPages],
        middleware=[tech_session_middleware],
        dependencies={"screen": Provide(provide_screen), "action": Provide(provide_action)},
        exception_handlers={
            SignInRequired: _to_sign_in,
            TechForbidden: _forbidden,
            DomainError: _domain_error,
        },
        include_in_schema=False,
    )
