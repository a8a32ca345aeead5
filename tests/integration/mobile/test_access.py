"""BOLA and role checks on every mobile endpoint: technician A never sees or moves B's data."""

from __future__ import annotations

import uuid

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from marketplace.users.models import Role
from tests.factories import Factory
from tests.integration.mobile.helpers import (
    assert_problem,
    offer_round,
    open_work_order,
    pending_offers,
    ready_technician,
    seed_skills,
)

M = "/mobile/v1"


async def test_technician_cannot_see_or_act_on_another_technicians_offer_or_visit(
    client: AsyncTestClient, factory: Factory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await seed_skills(session_factory, "hvac.repair")
    a = await ready_technician(factory)
    b = await ready_technician(factory, skills={"elec.panel": 2})  # not qualified for this job
    order_id = await open_work_order(session_factory)
    await offer_round(session_factory, order_id)
    offer = (await pending_offers(client, a))[0]
    a_time_off = await client.post(
        f"{M}/time-off",
        json={"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z"},
        headers=a.headers,
    )
    assert a_time_off.status_code == 201

    # B: every way at A's offer is a 404, and lists show nothing of A's
    assert_problem(await client.get(f"{M}/offers/{offer['id']}", headers=b.headers), 404, "not-found")
    assert_problem(await client.post(f"{M}/offers/{offer['id']}/accept", headers=b.headers), 404, "not-found")
    assert_problem(
        await client.post(f"{M}/offers/{offer['id']}/decline", json={}, headers=b.headers), 404, "not-found"
    )
    assert (await client.get(f"{M}/offers", headers=b.headers)).json()["items"] == []
    assert_problem(
        await client.delete(f"{M}/time-off/{a_time_off.json()['id']}", headers=b.headers), 404, "not-found"
    )
    assert (await client.get(f"{M}/time-off", headers=b.headers)).json()["items"] == []
    assert (await client.get(f"{M}/shifts", headers=b.headers)).json()["items"] != (
        await client.get(f"{M}/shifts", headers=a.headers)
    ).json()["items"]

    # A takes the job; B cannot read or move A's visit
    assert (await client.post(f"{M}/offers/{offer['id']}/accept", headers=a.headers)).status_code == 200
    assert_problem(await client.get(f"{M}/visits/{order_id}", headers=b.headers), 404, "not-found")
    assert_problem(
        await client.post(f"{M}/visits/{order_id}/status", json={"status": "en_route"}, headers=b.headers),
        404,
        "not-found",
    )
    assert (await client.get(f"{M}/visits", headers=b.headers)).json()["items"] == []
    assert (await client.get(f"{M}/earnings", headers=b.headers)).json()["summary"]["completed_visits"] == 0
    assert (await client.get(f"{M}/missed-offers", headers=b.headers)).json()["items"] == []
    # and A still can
    assert (await client.get(f"{M}/visits/{order_id}", headers=a.headers)).json()["status"] == "assigned"
    # unknown ids look the same as other people's
    assert_problem(await client.get(f"{M}/offers/{uuid.uuid4()}", headers=a.headers), 404, "not-found")
    assert_problem(await client.get(f"{M}/visits/{uuid.uuid4()}", headers=a.headers), 404, "not-found")


ENDPOINTS: list[tuple[str, str, object]] = [
    ("GET", "/me", None),
    ("PATCH", "/me", {"service_radius_m": 10000}),
    ("POST", "/me/certifications", {"code": "gas_safe", "number": "1", "issuer": "x"}),
    ("GET", "/me/certifications", None),
    ("PUT", "/shifts", {"from": "2030-01-01T00:00:00Z", "until": "2030-01-02T00:00:00Z", "windows": []}),
    ("GET", "/shifts", None),
    ("PUT", "/shift-templates", {"templates": []}),
    ("GET", "/shift-templates", None),
    ("POST", "/time-off", {"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z"}),
    ("GET", "/time-off", None),
    ("DELETE", f"/time-off/{uuid.uuid4()}", None),
    ("POST", "/locations", {"pings": [{"lat": 1, "lng": 1, "recorded_at": "2030-01-01T00:00:00Z"}]}),
    ("GET", "/offers", None),
    ("GET", f"/offers/{uuid.uuid4()}", None),
    ("POST", f"/offers/{uuid.uuid4()}/accept", None),
    ("POST", f"/offers/{uuid.uuid4()}/decline", {}),
    ("GET", "/missed-offers", None),
    ("GET", "/visits", None),
    ("GET", f"/visits/{uuid.uuid4()}", None),
    ("POST", f"/visits/{uuid.uuid4()}/status", {"status": "en_route"}),
    ("GET", "/earnings", None),
]


@pytest.mark.parametrize(("method", "path", "payload"), ENDPOINTS)
async def test_every_mobile_endpoint_needs_a_technician(
    client: AsyncTestClient, factory: Factory, method: str, path: str, payload: object
) -> None:
    anonymous = await client.request(method, M + path, json=payload)
    assert_problem(anonymous, 401, "unauthenticated")
    customer = await factory.login(Role.CUSTOMER)
    as_customer = await client.request(method, M + path, json=payload, headers=customer.headers)
    assert_problem(as_customer, 403, "forbidden")


async def test_admin_endpoints_need_admin(client: AsyncTestClient, factory: Factory) -> None:
    tech = await factory.login(Role.TECHNICIAN)
    tid = tech.user.technician_id
    for method, path in [
        ("GET", "/technicians"),
        ("POST", f"/technicians/{tid}/verify"),
        ("POST", f"/technicians/{tid}/reinstate"),
        ("GET", f"/technicians/{tid}/certifications"),
        ("POST", f"/technicians/{tid}/certifications/{uuid.uuid4()}/verify"),
    ]:
        assert_problem(await client.request(method, path, headers=tech.headers), 403, "forbidden")


async def test_mobile_api_is_documented_with_examples(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    ops = {
        op["operationId"]: op
        for path, item in schema["paths"].items()
        if path.startswith("/mobile/v1")
        for op in item.values()
    }
    expected = {
        "signUpTechnician", "getProfile", "updateProfile", "addCertification", "listCertifications",
        "setShifts", "listShifts", "setShiftTemplates", "listShiftTemplates", "addTimeOff", "listTimeOff",
        "deleteTimeOff", "postLocations", "listOffers", "getOffer", "acceptOffer", "declineOffer",
        "listMissedOffers", "listVisits", "getVisit", "updateVisitStatus", "getEarnings",
    }  # fmt: skip
    assert expected <= set(ops), expected - set(ops)
    for name in ("signUpTechnician", "setShifts", "postLocations", "declineOffer", "updateVisitStatus"):
        content = ops[name]["requestBody"]["content"]["application/json"]
        assert content.get("examples") or content["schema"].get("examples"), name
    listed = ops["listOffers"]["responses"]["200"]["content"]["application/json"]
    assert listed.get("examples") or listed["schema"].get("examples")
    assert ops["signUpTechnician"].get("security") == [{}]  # public
