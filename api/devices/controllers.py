"""Devices: customers register, list, remove and re-key their own appliances; admins edit
the rules per device model and metric; devices post telemetry with their own credential."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.deps import CurrentPrincipal, DbSession, Now
from api.devices.schemas import (
    CredentialOut,
    DeviceIn,
    DeviceOut,
    DeviceWithCredential,
    RuleIn,
    RuleOut,
    TelemetryAccepted,
    TelemetryBatch,
    accepted_out,
    device_out,
    rule_out,
)
from marketplace.auth import requires, signed_in
from marketplace.devices import intake, service
from marketplace.devices import repository as repo
from marketplace.devices.errors import DeviceCredentialInvalid
from marketplace.errors import DomainError, InvalidInput
from marketplace.users.models import Role

DeviceId = Annotated[uuid.UUID, PathParameter(description="Device id")]
Model = Annotated[str, PathParameter(description="Device model", max_length=100)]
Metric = Annotated[str, PathParameter(description="Metric code, or * for silence rules", max_length=32)]
Kind = Annotated[str, PathParameter(description="threshold, trend or silence", max_length=16)]
DEVICE_SCHEME = "device"


def parse_batch(body: bytes) -> TelemetryBatch:
    """msgspec on the fast path; standard JSON as the fallback so that `NaN`, `Infinity` or
    1e999 reach validation and get their own problem type instead of a parse error."""
    try:
        return msgspec.json.decode(body, type=TelemetryBatch)
    except (msgspec.DecodeError, msgspec.ValidationError) as first:
        try:
            return msgspec.convert(json.loads(body), TelemetryBatch)
        except (ValueError, msgspec.ValidationError) as exc:
            raise InvalidInput(f"The telemetry batch is not valid: {exc or first}") from exc


def device_credential(request: Request[Any, Any, Any]) -> str:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != DEVICE_SCHEME or not credential.strip():
        raise DeviceCredentialInvalid("Send Authorization: Device <device id>.<secret>")
    return credential


class DeviceController(Controller):
    path = "/"
    tags = ["devices"]

    @post("/devices", operation_id="registerDevice", guards=[requires(Role.CUSTOMER)], status_code=201)
    async def register(
        self, now: Now, data: JSONBody[DeviceIn], principal: CurrentPrincipal, db_session: DbSession
    ) -> DeviceWithCredential:
        """Register one of your appliances (boiler, heat pump, router, washer). The answer
        carries the device's credential, shown only this once."""
        device, credential = await service.register_device(db_session, principal, data.to_domain(), now=now)
        return DeviceWithCredential(device=device_out(device), credential=credential)

    @get("/devices", operation_id="listDevices", guards=[signed_in])
    async def list_devices(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        customer_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> list[DeviceOut]:
        """Your devices (customers), or any customer's (staff)."""
        return [device_out(d) for d in await service.list_devices(db_session, principal, customer_id)]

    @get("/devices/{device_id:uuid}", operation_id="getDevice", guards=[signed_in])
    async def get_device(
        self, device_id: DeviceId, principal: CurrentPrincipal, db_session: DbSession
    ) -> DeviceOut:
        return device_out(await service.owned_device(db_session, principal, device_id))

    @delete(
        "/devices/{device_id:uuid}", operation_id="removeDevice", guards=[requires(Role.CUSTOMER, Role.ADMIN)]
    )
    async def remove(
        self, now: Now, device_id: DeviceId, principal: CurrentPrincipal, db_session: DbSession
    ) -> None:
        """Remove a device: its credential stops working at once."""
        await service.remove_device(db_session, principal, device_id, now=now)

    @post(
        "/devices/{device_id:uuid}/credential",
        operation_id="rotateDeviceCredential",
        guards=[requires(Role.CUSTOMER, Role.ADMIN)],
        status_code=200,
    )
    async def rotate(
        self, now: Now, device_id: DeviceId, principal: CurrentPrincipal, db_session: DbSession
    ) -> CredentialOut:
        """A new credential for the device; the old one stops working at once."""
        credential = await service.rotate_credential(db_session, principal, device_id, now=now)
        return CredentialOut(device_id=str(device_id), credential=credential, rotated_at=now)

    @get("/device-rules", operation_id="listDeviceRules", guards=[requires(Role.ADMIN, Role.AGENT)])
    async def list_rules(self, db_session: DbSession) -> list[RuleOut]:
        return [rule_out(r) for r in await repo.all_rules(db_session)]

    @put(
        "/device-rules/{model:str}/{metric:str}/{kind:str}",
        operation_id="putDeviceRule",
        guards=[requires(Role.ADMIN)],
    )
    async def put_rule(
        self,
        now: Now,
        model: Model,
        metric: Metric,
        kind: Kind,
        data: JSONBody[RuleIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
    ) -> RuleOut:
        """Create or replace a rule for a device model and metric. Kinds: `threshold`
        (comparison + threshold, held for `duration_s`), `trend` (the robust fitted line over
        `window_s` crosses the threshold within `lead_s`), `silence` (metric `*`: nothing
        received for `duration_s`)."""
        rule = await service.set_rule(db_session, principal, model, metric, kind, data.to_domain(), now=now)
        return rule_out(rule)

    @delete(
        "/device-rules/{model:str}/{metric:str}/{kind:str}",
        operation_id="deleteDeviceRule",
        guards=[requires(Role.ADMIN)],
    )
    async def delete_rule(
        self, model: Model, metric: Metric, kind: Kind, principal: CurrentPrincipal, db_session: DbSession
    ) -> None:
        await service.delete_rule(db_session, principal, model, metric, kind)

    @post("/telemetry", operation_id="postTelemetry", status_code=200, security=[{"DeviceCredential": []}])
    async def telemetry(
        self, now: Now, request: Request[Any, Any, Any], db_session: DbSession
    ) -> TelemetryAccepted:
        """A device's batch of readings `{"readings": [{"metric", "value", "at", "unit"?}]}`,
        authenticated by `Authorization: Device <device id>.<secret>`. The batch is stored
        all or nothing; readings already stored (same metric and time) are counted as
        duplicates, never stored twice, so resending is safe. Problems: 401
        `device-credential-invalid`; 413 `too-many-readings`; 422 `unknown-metric`,
        `reading-unit-mismatch`, `reading-not-finite`, `reading-in-future`."""
        credential = device_credential(request)
        try:
            readings = parse_batch(await request.body()).to_domain()
            intake.validate(readings, now=now)
        except DomainError:
            await service.authenticate_device(db_session, credential)  # a bad credential is 401 first
            raise
        return accepted_out(await intake.receive(db_session, credential, readings, now=now))
