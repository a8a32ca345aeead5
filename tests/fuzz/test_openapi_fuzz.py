"""Schemathesis against our own OpenAPI document over real HTTP.

Every operation is exercised with generated inputs, valid and invalid, under a bearer token
for each role, so both the "allowed" and the "forbidden" paths are fuzzed. Tokens belong to
principals with no rows behind them: ownership checks must answer 404/403, never crash.
Every answer of the one run is held to two rules: no input causes a 5xx, and the answer is
one the document promises (a documented status, its media type, a body that fits its schema).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marketplace.auth import issue_token
from marketplace.clock import utcnow
from marketplace.settings import Settings
from marketplace.users.models import Role, User

PROBLEM = "application/problem+json"
ROLES = (Role.ADMIN, Role.AGENT, Role.CUSTOMER, Role.TECHNICIAN)
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_MODE = 4


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


@dataclass
class FuzzRun:
    operations: int = 0
    answers: int = 0
    server_errors: list[str] = field(default_factory=list)
    not_conforming: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def fuzz_run(live_server: str, settings: Settings) -> FuzzRun:
    # Driven through schemathesis' Python API (its pytest plugin does not support pytest 9 yet).
    schema = schemathesis.openapi.from_url(f"{live_server}/schema/openapi.json")
    headers = {role: {"Authorization": f"Bearer {_token(settings, role)}"} for role in ROLES}
    run = FuzzRun()
    for result in schema.get_all_operations():
        operation = result.ok()
        run.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=EXAMPLES_PER_MODE,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                derandomize=True,
            )
            def exercise(case: schemathesis.Case) -> None:
                for role in ROLES:
                    response = case.call(headers=headers[role], timeout=30)
                    run.answers += 1
                    where = f"{role.value}: {case.method} {case.operation.path} -> {response.status_code}"
                    if response.status_code >= 500:
                        detail = response.text[:200].split('"request_id"')[0]
                        run.server_errors.append(f"{where} {detail}")
                    elif response.status_code >= 400 and PROBLEM not in str(
                        response.headers.get("content-type")
                    ):
                        run.server_errors.append(f"{where} not problem+json")
                    try:
                        case.validate_response(response, checks=CONFORMANCE)
                    except FailureGroup as group:
                        run.not_conforming.extend(f"{where}: {f.title}" for f in group.exceptions)

            exercise()
    return run


def test_no_server_errors(fuzz_run: FuzzRun) -> None:
    assert fuzz_run.operations > 10
    assert fuzz_run.server_errors == [], "\n".join(sorted(set(fuzz_run.server_errors))[:30])


def test_every_answer_conforms_to_the_spec(fuzz_run: FuzzRun) -> None:
    """Status code, content type and body schema of each answer, valid and invalid inputs alike."""
    assert fuzz_run.answers > 400
    assert fuzz_run.not_conforming == [], (
        f"{len(fuzz_run.not_conforming)} answers off the spec:\n"
        + "\n".join(sorted(set(fuzz_run.not_conforming))[:40])
    )
