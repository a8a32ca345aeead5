"""Addresses -> coordinates through geopy, behind a small replaceable interface.

The geocoder is configurable without code: `FIELDHAND_GEOCODER_PROVIDER` (any geopy
geocoder name, default ``nominatim``), `FIELDHAND_GEOCODER_DOMAIN`,
`FIELDHAND_GEOCODER_SCHEME`, `FIELDHAND_GEOCODER_USER_AGENT`, `FIELDHAND_GEOCODER_TIMEOUT_S`
(e.g. a self-hosted Nominatim on ``http://nominatim.internal:8080``). Tests point geopy's
Nominatim client at a local fixture server with `configure(GeopyGeocoder(...))`.

geopy's default adapter is synchronous, so lookups run in a worker thread; results are
cached per process (addresses repeat: the same office escalates many tickets).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from geopy.exc import GeopyError
from geopy.geocoders import get_geocoder_for_service
from pydantic_settings import BaseSettings, SettingsConfigDict

from marketplace.errors import InvalidInput, ServiceUnavailable


class GeocoderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIELDHAND_GEOCODER_", extra="ignore")

    provider: str = "nominatim"
    domain: str = "nominatim.openstreetmap.org"
    scheme: str = "https"
    user_agent: str = "fieldhand-dispatch"
    timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lng: float
    display_name: str


class Geocoder(Protocol):
    async def geocode(self, address: str) -> Place: ...


class GeopyGeocoder:
    """Any geopy geocoder (by service name) with a bounded LRU cache."""

    def __init__(
        self,
        provider: str = "nominatim",
        *,
        domain: str | None = None,
        scheme: str | None = None,
        user_agent: str = "fieldhand-dispatch",
        timeout_s: float = 5.0,
        cache_size: int = 1024,
        **options: Any,
    ) -> None:
        cls = get_geocoder_for_service(provider)
        kwargs: dict[str, Any] = {"user_agent": user_agent, "timeout": timeout_s, **options}
        if domain:
            kwargs["domain"] = domain
        if scheme:
            kwargs["scheme"] = scheme
        self._client = cls(**kwargs)
        self._cache: OrderedDict[str, Place] = OrderedDict()
        self._cache_size = cache_size

    async def geocode(self, address: str) -> Place:
        key = " ".join(address.lower().split())
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        try:
            found = await asyncio.to_thread(self._client.geocode, address, exactly_one=True)
        except GeopyError as exc:
            raise ServiceUnavailable("The geocoding service did not answer; send lat/lng instead") from exc
        if found is None:
            raise InvalidInput("The address could not be located; check it or send lat/lng", address=address)
        place = Place(lat=float(found.latitude), lng=float(found.longitude), display_name=str(found.address))
        self._cache[key] = place
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return place


_configured: Geocoder | None = None


def configure(geocoder: Geocoder | None) -> None:
    """Install a geocoder for this process (None: rebuild from the environment on next use)."""
    global _configured
    _configured = geocoder


def current() -> Geocoder:
    global _configured
    if _configured is None:
        s = GeocoderSettings()
        _configured = GeopyGeocoder(
            s.provider, domain=s.domain, scheme=s.scheme, user_agent=s.user_agent, timeout_s=s.timeout_s
        )
    return _configured
