"""Helpdesk webhook: the escalation intake, authenticated by an HMAC signature.

The signature and timestamp are checked on the raw body *before* anything is parsed or
written (see `marketplace.work_orders.helpdesk`): unsigned, forged and stale requests are
401 problems and leave no trace in the database.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.openapi import ResponseSpec
from litestar.params import PathParameter

from api.deps import AppSettings, DbSession, Now, SessionFactory
from api.escalations.controllers import escalation_body
from api.escalations.schemas import EscalationOut, HelpdeskEventIn, to_escalation
from marketplace.errors import Conflict, InvalidInput
from marketplace.external_events import record_external_event
from marketplace.idempotency import run_idempotent
from marketplace.timeutil import to_epoch
from marketplace.work_orders import helpdesk
from marketplace.work_orders.escalation import escalate_ticket


class HelpdeskWebhookController(Controller):
    path = "/webhooks/helpdesk"
    tags = ["webhooks"]
    security = [{}]

    @post(
        "/{helpdesk_name:str}",
        operation_id="receiveHelpdeskEscalation",
        status_code=201,
        responses={
            200: ResponseSpec(
                EscalationOut,
                description=(
                    "Nothing new was created: outcome `existing` (the same work order, context "
                    "appended) or `resolve_remotely` (nothing booked)"
                ),
                generate_examples=False,
            )
        },
    )
    async def receive(
        self,
        now: Now,
        request: Request[Any, Any, Any],
        helpdesk_name: Annotated[str, PathParameter(max_length=64)],
        db_session: DbSession,
        session_factory: SessionFactory,
        settings: AppSettings,
    ) -> Response[EscalationOut]:
        """Escalate a ticket from a helpdesk. Sign `"<timestamp>.<raw body>"` with HMAC-SHA256
        and the helpdesk's shared secret; send `X-Fieldhand-Timestamp` (Unix seconds) and
        `X-Fieldhand-Signature: v1=<hex>`. Requests older than 5 minutes are refused. The
        body is the `escalateTicket` body plus an optional `event_id` (default: a hash of the
        body). A delivery whose `event_id` was seen before changes nothing and gets the first
        delivery's answer again, whatever its body."""
        body = await request.body()
        helpdesk.verify(
            settings.helpdesk_secrets,
            helpdesk_name,
            timestamp=request.headers.get(helpdesk.TIMESTAMP_HEADER),
            signature=request.headers.get(helpdesk.SIGNATURE_HEADER),
            body=body,
            now=to_epoch(now),
        )
        try:
            data = msgspec.json.decode(body, type=HelpdeskEventIn)
        except msgspec.ValidationError as exc:
            raise InvalidInput(f"The event body is not valid: {exc}") from None
        except msgspec.DecodeError:
            raise InvalidInput("The event body is not JSON") from None
        if data.helpdesk != helpdesk_name:
            raise InvalidInput("The body's helpdesk does not match the URL")
        source = f"helpdesk:{helpdesk_name}"[:32]
        event_id = data.event_id or hashlib.sha256(body).hexdigest()

        async def escalate() -> tuple[int, Any]:
            stored = await record_external_event(
                db_session,
                source=source,
                event_id=event_id,
                type="ticket.escalated",
                payload=msgspec.to_builtins(data),
            )
            if stored is None:  # handled before answers were kept: nothing to replay
                raise Conflict("This event was already handled")
            result = await escalate_ticket(db_session, to_escalation(data), actor=None, now=now)
            status, out = escalation_body(result, now)
            return status, msgspec.to_builtins(out)

        # The event id is the helpdesk's idempotency key: the fingerprint is the id alone,
        # so a redelivery with a different body replays the first answer.
        status, answer = await run_idempotent(
            session_factory,
            db_session,
            principal=source,
            key=event_id,
            method=request.method,
            path=request.url.path,
            body=event_id.encode(),
            operation=escalate,
            now=now,
            lock_s=settings.idempotency_lock_s,
        )
        return Response(answer, status_code=status)
