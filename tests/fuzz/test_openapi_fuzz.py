"""Schemathesis against our own OpenAPI document over real HTTP: no input may cause a 5xx.

Every operation is exercised with generated (valid and invalid) inputs under a bearer token
for each role, so both the "allowed" and the "forbidden" paths are fuzzed. Tokens belong to
principals with no rows behind them: ownership checks must answer 404/403, never crash.
"""

from __future__ import annotations

import uuid

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from marketplace.auth import issue_token
from marketplace.clock import utcnow
from marketplace.settings import Settings
from marketplace.users.models import Role, User

PROBLEM = "application/problem+json"


def _token(settings_: Settings, role: Role) -> str:
    user = User(
        id=uuid.uuid4(),
        email=f"{role.value}@fuzz.test",
        password_hash="x",
        role=role.value,
        display_name="fuzz",
        customer_id=uuid.uuid4() if role is Role.CUSTOMER else None,
        technician_id=uuid.uuid4() if role is Role.TECHNICIAN else None,
    )
    return issue_token(settings_, user, now=utcnow())


ROLES = (Role.ADMIN, Role.AGENT, Role.CUSTOMER, Role.TECHNICIAN)


def test_no_server_errors(live_server: str, settings: Settings) -> None:
    # Driven through schemathesis' Python API (its pytest plugin does not support pytest 9 yet).
    schema = schemathesis.openapi.from_url(f"{live_server}/schema/openapi.json")
    headers = {role: {"Authorization": f"Bearer {_token(settings, role)}"} for role in ROLES}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def exercise(case: schemathesis.Case) -> None:
            for role in ROLES:
                response = case.call(headers=headers[role], timeout=30)
                where = f"{role.value}: {case.method} {case.formatted_path}"
                if response.status_code >= 500:
                    detail = response.text[:200].split('"request_id"')[0]
                    failures.append(f"{where} -> {response.status_code} {detail}")
                elif response.status_code >= 400 and PROBLEM not in str(response.headers.get("content-type")):
                    failures.append(f"{where} -> {response.status_code} not problem+json")

        exercise()
    assert operations > 10
    assert failures == [], "\n".join(sorted(set(failures))[:30])
