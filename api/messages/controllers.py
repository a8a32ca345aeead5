"""The customer's inbox: every message Fieldhand sent them, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from api.deps import CurrentPrincipal, DbSession
from marketplace.auth import requires
from marketplace.messages import service
from marketplace.messages.models import Message
from marketplace.users.models import Role

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size (default 20)")]
Cursor = Annotated[
    str | None,
    QueryParameter(max_length=200, description="`next_cursor` from the previous page", required=False),
]


class MessageOut(msgspec.Struct):
    id: str
    template: str  # which catalog message this is, e.g. booking_confirmation
    subject: str
    body: str
    work_order_id: str | None
    created_at: datetime


class MessagePage(msgspec.Struct):
    items: list[MessageOut]
    next_cursor: str | None


EXAMPLE = {
    "id": "0f8f5c2e-2b7e-4f1e-9a51-2f4c1d1b7a10",
    "template": "technician_on_the_way",
    "subject": "Your technician is on the way, ETA 14:05",
    "body": "Hello Ada,\n\nSam is on the way to you and expects to arrive at 14:05 (Europe/Amsterdam).",
    "work_order_id": "6f1c3a7e-8d55-4a63-b5a8-0c6d2d9b1e22",
    "created_at": "2026-05-04T11:40:02Z",
}


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=str(m.id),
        template=m.template,
        subject=m.subject,
        body=m.body,
        work_order_id=str(m.work_order_id) if m.work_order_id else None,
        created_at=m.created_at,
    )


# Problem answers (401, 403, 422, 503) are documented by api/openapi_problems.py.
PAGE_EXAMPLE = {
    200: ResponseSpec(
        data_container=MessagePage,
        generate_examples=False,
        description="A page of your messages, newest first",
        examples=[Example(summary="one message", value={"items": [EXAMPLE], "next_cursor": None})],
    )
}


class MessagesController(Controller):
    path = "/messages"
    tags = ["messages"]

    @get("", operation_id="listMessages", guards=[requires(Role.CUSTOMER)], responses=PAGE_EXAMPLE)
    async def list_messages(
        self, db_session: DbSession, principal: CurrentPrincipal, cursor: Cursor = None, limit: Limit = 20
    ) -> MessagePage:
        """Customers: your in-app inbox. Everything Fieldhand told you (booking
        confirmations, reminders, "on the way" with the ETA, receipts, apologies) is here,
        also when it went out by e-mail or SMS. Only your own messages; times in the text
        are in your time zone. Page with `next_cursor`."""
        page = await service.list_messages(db_session, principal, cursor=cursor, limit=limit)
        return MessagePage(items=[message_out(m) for m in page.items], next_cursor=page.next_cursor)
