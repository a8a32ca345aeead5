"""Domain errors. One base, mapped once to RFC 9457 problem details by the HTTP layers.

Each subclass has a stable `slug`; the problem `type` is `PROBLEM_BASE + slug`, which
clients may switch on. Titles are fixed per type; `detail` is per occurrence.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://fieldhand.dev/problems/"


class TryLater(Exception):
    """Raised inside a task when the work cannot be done *yet* (a gateway hiccup, money on
    hold, an answer still pending): the task runner rolls the task's transaction back and
    runs it again after `retry_after_s`, or after its backoff for the attempt when None."""

    retry_after_s: float | None = None


class DomainError(Exception):
    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug


class InvalidInput(DomainError):
    status = 422
    slug = "invalid-input"
    title = "The request is not valid"


class Unauthenticated(DomainError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflicts with the current state"


class IllegalTransition(Conflict):
    slug = "illegal-transition"
    title = "That step is not allowed from the current state"


class IdempotencyKeyReused(DomainError):
    status = 422
    slug = "idempotency-key-reused"
    title = "Idempotency key reused with a different request"


class IdempotencyKeyInProgress(Conflict):
    slug = "idempotency-key-in-progress"
    title = "A request with this idempotency key is still being processed"


class ServiceUnavailable(DomainError):
    status = 503
    slug = "service-unavailable"
    title = "A dependency is unavailable"
