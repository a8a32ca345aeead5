"""Telemetry intake over HTTP: stored once, authenticated per device, bad batches refused whole."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from litestar.testing import AsyncTestClient

from tests.factories import Factory
from tests.integration.devices.helpers import (
    PROBLEM,
    SF,
    readings,
    register_boiler,
    stored_readings,
)


def _minutes_ago(n: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=n)


async def test_duplicate_late_and_out_of_order_readings_are_stored_once(
    client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    boiler = await register_boiler(client, factory, session_factory)
    first = [(_minutes_ago(30 - i), 1.5) for i in range(10)]
    random.Random(3).shuffle(first)
    response = await client.post(
        "/telemetry", json=readings("pressure", "bar", first), headers=boiler.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() | {"evaluation_queued": False} == {
        "received": 10,
        "stored": 10,
        "duplicates": 0,
        "evaluation_queued": False,
    }

    # a resend overlapping the first, a duplicate inside the batch, and a reading from
    # an hour before everything else (late), all out of order
    again = [*first[:5], (_minutes_ago(5), 1.4), (_minutes_ago(5), 1.4), (_minutes_ago(90), 1.6)]
    response = await client.post(
        "/telemetry", json=readings("pressure", "bar", again), headers=boiler.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["received"] == 8 and response.json()["stored"] == 2
    assert await stored_readings(session_factory, boiler.id) == 12

    # the same instant for another metric is a different reading
    response = await client.post(
        "/telemetry", json=readings("temperature", "celsius", [first[0]]), headers=boiler.headers
    )
    assert response.json()["stored"] == 1
    assert await stored_readings(session_factory, boiler.id) == 13


async def test_forged_revoked_or_rotated_credentials_are_401(
    client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    boiler = await register_boiler(client, factory, session_factory)
    batch = readings("pressure", "bar", [(_minutes_ago(1), 1.5)])
    device_id, _, secret = boiler.credential.partition(".")
    forged = [
        f"Device {device_id}.{secret[:-2]}xx",  # wrong secret
        f"Device {device_id}",  # no secret
        "Device not-a-uuid.whatever",
        f"Device 00000000-0000-0000-0000-000000000000.{secret}",  # someone else's id
        f"Bearer {boiler.credential}",  # wrong scheme
    ]
    for header in forged:
        response = await client.post("/telemetry", json=batch, headers={"Authorization": header})
        assert response.status_code == 401, (header, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
    assert (await client.post("/telemetry", json=batch)).status_code == 401
    assert await stored_readings(session_factory, boiler.id) == 0

    rotated = await client.post(f"/devices/{boiler.id}/credential", headers=boiler.owner.headers)
    assert rotated.status_code == 200, rotated.text
    old = await client.post("/telemetry", json=batch, headers=boiler.headers)
    assert old.status_code == 401 and old.json()["type"].endswith("/device-credential-invalid")
    new_headers = {"Authorization": f"Device {rotated.json()['credential']}"}
    assert (await client.post("/telemetry", json=batch, headers=new_headers)).status_code == 200

    assert (await client.delete(f"/devices/{boiler.id}", headers=boiler.owner.headers)).status_code == 204
    assert (await client.post("/telemetry", json=batch, headers=new_headers)).status_code == 401
    assert await stored_readings(session_factory, boiler.id) == 1


async def test_bad_batches_are_refused_whole_with_stable_problem_types(
    client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    boiler = await register_boiler(client, factory, session_factory)
    good = {"metric": "pressure", "unit": "bar", "value": 1.5, "at": _minutes_ago(2).isoformat()}

    def batch(bad: dict[str, object]) -> dict[str, object]:
        return {"readings": [good, {**good, "at": _minutes_ago(1).isoformat(), **bad}]}

    cases = [
        (batch({"unit": "psi"}), 422, "reading-unit-mismatch"),
        (batch({"metric": "pressure", "unit": "celsius"}), 422, "reading-unit-mismatch"),
        (batch({"metric": "humidity"}), 422, "unknown-metric"),
        (batch({"at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}), 422, "reading-in-future"),
        (
            {
                "readings": [
                    {**good, "at": (_minutes_ago(2000) + timedelta(seconds=i)).isoformat()}
                    for i in range(1001)
                ]
            },
            413,
            "too-many-readings",
        ),
    ]
    for body, status, slug in cases:
        response = await client.post("/telemetry", json=body, headers=boiler.headers)
        assert response.status_code == status, (slug, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["type"] == f"https://fieldhand.dev/problems/{slug}"
    for raw in (b"NaN", b"Infinity", b"-Infinity", b"1e999"):
        content = b'{"readings": [{"metric": "pressure", "unit": "bar", "value": %s, "at": "%s"}]}' % (
            raw,
            _minutes_ago(1).isoformat().encode(),
        )
        response = await client.post(
            "/telemetry", content=content, headers={**boiler.headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 422, (raw, response.text)
        assert response.json()["type"].endswith("/reading-not-finite")
    assert await stored_readings(session_factory, boiler.id) == 0


async def test_devices_are_their_owners_only(
    client: AsyncTestClient, factory: Factory, session_factory: SF
) -> None:
    from marketplace.users.models import Role

    boiler = await register_boiler(client, factory, session_factory)
    stranger = await factory.login(Role.CUSTOMER)
    assert (await client.get(f"/devices/{boiler.id}", headers=stranger.headers)).status_code == 404
    assert (
        await client.post(f"/devices/{boiler.id}/credential", headers=stranger.headers)
    ).status_code == 404
    assert (await client.delete(f"/devices/{boiler.id}", headers=stranger.headers)).status_code == 404
    assert (await client.get("/devices", headers=stranger.headers)).json() == []
    mine = (await client.get("/devices", headers=boiler.owner.headers)).json()
    assert [d["id"] for d in mine] == [str(boiler.id)] and "credential" not in mine[0]
    rule = {"comparison": "below", "threshold": 1.0, "duration_s": 600}
    forbidden = await client.put(
        "/device-rules/m/pressure/threshold", json=rule, headers=boiler.owner.headers
    )
    assert forbidden.status_code == 403
    invalid = await client.put("/device-rules/m/pressure/trend", json=rule, headers=boiler.admin.headers)
    assert invalid.status_code == 422 and invalid.json()["type"].endswith("/invalid-device-rule")
