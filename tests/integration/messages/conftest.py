"""Messages tests: a real SMTP server per test, and the app's in-process workers pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient

from marketplace.messages.channels import build_channels
from tests.mailbox import Mailbox, smtp_mailbox  # noqa: F401  (fixture)
from workers.queue import InProcessQueue
from workers.tasks.messages import CHANNELS_KEY


@pytest.fixture
def app_mailbox(client: AsyncTestClient, smtp_mailbox: Mailbox) -> Iterator[Mailbox]:  # noqa: F811
    """The app under test delivers its e-mails to `smtp_mailbox`."""
    queue = client.app.state.queue
    assert isinstance(queue, InProcessQueue) and queue.ctx is not None
    extras = queue.ctx.extras
    before = extras.get(CHANNELS_KEY)
    extras[CHANNELS_KEY] = build_channels(smtp_mailbox.config())
    yield smtp_mailbox
    if before is None:
        extras.pop(CHANNELS_KEY, None)
    else:
        extras[CHANNELS_KEY] = before
