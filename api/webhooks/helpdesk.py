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
from litestar.params import PathParameter

from api.deps import AppSettings, DbSession, Now
from api.escalations.controllers import escalation_body
from api.escalations.schemas import HelpdeskEventIn, to_escalation
from marketplace.errors import InvalidInput
from marketplace.external_events import record_external_event
from marketplace.timeutil import to_epoch
from marketplace.work_orders import helpdesk
from marketplace.work_orders.service import escalate_ticket


class HelpdeskWebhookController(Controller):
    path = "/webhooks/helpdesk"
    tags = ["webhooks"]
    security = [{}]

    @post("/{helpdesk_name:str}", operation_id="receiveHelpdeskEscalation", status_code=201)
    async def receive(
        self,
        now: Now,
        request: Request[Any, Any, Any],
        helpdesk_name: Annotated[str, PathParameter(max_length=64)],
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        """Escalate a ticket from a helpdesk. Sign `"<timestamp>.<raw body>"` with HMAC-SHA256
        and the helpdesk's shared secret; send `X-Fieldhand-Timestamp` (Unix seconds) and
        `X-Fieldhand-Signature: v1=<hex>`. Requests older than 5 minutes are refused. The
        body is the `escalateTicket` body plus an optional `event_id`."""
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
        event_id = data.event_id or hashlib.sha256(body).hexdigest()
        await record_external_event(
            db_session,
            source=f"helpdesk:{helpdesk_name}"[:32],
            event_id=event_id,
            type="ticket.escalated",
            payload=msgspec.to_builtins(data),
        )
        result = await escalate_ticket(db_session, to_escalation(data), actor=None, now=now)
        status, out = escalation_body(result, now)
        return Response(out, status_code=status)
