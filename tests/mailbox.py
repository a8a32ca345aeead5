"""A real local SMTP server (aiosmtpd) for tests, and the mailbox it fills.

Use the `smtp_mailbox` fixture (import it into a conftest): a fresh server on a free port
per test. Point the app's workers at it with `mailbox.config()` (a `MessagingConfig`), e.g.
`build_channels(mailbox.config())` in a task context's extras under
`workers.tasks.messages.CHANNELS_KEY`.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from marketplace.messages.channels import MessagingConfig

LINK = re.compile(r"https?://[^\s<>\"')]+")


@dataclass(frozen=True)
class Mail:
    sender: str
    to: list[str]
    subject: str
    body: str
    message_id: str
    raw: EmailMessage

    def links(self) -> list[str]:
        return LINK.findall(self.body)


class Mailbox:
    """What the SMTP server accepted, in order. `refuse` makes it answer RCPT with 550."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.refuse: set[str] = set()
        self.host = "127.0.0.1"
        self.port = 0
        self._lock = threading.Lock()

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        mail = Mail(
            sender=envelope.mail_from,
            to=list(envelope.rcpt_tos),
            subject=str(parsed["Subject"]),
            body=body,
            message_id=str(parsed["Message-ID"]),
            raw=parsed,
        )
        with self._lock:
            self.mails.append(mail)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.mails if address in m.to]

    def wait_for(self, address: str, count: int = 1, within_s: float = 10.0) -> list[Mail]:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            got = self.to(address)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        return self.to(address)

    def config(self, **overrides: Any) -> MessagingConfig:
        return MessagingConfig(smtp_host=self.host, smtp_port=self.port, smtp_timeout_s=5.0, **overrides)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_mailbox() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
