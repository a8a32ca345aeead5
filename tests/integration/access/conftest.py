"""Access tests: a real SMTP server per test, the app's in-process workers pointed at it."""

from __future__ import annotations

from tests.integration.messages.conftest import app_mailbox  # noqa: F401  (fixture)
from tests.mailbox import smtp_mailbox  # noqa: F401  (fixture)
