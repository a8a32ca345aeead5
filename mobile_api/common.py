"""Wire types and parameters shared by the mobile controllers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.enums import RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, QueryParameter

from marketplace.errors import InvalidInput

Lat = Annotated[float, msgspec.Meta(ge=-90, le=90, description="Latitude, WGS-84 degrees")]
Lng = Annotated[float, msgspec.Meta(ge=-180, le=180, description="Longitude, WGS-84 degrees")]
MinorUnits = Annotated[int, msgspec.Meta(ge=0, le=100_000_000, description="Integer minor units (cents)")]
SkillCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", max_length=64)]
SkillLevel = Annotated[int, msgspec.Meta(ge=1, le=3, description="1 basic .. 3 expert")]

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size (default 20)")]
Cursor = Annotated[
    str | None,
    QueryParameter(max_length=200, description="`next_cursor` from the previous page", required=False),
]

PROBLEM_EXAMPLE = {
    "type": "https://fieldhand.dev/problems/offer-taken",
    "title": "Another technician already took this job",
    "status": 409,
    "detail": "Another technician took this job first",
    "instance": "/mobile/v1/offers/6f1c.../accept",
}


class Money(msgspec.Struct):
    amount: int
    currency: str


def money(amount: int | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)


def body(example: dict[str, Any], summary: str = "Example") -> Any:
    """A JSON body kwarg carrying an OpenAPI example."""
    return BodyKwarg(media_type=RequestEncodingType.JSON, examples=[Example(summary=summary, value=example)])


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    out: dict[int, ResponseSpec] = {}
    for status in statuses:
        out[status] = ResponseSpec(
            data_container=dict[str, Any],
            generate_examples=False,
            description="Problem details (RFC 9457)",
            media_type="application/problem+json",
            examples=[Example(summary="problem", value={**PROBLEM_EXAMPLE, "status": status})],
        )
    return out


def aware(moment: datetime, field: str) -> datetime:
    """Timestamps on the wire must carry an offset (UTC ISO 8601)."""
    if moment.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone offset, e.g. 2026-05-01T09:00:00Z", field=field)
    return moment
