"""Wire types for customer booking, ETA, callbacks and reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.escalations.schemas import AppointmentOut, Money


class SlotOut(msgspec.Struct):
    start: datetime
    end: datetime
    earliest_arrival: datetime
    meets_sla: bool
    technicians: int


class SlotsOut(msgspec.Struct):
    work_order_id: str
    availability: Literal["available", "sla_at_risk", "no_availability", "no_qualified_technician"]
    sla_due_at: datetime | None
    sla_attainable: bool
    message: str
    earliest: SlotOut | None
    slots: list[SlotOut]


class WindowIn(msgspec.Struct, forbid_unknown_fields=True):
    window_start: datetime
    window_end: datetime


class BookingOut(msgspec.Struct):
    work_order_id: str
    work_order_status: str
    meets_sla: bool
    sla_due_at: datetime | None
    appointment: AppointmentOut
    message: str


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class CancellationOut(msgspec.Struct):
    work_order_id: str
    work_order_status: str
    appointment: AppointmentOut
    cancellation_fee: Money
    free_cancellation_until: datetime


class CallbackIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    preferred_time: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class CallbackCreated(msgspec.Struct):
    id: str
    work_order_id: str
    status: str
    created_at: datetime


class ReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    stars: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class ReviewOut(msgspec.Struct):
    id: str
    work_order_id: str
    technician_id: str
    stars: int
    comment: str | None
    created_at: datetime
