"""The live hub of one API process: wakes the server-sent-event streams whose topics changed.

With Redis it listens on the live channel (`marketplace.live.CHANNEL`), so a change committed
by any API process or worker reaches the streams open on this one; without Redis the process
publishes to itself (`LocalLiveBus`). A stream registers its topics *before* it reads the
database, so a change committed between its read and its wait still wakes it, and it reads
again at least every `fallback_s` whatever the bus says (a pub/sub message is not queued
for a listener that is reconnecting).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from marketplace.live import CHANNEL, LiveBus, LocalLiveBus, RedisLiveBus, decode

log = logging.getLogger(__name__)

RECONNECT_S = 1.0


class LiveHub:
    def __init__(self, *, fallback_s: float) -> None:
        self.fallback_s = fallback_s
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._listener: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()  # set while the Redis subscription is live

    def deliver(self, topics: Sequence[str]) -> None:
        for topic in topics:
            for woken in self._watchers.get(topic, ()):
                woken.set()

    @contextlib.contextmanager
    def watching(self, topics: Iterable[str]) -> Iterator[asyncio.Event]:
        """An event set when any of `topics` changes while the block runs."""
        woken = asyncio.Event()
        names = set(topics)
        for topic in names:
            self._watchers.setdefault(topic, set()).add(woken)
        try:
            yield woken
        finally:
            for topic in names:
                watchers = self._watchers.get(topic)
                if watchers is not None:
                    watchers.discard(woken)
                    if not watchers:
                        del self._watchers[topic]

    async def wait(self, woken: asyncio.Event, *, at_most_s: float | None = None) -> bool:
        """True when woken by a change, False after `at_most_s` (default: the fallback)."""
        try:
            async with asyncio.timeout(self.fallback_s if at_most_s is None else at_most_s):
                await woken.wait()
        except TimeoutError:
            return False
        return True

    def bus_for(self, redis: Any | None) -> LiveBus:
        """Where this process publishes: Redis when configured (and then listen there too),
        else straight to this hub."""
        if redis is None:
            return LocalLiveBus(self.deliver)
        self._listener = asyncio.create_task(self._listen(redis), name="live-hub")
        return RedisLiveBus(redis)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener

    async def _listen(self, redis: Any) -> None:
        while True:
            pubsub = redis.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                self.subscribed.set()
                # everything published while we were away: read it all again
                self.deliver(list(self._watchers))
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self.deliver(decode(message.get("data")))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live channel lost; reconnecting", exc_info=True)
            finally:
                self.subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(RECONNECT_S)
