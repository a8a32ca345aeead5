"""The technician's inbox: offers, assignments, payouts and other notices, newest first."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, get
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example

from marketplace.auth import requires
from marketplace.messages import service
from marketplace.messages.models import Message
from marketplace.users.models import Role
from mobile_api.common import Cursor, Limit, problem_responses
from mobile_api.deps import CurrentPrincipal, DbSession


class InboxMessageOut(msgspec.Struct):
    id: str
    template: str  # which catalog message this is, e.g. offer_notice, payout_notice
    subject: str
    body: str
    work_order_id: str | None
    created_at: datetime


class InboxPage(msgspec.Struct):
    items: list[InboxMessageOut]
    next_cursor: str | None


EXAMPLE = {
    "id": "0f8f5c2e-2b7e-4f1e-9a51-2f4c1d1b7a10",
    "template": "offer_notice",
    "subject": "New job offer: Boiler shows error E119",
    "body": "Hello Sam,\n\nYou have a new job offer: Boiler shows error E119\n...",
    "work_order_id": "6f1c3a7e-8d55-4a63-b5a8-0c6d2d9b1e22",
    "created_at": "2026-05-04T09:12:40Z",
}


def inbox_out(m: Message) -> InboxMessageOut:
    return InboxMessageOut(
        id=str(m.id),
        template=m.template,
        subject=m.subject,
        body=m.body,
        work_order_id=str(m.work_order_id) if m.work_order_id else None,
        created_at=m.created_at,
    )


class MessagesController(Controller):
    path = "/messages"
    tags = ["mobile: messages"]
    guards = [requires(Role.TECHNICIAN)]

    @get(
        "",
        operation_id="listTechnicianMessages",
        responses={
            200: ResponseSpec(
                data_container=InboxPage,
                generate_examples=False,
                description="A page of your messages, newest first",
                examples=[Example(summary="one message", value={"items": [EXAMPLE], "next_cursor": None})],
            ),
            **problem_responses(401, 403, 422),
        },
    )
    async def list_messages(
        self, db_session: DbSession, principal: CurrentPrincipal, cursor: Cursor = None, limit: Limit = 20
    ) -> InboxPage:
        """Technicians: your in-app inbox (the same texts as your e-mails and SMS): job
        offers, visits added to or taken off your plan, payouts sent. Only your own
        messages; times in your time zone. Page with `next_cursor`."""
        page = await service.list_messages(db_session, principal, cursor=cursor, limit=limit)
        return InboxPage(items=[inbox_out(m) for m in page.items], next_cursor=page.next_cursor)
