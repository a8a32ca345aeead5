"""Profile listSlots and bookAppointment in one process with pyinstrument.

    python -m bench.profile_api --requests 200

Seeds the same region as `bench.api_load` (fresh database), runs the app in-process
(httpx ASGI transport, no sockets) and writes bench/results/profile_<route>.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import uuid
from pathlib import Path

import httpx
from pyinstrument import Profiler

from api.app import create_app
from bench.api_load import REDIS, SECRET, create_database, drop_database, seed
from marketplace import migrations
from marketplace.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


async def main(requests: int) -> None:
    url = await create_database()
    try:
        await asyncio.to_thread(migrations.upgrade, url)
        settings = Settings(
            database_url=url,
            redis_url=REDIS,
            jwt_secret=SECRET,
            environment="bench",
            queue_name=f"fieldhand:profile:{uuid.uuid4().hex[:6]}",
        )
        orders = await seed(settings, technicians=250, orders=2000, customers=40)
        app = create_app(settings)
        async with (
            app.lifespan(),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
        ):
            slots: dict[str, dict[str, str]] = {}
            for route in ("slots", "book"):
                profiler = Profiler(async_mode="enabled")
                picks = orders[:requests] if route == "slots" else orders[requests : 2 * requests]
                if route == "book":  # spread over the offered windows, as `bench.api_load book` does
                    for i, (o, t) in enumerate(picks):
                        r = await client.get(
                            f"/work-orders/{o}/slots?days=3", headers={"Authorization": f"Bearer {t}"}
                        )
                        got = r.json().get("slots") or []
                        if got:
                            pick = got[i % len(got)]
                            slots[o] = {"window_start": pick["start"], "window_end": pick["end"]}
                profiler.start()
                codes: dict[int, int] = {}
                for i, (o, t) in enumerate(picks):
                    headers = {"Authorization": f"Bearer {t}"}
                    if route == "slots":
                        await client.get(f"/work-orders/{o}/slots?days=2", headers=headers)
                    elif o in slots:
                        headers["Idempotency-Key"] = f"profile-{i}"
                        r = await client.post(f"/work-orders/{o}/appointment", json=slots[o], headers=headers)
                        codes[r.status_code] = codes.get(r.status_code, 0) + 1
                profiler.stop()
                if codes:
                    print(f"bookings by status: {dict(sorted(codes.items()))}")
                out = ROOT / "bench" / "results" / f"profile_{route}.txt"
                out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
                print(f"wrote {out}")
    finally:
        await drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.profile_api")
    parser.add_argument("--requests", type=int, default=200)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    asyncio.run(main(parser.parse_args().requests))
