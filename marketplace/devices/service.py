"""Device verbs: register, remove, rotate the credential, authenticate; admin rule edits.

A credential is `<device id>.<secret>`: the secret is 32 random bytes, shown once, and
stored as its SHA-256. A fast hash is enough for a high-entropy random secret (there is
nothing to brute-force), and it keeps per-request authentication cheap at intake rates
where a password hash would cost more than the insert.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.auth import Principal
from marketplace.devices import repository as repo
from marketplace.devices.errors import DeviceCredentialInvalid, DeviceNotFound, InvalidRule
from marketplace.devices.metrics import ANY_METRIC, METRICS
from marketplace.devices.models import Device, DeviceKind, DeviceRule, DeviceStatus
from marketplace.devices.rules import Comparison, RuleKind
from marketplace.errors import Forbidden, InvalidInput, NotFound
from marketplace.users.models import Role

STAFF = frozenset({Role.AGENT, Role.DISPATCHER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class NewDevice:
    kind: str
    model: str
    category: str
    name: str
    lat: float
    lng: float
    address: str | None = None
    installed_on: date | None = None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    comparison: str | None = None
    threshold: float | None = None
    duration_s: int = 0
    window_s: int | None = None
    lead_s: int | None = None
    min_points: int = 10
    enabled: bool = True


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_credential(device: Device, now: datetime) -> str:
    secret = secrets.token_urlsafe(32)
    device.credential_hash = _hash(secret)
    device.credential_rotated_at = now
    return f"{device.id}.{secret}"


async def register_device(
    session: AsyncSession, principal: Principal, spec: NewDevice, *, now: datetime
) -> tuple[Device, str]:
    """A customer registers one of their appliances; returns it and its credential (shown
    only now)."""
    if principal.role is not Role.CUSTOMER or principal.customer_id is None:
        raise Forbidden("Only a customer registers their own devices")
    return await add_device(session, principal.customer_id, spec, now=now)


async def add_device(
    session: AsyncSession, customer_id: uuid.UUID, spec: NewDevice, *, now: datetime
) -> tuple[Device, str]:
    """A device of `customer_id` and its credential (for callers that vouch for the owner:
    the customer's own request, or seeding the demo city)."""
    if spec.kind not in {k.value for k in DeviceKind}:
        raise InvalidInput(f"Unknown device kind {spec.kind!r}", kind=spec.kind)
    if await repo.category(session, spec.category) is None:
        raise InvalidInput(f"Unknown category {spec.category!r}", category=spec.category)
    device = Device(
        customer_id=customer_id,
        kind=spec.kind,
        model=spec.model,
        category_code=spec.category,
        name=spec.name,
        lat=spec.lat,
        lng=spec.lng,
        address=spec.address,
        installed_on=spec.installed_on,
        created_at=now,
    )
    credential = _new_credential(device, now)
    session.add(device)
    await session.flush()
    return device, credential


async def owned_device(
    session: AsyncSession, principal: Principal, device_id: uuid.UUID, *, lock: bool = False
) -> Device:
    """The device if `principal` owns it (staff see every device). Others' are 404."""
    device = await repo.device(session, device_id, lock=lock)
    visible = device is not None and device.status == DeviceStatus.ACTIVE
    if visible and principal.role not in STAFF:
        visible = principal.role is Role.CUSTOMER and device.customer_id == principal.customer_id  # type: ignore[union-attr]
    if not visible or device is None:
        raise DeviceNotFound("No such device", device_id=str(device_id))
    return device


async def rotate_credential(
    session: AsyncSession, principal: Principal, device_id: uuid.UUID, *, now: datetime
) -> str:
    """A new secret; the old one stops working at once."""
    device = await owned_device(session, principal, device_id, lock=True)
    return _new_credential(device, now)


async def remove_device(
    session: AsyncSession, principal: Principal, device_id: uuid.UUID, *, now: datetime
) -> None:
    """The device is gone: its credential is revoked and its rules stop watching it."""
    device = await owned_device(session, principal, device_id, lock=True)
    device.status = DeviceStatus.REMOVED
    device.credential_hash = None
    device.removed_at = now


async def list_devices(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID | None = None
) -> list[Device]:
    if principal.role in STAFF:
        return await repo.devices_of(session, customer_id)
    if principal.role is Role.CUSTOMER and principal.customer_id is not None:
        return await repo.devices_of(session, principal.customer_id)
    raise Forbidden("Only customers and staff see devices")


def credential_digest(credential: str) -> tuple[uuid.UUID, str]:
    """The device id and the SHA-256 of the secret in `<device id>.<secret>`; a credential
    of another shape is the same 401 as a wrong one."""
    raw_id, _, secret = credential.strip().partition(".")
    try:
        device_id = uuid.UUID(raw_id)
    except ValueError:
        raise DeviceCredentialInvalid("Send Authorization: Device <device id>.<secret>") from None
    if not secret:
        raise DeviceCredentialInvalid("The device credential is not valid")
    return device_id, _hash(secret)


async def authenticate_device(session: AsyncSession, credential: str) -> Device:
    """The active device whose credential this is; anything else is one 401."""
    device_id, digest = credential_digest(credential)
    device = await repo.device(session, device_id)
    if (
        device is None
        or device.status != DeviceStatus.ACTIVE
        or device.credential_hash is None
        or not hmac.compare_digest(device.credential_hash, digest)
    ):
        raise DeviceCredentialInvalid("The device credential is not valid")
    return device


# ----------------------------------------------------------------------------- rules (admin)


def _check_rule(model: str, metric: str, kind: str, spec: RuleSpec) -> None:
    if kind not in {k.value for k in RuleKind}:
        raise InvalidRule(f"Unknown rule kind {kind!r}", kind=kind)
    if kind == RuleKind.SILENCE:
        if metric != ANY_METRIC:
            raise InvalidRule("A silence rule watches the whole device: use metric '*'")
        if spec.duration_s <= 0:
            raise InvalidRule("A silence rule needs duration_s > 0")
        return
    if metric not in METRICS:
        raise InvalidRule(f"Unknown metric {metric!r}", metric=metric, known=sorted(METRICS))
    if spec.comparison not in {c.value for c in Comparison} or spec.threshold is None:
        raise InvalidRule("Threshold and trend rules need a comparison (below/above) and a threshold")
    if spec.duration_s < 0:
        raise InvalidRule("duration_s cannot be negative")
    if kind == RuleKind.TREND and (
        not spec.window_s or not spec.lead_s or spec.window_s <= 0 or spec.lead_s <= 0 or spec.min_points < 3
    ):
        raise InvalidRule("A trend rule needs window_s > 0, lead_s > 0 and min_points >= 3")


async def set_rule(
    session: AsyncSession,
    principal: Principal,
    model: str,
    metric: str,
    kind: str,
    spec: RuleSpec,
    *,
    now: datetime,
) -> DeviceRule:
    """Create or replace the rule for (model, metric, kind)."""
    principal.require(Role.ADMIN)
    _check_rule(model, metric, kind, spec)
    existing = await repo.rule(session, model, metric, kind)
    target = existing or DeviceRule(model=model, metric=metric, kind=kind)
    target.comparison = spec.comparison if kind != RuleKind.SILENCE else None
    target.threshold = spec.threshold if kind != RuleKind.SILENCE else None
    target.duration_s = spec.duration_s
    target.window_s = spec.window_s if kind == RuleKind.TREND else None
    target.lead_s = spec.lead_s if kind == RuleKind.TREND else None
    target.min_points = spec.min_points
    target.enabled = spec.enabled
    target.updated_by = principal.user_id
    target.updated_at = now
    if existing is None:
        try:
            async with session.begin_nested():
                session.add(target)
                await session.flush()
        except IntegrityError:  # created concurrently: edit that one
            return await set_rule(session, principal, model, metric, kind, spec, now=now)
    return target


async def delete_rule(
    session: AsyncSession, principal: Principal, model: str, metric: str, kind: str
) -> None:
    principal.require(Role.ADMIN)
    existing = await repo.rule(session, model, metric, kind)
    if existing is None:
        raise NotFound("No such rule", model=model, metric=metric, kind=kind)
    await session.delete(existing)
