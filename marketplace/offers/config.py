"""How long an offer stays open: the one offer-lifetime setting (`FIELDHAND_DISPATCH_*_OFFER_TTL_S`)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class OfferLifetimes(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIELDHAND_DISPATCH_", extra="ignore")

    instant_offer_ttl_s: int = 120  # the instant cascade: one technician at a time
    batch_offer_ttl_s: int = 15 * 60  # planned rounds and rounds ranked by the offers service


def default_offer_ttl_s() -> int:
    """The lifetime of an offer made in a ranked round when the caller names none."""
    return OfferLifetimes().batch_offer_ttl_s
