"""Helpdesk webhook authentication: HMAC-SHA256 over timestamp and raw body.

Headers: ``X-Fieldhand-Timestamp: <unix seconds>`` and
``X-Fieldhand-Signature: v1=<hex hmac_sha256(secret, "<timestamp>.<raw body>")>``
(several ``v1=`` values separated by commas are accepted, for secret rotation).
A request is refused when the helpdesk is unknown, a header is missing, the signature
does not match, or the timestamp is more than `TOLERANCE_S` from now (a replay of an old
capture). A replay *inside* the tolerance is harmless: the event id is stored once
(`ExternalEvent`) and escalation is idempotent on the ticket anyway.
"""

from __future__ import annotations

import hashlib
import hmac

from marketplace.errors import Unauthenticated

TOLERANCE_S = 300
TIMESTAMP_HEADER = "X-Fieldhand-Timestamp"
SIGNATURE_HEADER = "X-Fieldhand-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def verify(
    secrets: dict[str, str],
    helpdesk: str,
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: int,
    tolerance_s: int = TOLERANCE_S,
) -> None:
    """Raise `Unauthenticated` unless the request is signed by `helpdesk`'s secret, recently."""
    secret = secrets.get(helpdesk)
    if not secret:
        raise Unauthenticated("Unknown helpdesk")
    if not timestamp or not signature:
        raise Unauthenticated(f"Send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise Unauthenticated("The timestamp is not a Unix time") from None
    if abs(now - sent_at) > tolerance_s:
        raise Unauthenticated("The request is too old or from the future (replay?)")
    expected = sign(secret, sent_at, body)
    offered = [part.strip() for part in signature.split(",") if part.strip().startswith("v1=")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise Unauthenticated("The signature does not match")
