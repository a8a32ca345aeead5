"""Application factory: one Litestar app serving the agent/customer API and /mobile/v1."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

from api.console.router import TEMPLATES as CONSOLE_TEMPLATES
from api.console.router import build_console_router
from api.customer_app.router import TEMPLATES as CUSTOMER_APP_TEMPLATES
from api.customer_app.router import build_customer_router
from api.deps import (
    provide_db_session,
    provide_now,
    provide_principal,
    provide_session_factory,
    provide_settings,
)
from api.metrics.controllers import MetricsController
from api.metrics.middleware import request_metrics_middleware
from api.middleware import bearer_auth_middleware, request_id_middleware
from api.nul_guard import reject_nul_characters
from api.openapi_problems import document_problems
from api.problems import EXCEPTION_HANDLERS
from api.routes import CONTROLLERS
from api.tech_app.router import TEMPLATES as TECH_APP_TEMPLATES
from api.tech_app.router import build_tech_router
from api.web.live import LiveHub
from api.web.templates import template_config
from marketplace.db import make_engine, make_session_factory
from marketplace.metrics import mark_process_dead
from marketplace.sessions import suspended_technicians_read_history_only
from marketplace.settings import Settings
from marketplace.tracing import configure_tracing
from mobile_api.router import build_mobile_router
from workers.context import TaskContext
from workers.crons import InProcessScheduler
from workers.queue import ArqQueue, InProcessQueue

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        app.state.settings = settings
        app.state.engine = engine
        app.state.session_factory = factory
        app.state.redis = None
        scheduler: InProcessScheduler | None = None
        in_process: InProcessQueue | None = None
        hub = LiveHub(fallback_s=settings.live_fallback_s)
        app.state.live_hub = hub
        if settings.redis_url:
            redis = await create_pool(RedisSettings.from_dsn(settings.redis_url))
            app.state.redis = redis
            app.state.queue = ArqQueue(redis, settings.queue_name)
            app.state.live = hub.bus_for(redis)
        else:
            in_process = InProcessQueue()
            app.state.live = hub.bus_for(None)
            ctx = TaskContext(
                settings=settings,
                engine=engine,
                session_factory=factory,
                queue=in_process,
                live=app.state.live,
            )
            in_process.bind(ctx)
            app.state.queue = in_process
            if settings.run_periodic_jobs:
                scheduler = InProcessScheduler(ctx)
                scheduler.start()
        try:
            yield
        finally:
            await hub.close()
            if scheduler is not None:
                await scheduler.stop()
            if in_process is not None:
                await in_process.close()
            if app.state.redis is not None:
                await app.state.redis.aclose()
            await engine.dispose()
            mark_process_dead(os.getpid())

    app = Litestar(
        route_handlers=[
            *CONTROLLERS,
            MetricsController,
            build_mobile_router(),
            build_console_router(),
            build_customer_router(),
            build_tech_router(),
        ],
        template_config=template_config(CONSOLE_TEMPLATES, CUSTOMER_APP_TEMPLATES, TECH_APP_TEMPLATES),
        lifespan=[lifespan],
        dependencies={
            "db_session": Provide(provide_db_session),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "session_factory": Provide(provide_session_factory, sync_to_thread=False),
            "now": Provide(provide_now, sync_to_thread=False),
        },
        middleware=[request_id_middleware, request_metrics_middleware, bearer_auth_middleware],
        guards=[suspended_technicians_read_history_only],
        exception_handlers=EXCEPTION_HANDLERS,
        cors_config=CORSConfig(
            allow_origins=["*"], allow_headers=["Authorization", "Idempotency-Key", "Content-Type"]
        ),
        openapi_config=OpenAPIConfig(
            title="Fieldhand",
            version="0.1.0",
            description=(
                "Field-service dispatch marketplace. Agents escalate tickets, customers book visits, "
                "freelance technicians work them (mobile API under /mobile/v1). Errors are RFC 9457 "
                "problem details; creating POSTs accept an Idempotency-Key header."
            ),
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                    "DeviceCredential": SecurityScheme(
                        type="apiKey",
                        name="Authorization",
                        security_scheme_in="header",
                        description="Device <device id>.<secret> (telemetry intake only)",
                    ),
                }
            ),
            security=[{"BearerToken": []}],
        ),
        request_max_body_size=1_000_000,
        before_request=reject_nul_characters,
        plugins=tracing_plugins(settings),
        debug=False,
    )
    document_problems(app)
    return app


def tracing_plugins(settings: Settings) -> list[OpenTelemetryPlugin]:
    """A span per request when tracing is on (marketplace/tracing.py)."""
    if not configure_tracing(settings.tracing, "fieldhand-api"):
        return []
    return [OpenTelemetryPlugin(OpenTelemetryConfig(exclude=["/metrics", "/healthz"]))]


def create_app_from_env() -> Litestar:
    """The app from the environment's settings: the factory each `fieldhand run --workers N` process calls."""
    return create_app(Settings())


def _default_app() -> Any:  # for `litestar --app api.app:_default_app` style runners
    return create_app()
