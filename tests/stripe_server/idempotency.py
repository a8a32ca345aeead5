"""Stripe's idempotency semantics for POST requests carrying an `Idempotency-Key`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiohttp import web

VALIDATION_FAILED = "fieldhand_validation_failed"


@dataclass
class Stored:
    fingerprint: str
    status: int
    body: bytes
    content_type: str


_stored: dict[tuple[str, str], Stored] = {}
_in_flight: set[tuple[str, str]] = set()
replays: list[str] = []  # keys that were answered from the store (for tests)


def _error(status: int, message: str) -> web.Response:
    body = {"error": {"type": "idempotency_error", "message": message}}
    return web.json_response(body, status=status)


@web.middleware
async def idempotency_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or request.path.startswith("/_config/"):
        return await handler(request)
    scope = (request.headers.get("Authorization", ""), key)
    raw = await request.read()
    pairs = sorted(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    fingerprint = hashlib.sha256(json.dumps([request.method, request.path, pairs]).encode()).hexdigest()
    stored = _stored.get(scope)
    if stored is not None:
        if stored.fingerprint != fingerprint:
            return _error(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were first "
                f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
            )
        replays.append(key)
        response = web.Response(body=stored.body, status=stored.status, content_type=stored.content_type)
        response.headers["Idempotent-Replayed"] = "true"
        response.headers["Idempotency-Key"] = key
        return response
    if scope in _in_flight:
        return _error(
            409,
            "There is currently another in-progress request using this Stripe API key and idempotency key.",
        )
    _in_flight.add(scope)
    try:
        response = await handler(request)
        # Stripe keeps the result once the endpoint began executing (including 402 declines),
        # not when the parameters failed validation, and not for server errors.
        if response.status < 500 and not request.get(VALIDATION_FAILED):
            _stored[scope] = Stored(fingerprint, response.status, response.body, response.content_type)
        response.headers["Idempotency-Key"] = key
        return response
    finally:
        _in_flight.discard(scope)
