"""Document every operation's problem responses as `application/problem+json`.

Litestar documents a 400 `application/json` validation error on every operation with
parameters; our validation errors are 422 problems (`api.problems`). After the spec is
built, each operation gets the problem statuses it can answer, all with one `Problem`
schema, in place of the generated 400.

Which statuses an operation can answer follows from how it is declared:

- every operation: 401 (a malformed bearer token is refused on any route), 422 (query,
  path or body validation, NUL characters, a reused Idempotency-Key) and 503 with
  `Retry-After` (the database is unreachable);
- guarded operations: 403 (wrong role, or not allowed to act on this resource);
- operations on a resource in the path, and every write: 404;
- writes: 409 (state conflicts, an Idempotency-Key still in progress);
- operations with a request body: 400 (the body is not JSON) and 413 (body too big);
- whatever the handler adds in `opt={"problems": (...)}` (e.g. 404 where the caller's own
  record is read) or declares in `responses`.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, Operation, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute

from api.problems import PROBLEM_JSON
from marketplace.errors import PROBLEM_BASE

PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    title="Problem",
    description="RFC 9457 problem details. Switch on `type`; `title` is fixed per type.",
    required=["type", "title", "status", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description=f"{PROBLEM_BASE}<slug>"),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "instance": Schema(type=OpenAPIType.STRING),
        "request_id": Schema(type=OpenAPIType.STRING),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            description="For `validation-failed`: what was wrong, and where",
            items=Schema(
                type=OpenAPIType.OBJECT,
                properties={
                    "field": Schema(type=[OpenAPIType.STRING, OpenAPIType.NULL]),
                    "source": Schema(type=[OpenAPIType.STRING, OpenAPIType.NULL]),
                    "message": Schema(type=[OpenAPIType.STRING, OpenAPIType.NULL]),
                },
            ),
        ),
    },
    additional_properties=True,  # type-specific members, e.g. `alternatives`
)
PROBLEM_REF = Reference(ref="#/components/schemas/Problem")

DESCRIPTIONS = {
    400: "Bad request",
    401: "Authentication required, or the bearer token is not valid",
    402: "Payment required",
    403: "Not allowed for this caller",
    404: "Not found, or not visible to this caller",
    409: "Conflicts with the current state",
    413: "Request body too large",
    422: "The request did not pass validation",
    429: "Too many requests",
    503: "A dependency is unavailable; retry after `Retry-After` seconds",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def problem_statuses(
    method: str, *, has_path_params: bool, has_body: bool, guarded: bool, declared: tuple[int, ...]
) -> set[int]:
    statuses = {401, 422, 503, *declared}
    if guarded:
        statuses.add(403)
    if has_path_params or method in WRITES:
        statuses.add(404)
    if method in WRITES:
        statuses.add(409)
    if has_body:
        statuses |= {400, 413}
    return statuses


def _problem_response(status: int, existing: OpenAPIResponse | Reference | None) -> OpenAPIResponse:
    examples = None
    if isinstance(existing, OpenAPIResponse) and existing.content and PROBLEM_JSON in existing.content:
        examples = existing.content[PROBLEM_JSON].examples
    description = existing.description if isinstance(existing, OpenAPIResponse) else None
    return OpenAPIResponse(
        description=description if description and examples else DESCRIPTIONS.get(status, "Problem"),
        content={PROBLEM_JSON: OpenAPIMediaType(schema=PROBLEM_REF, examples=examples)},
    )


def _document(operation: Operation, statuses: set[int]) -> None:
    responses: dict[str, Any] = dict(operation.responses or {})
    responses.pop("400", None)  # Litestar's generated ValidationException response (never sent)
    for code, response in list(responses.items()):
        if int(code) < 400:
            continue
        content = response.content if isinstance(response, OpenAPIResponse) else None
        if content and PROBLEM_JSON in content:
            responses[code] = _problem_response(int(code), response)
    for status in sorted(statuses):
        if str(status) not in responses:
            responses[str(status)] = _problem_response(status, None)
    operation.responses = dict(sorted(responses.items()))


def document_problems(app: Litestar) -> OpenAPI:
    """Rewrite the app's OpenAPI document in place (it is built once and cached)."""
    spec = app.openapi_schema
    assert spec.components is not None and spec.paths is not None
    spec.components.schemas = {**(spec.components.schemas or {}), "Problem": PROBLEM_SCHEMA}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or (path_item := spec.paths.get(route.path_format)) is None:
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            for method in handler.http_methods:
                operation = getattr(path_item, method.lower(), None)
                if not isinstance(operation, Operation):
                    continue
                statuses = problem_statuses(
                    method,
                    has_path_params=bool(route.path_parameters),
                    has_body=operation.request_body is not None,
                    guarded=bool(handler.resolve_guards()),
                    declared=tuple(handler.opt.get("problems", ())),
                )
                _document(operation, statuses)
    return spec
