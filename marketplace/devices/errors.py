"""Device problems, each with a stable problem `type` slug."""

from __future__ import annotations

from marketplace.errors import InvalidInput, NotFound, Unauthenticated


class DeviceNotFound(NotFound):
    slug = "device-not-found"
    title = "No such device"


class DeviceCredentialInvalid(Unauthenticated):
    slug = "device-credential-invalid"
    title = "The device credential is missing, malformed, revoked or wrong"


class UnknownMetric(InvalidInput):
    slug = "unknown-metric"
    title = "The metric is not one a device may report"


class UnitMismatch(InvalidInput):
    slug = "reading-unit-mismatch"
    title = "The unit does not belong to the metric"


class NonFiniteReading(InvalidInput):
    slug = "reading-not-finite"
    title = "A reading value is NaN or infinite"


class ReadingInFuture(InvalidInput):
    slug = "reading-in-future"
    title = "A reading is timestamped too far in the future"


class TooManyReadings(InvalidInput):
    status = 413
    slug = "too-many-readings"
    title = "Too many readings in one batch"


class InvalidRule(InvalidInput):
    slug = "invalid-device-rule"
    title = "The device rule is not valid"
