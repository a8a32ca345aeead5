from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.mailbox import Mailbox


async def mailed_link(
    client: AsyncTestClient, mailbox: Mailbox, address: str, page: str, count: int = 1
) -> str:
    """The token of the newest `page` link mailed to `address` (after the workers ran)."""
    await client.app.state.queue.drain()
    mails = mailbox.wait_for(address, count=count)
    found = [link for m in mails for link in m.links() if f"/app/{page}/" in link]
    assert len(found) >= count, [m.body for m in mails]
    return found[-1].rsplit("/", 1)[1]
