from __future__ import annotations

import msgspec
import sqlalchemy as sa
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec


class Health(msgspec.Struct):
    status: str
    checks: dict[str, str] = {}


class SystemController(Controller):
    tags = ["system"]

    @get("/healthz", operation_id="getLiveness", security=[])
    async def liveness(self) -> Health:
        """The process is up."""
        return Health(status="ok")

    @get(
        "/readyz",
        operation_id="getReadiness",
        security=[],
        responses={503: ResponseSpec(Health, description="Not ready: see `checks`", generate_examples=False)},
    )
    async def readiness(self, state: State) -> Response[Health]:
        """The database (and Redis, when configured) answer."""
        checks: dict[str, str] = {}
        try:
            async with state.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        redis = getattr(state, "redis", None)
        if redis is not None:
            try:
                await redis.ping()
                checks["redis"] = "ok"
            except Exception as exc:
                checks["redis"] = f"error: {type(exc).__name__}"
        else:
            checks["queue"] = "in-process"
        ok = all(v == "ok" or v == "in-process" for v in checks.values())
        return Response(
            Health(status="ok" if ok else "unavailable", checks=checks), status_code=200 if ok else 503
        )
