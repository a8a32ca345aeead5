"""Schemathesis against our own OpenAPI document over real HTTP.

Every operation is exercised with generated inputs, valid and invalid, under a bearer token
for each role, so both the "allowed" and the "forbidden" paths are fuzzed. Tokens belong to
real users with almost nothing behind them (every request checks its session, so a token
needs its user), and each call gets a fresh token so a fuzzed logout ends only that call's
session: ownership checks must answer 404/403, never crash.
Every answer of the one run is held to two rules: no input causes a 5xx, and the answer is
one the document promises (a documented status, its media type, a body that fits its schema).
"""

from __future__ import annotations

import asyncio
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
from sqlalchemy.ext.asyncio import create_async_engine

from marketplace.auth import issue_token
from marketplace.clock import utcnow
from marketplace.db import make_session_factory
from marketplace.settings import Settings
from marketplace.users.models import Role, User
from tests.conftest import in_thread
from tests.factories import Factory

PROBLEM = "application/problem+json"
ROLES = (Role.ADMIN, Role.AGENT, Role.CUSTOMER, Role.TECHNICIAN)
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_MODE = 4


def _users(settings_: Settings) -> dict[Role, User]:
    async def make() -> dict[Role, User]:
        engine = create_async_engine(settings_.database_url)
        try:
            factory = Factory(make_session_factory(engine), settings_)
            return {role: (await factory.login(role)).user for role in ROLES}
        finally:
            await engine.dispose()

    return in_thread(lambda: asyncio.run(make()))


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
    users = _users(settings)
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
                    token = issue_token(settings, users[role], now=utcnow())
                    response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=30)
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
