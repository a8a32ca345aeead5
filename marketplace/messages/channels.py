"""Where messages physically go: e-mail over SMTP, SMS through a provider.

Settings (`FIELDHAND_*`): `SMTP_HOST`, `SMTP_PORT`, `SMTP_FROM`, `SMTP_USERNAME`,
`SMTP_PASSWORD`, `SMTP_STARTTLS`, `SMTP_SSL`, `SMTP_TIMEOUT_S`, `MESSAGES_MAX_ATTEMPTS`,
`MESSAGES_RETRY_BASE_S`. Without `SMTP_HOST` e-mails are written to the log (development,
`make run`); SMS always uses the logging development provider until a real one is plugged
in behind `SmsSender`.

Senders raise `TransientDeliveryError` for what is worth retrying (server down, timeouts,
4xx SMTP replies) and `PermanentDeliveryError` for refusals (5xx: bad address, rejected).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class MessagingConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIELDHAND_", extra="ignore")

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "Fieldhand <no-reply@fieldhand.localhost>"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_s: float = 10.0
    messages_max_attempts: int = 6
    messages_retry_base_s: int = 30

    def retry_after_s(self, attempt: int) -> int:
        """Exponential backoff after the `attempt`-th failure, capped at an hour."""
        return int(min(self.messages_retry_base_s * 2 ** max(attempt - 1, 0), 3600))


class TransientDeliveryError(Exception):
    """Worth trying again later."""


class PermanentDeliveryError(Exception):
    """The server or provider refused this message for good."""


@dataclass(frozen=True, slots=True)
class Email:
    message_id: str  # stable per message row: a resend after a crash carries the same id
    to: str
    subject: str
    body: str


class EmailSender(Protocol):
    name: str

    async def send(self, email: Email) -> None: ...


class SmsSender(Protocol):
    name: str

    async def send(self, to: str, text: str, *, message_id: str) -> None: ...


class LogEmailSender:
    """No SMTP configured: the mail goes to the log (and the copy in the inbox stays)."""

    name = "log"

    async def send(self, email: Email) -> None:
        log.info(
            "e-mail (no SMTP configured)",
            extra={
                "to": email.to,
                "subject": email.subject,
                "body": email.body,
                "message_id": email.message_id,
            },
        )


class SmtpEmailSender:
    """Plain `smtplib` in a worker thread: one connection per message."""

    name = "smtp"

    def __init__(self, config: MessagingConfig) -> None:
        assert config.smtp_host, "SmtpEmailSender needs FIELDHAND_SMTP_HOST"
        self.config = config

    async def send(self, email: Email) -> None:
        await asyncio.to_thread(self._send_blocking, email)

    def _build(self, email: Email) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.config.smtp_from
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Message-ID"] = make_msgid(idstring=email.message_id, domain="fieldhand")
        msg.set_content(email.body)
        return msg

    def _send_blocking(self, email: Email) -> None:
        config = self.config
        assert config.smtp_host is not None
        try:
            smtp: smtplib.SMTP
            if config.smtp_ssl:
                smtp = smtplib.SMTP_SSL(
                    config.smtp_host,
                    config.smtp_port,
                    timeout=config.smtp_timeout_s,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.smtp_timeout_s)
            with smtp:
                if config.smtp_starttls and not config.smtp_ssl:
                    smtp.starttls(context=ssl.create_default_context())
                if config.smtp_username:
                    smtp.login(config.smtp_username, config.smtp_password or "")
                smtp.send_message(self._build(email))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentDeliveryError(f"recipient refused: {exc.recipients}") from exc
            raise TransientDeliveryError(f"recipient deferred: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if exc.smtp_code >= 500:
                raise PermanentDeliveryError(text) from exc
            raise TransientDeliveryError(text) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, DNS
            raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc


class LogSmsSender:
    """Development SMS provider: writes the text to the log."""

    name = "dev-sms"

    async def send(self, to: str, text: str, *, message_id: str) -> None:
        log.info("sms (development provider)", extra={"to": to, "text": text, "message_id": message_id})


@dataclass(frozen=True, slots=True)
class Channels:
    """The senders and retry policy a delivery uses (built once per worker)."""

    email: EmailSender
    sms: SmsSender
    config: MessagingConfig


def build_channels(config: MessagingConfig | None = None) -> Channels:
    config = config or MessagingConfig()
    email: EmailSender = SmtpEmailSender(config) if config.smtp_host else LogEmailSender()
    return Channels(email=email, sms=LogSmsSender(), config=config)
