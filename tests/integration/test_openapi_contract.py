"""The served OpenAPI document says what the operations really answer."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from marketplace.users.models import Role
from tests.factories import Factory

PROBLEM = "application/problem+json"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
async def spec(client: AsyncTestClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    return document


def operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        op["operationId"]: op for item in spec["paths"].values() for m, op in item.items() if m in METHODS
    }


def success(op: dict[str, Any], status: str) -> dict[str, Any]:
    schema: dict[str, Any] = op["responses"][status]["content"]["application/json"]["schema"]
    return schema


@pytest.mark.parametrize(
    ("operation_id", "statuses", "schema"),
    [
        ("bookAppointment", {"201"}, "BookingOut"),
        ("rescheduleAppointment", {"200"}, "BookingOut"),
        ("cancelAppointment", {"200"}, "CancellationOut"),
        ("escalateTicket", {"200", "201"}, "EscalationOut"),
        ("receiveHelpdeskEscalation", {"200", "201"}, "EscalationOut"),
        ("createPayoutAccountLink", {"202"}, "AccountLinkOut"),
        ("putCategory", {"200", "201"}, "CategoryOut"),
        ("requestHuman", {"201"}, "CallbackCreated"),
        ("reviewVisit", {"201"}, "ReviewOut"),
        ("signUpTechnician", {"201"}, "SignUpOut"),
    ],
)
def test_success_statuses_and_typed_bodies(
    spec: dict[str, Any], operation_id: str, statuses: set[str], schema: str
) -> None:
    op = operations(spec)[operation_id]
    assert {s for s in op["responses"] if s < "300"} == statuses
    for status in statuses:
        assert success(op, status) == {"$ref": f"#/components/schemas/{schema}"}


def test_every_operation_documents_its_problems_as_problem_json(spec: dict[str, Any]) -> None:
    assert "Problem" in spec["components"]["schemas"]
    for operation_id, op in operations(spec).items():
        responses = op["responses"]
        assert "422" in responses and "401" in responses, operation_id
        for status, response in responses.items():
            if int(status) >= 400 and operation_id != "getReadiness":
                assert list(response["content"]) == [PROBLEM], (operation_id, status)
                assert response["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
        if "requestBody" not in op:
            assert "400" not in responses or operation_id == "receiveStripeWebhook", operation_id


def test_idempotent_operations_document_the_idempotency_key(spec: dict[str, Any]) -> None:
    ops = operations(spec)
    for operation_id in ("bookAppointment", "cancelAppointment", "escalateTicket", "signUpTechnician"):
        headers = [p["name"] for p in ops[operation_id].get("parameters", []) if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], operation_id


async def test_put_category_answers_the_statuses_it_documents(
    client: AsyncTestClient, factory: Factory, spec: dict[str, Any]
) -> None:
    admin = await factory.login(Role.ADMIN)
    await client.post("/skills", json={"code": "hvac.repair", "name": "HVAC"}, headers=admin.headers)
    body = {"name": "Boiler", "required_skills": [{"code": "hvac.repair", "min_level": 1}]}
    created = await client.put("/admin/categories/boiler", json=body, headers=admin.headers)
    replaced = await client.put("/admin/categories/boiler", json=body, headers=admin.headers)
    assert (created.status_code, replaced.status_code) == (201, 200)
    documented = operations(spec)["putCategory"]["responses"]
    assert {"201", "200"} <= set(documented)
