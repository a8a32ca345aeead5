"""Link tokens: `<link id>.<random>.<signature>`, all base64url.

The signature is an HMAC over the purpose and the first two parts, keyed from the server
secret, so a forged or mangled token, or a token of another purpose, is refused without a
database read. The database keeps only the token's SHA-256 (`AccessLink.token_hash`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, purpose: str, body: str) -> str:
    key = hashlib.sha256(f"fieldhand-access-link:{secret}".encode()).digest()
    return _b64(hmac.new(key, f"{purpose}:{body}".encode(), hashlib.sha256).digest()[:24])


def mint(secret: str, purpose: str, link_id: uuid.UUID) -> str:
    body = f"{_b64(link_id.bytes)}.{_b64(secrets.token_bytes(24))}"
    return f"{body}.{_signature(secret, purpose, body)}"


def read(secret: str, purpose: str, token: str) -> uuid.UUID | None:
    """The link id if `token` was signed by us for `purpose`; None otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_signature(secret, purpose, body), parts[2]):
        return None
    try:
        return uuid.UUID(bytes=_unb64(parts[0]))
    except ValueError:
        return None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
