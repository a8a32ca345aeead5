"""A small stand-in for an OSRM `/table` and a Valhalla `/sources_to_targets` server.

Neither server can be installed here, so tests talk HTTP to this one instead. It answers
with straight-line travel at 10 m/s (so answers are predictable), and `mode` makes it
misbehave the ways a real one does: `down` (HTTP 503), `slow` (answers after `delay_s`),
`error` (OSRM code `NoTable`), `unroutable` (a null cell), `garbage` (not JSON).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    dx = math.radians(b[1] - a[1]) * math.cos(lat) * 6_371_008.8
    dy = math.radians(b[0] - a[0]) * 6_371_008.8
    return math.hypot(dx, dy)


class TableServer(ThreadingHTTPServer):
    mode = "ok"
    delay_s = 2.0
    requests = 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up on a slow answer closed its socket: expected, not news."""


class _Handler(BaseHTTPRequestHandler):
    server: TableServer

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: Any, raw: bool = False) -> None:
        data = body if raw else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _misbehave(self) -> bool:
        self.server.requests += 1
        mode = self.server.mode
        if mode == "down":
            self._send(503, {"message": "overloaded"})
            return True
        if mode == "slow":
            time.sleep(self.server.delay_s)
        if mode == "garbage":
            self._send(200, b"<html>proxy error</html>", raw=True)
            return True
        return False

    def do_GET(self) -> None:  # OSRM: /table/v1/{profile}/{lng,lat;...}?sources=..&destinations=..
        if self._misbehave():
            return
        url = urlsplit(self.path)
        coords = [tuple(map(float, p.split(","))) for p in url.path.rsplit("/", 1)[-1].split(";")]
        points = [(lat, lng) for lng, lat in coords]
        query = parse_qs(url.query)
        sources = [int(i) for i in query["sources"][0].split(";")]
        targets = [int(i) for i in query["destinations"][0].split(";")]
        if self.server.mode == "error":
            self._send(200, {"code": "NoTable", "message": "no table"})
            return
        metres: list[list[float | None]] = [[_metres(points[i], points[j]) for j in targets] for i in sources]
        if self.server.mode == "unroutable":
            metres[0][-1] = None
        seconds = [[None if m is None else m / 10.0 for m in row] for row in metres]
        self._send(200, {"code": "Ok", "durations": seconds, "distances": metres})

    def do_POST(self) -> None:  # Valhalla: /sources_to_targets
        if self._misbehave():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        sources = [(p["lat"], p["lon"]) for p in body["sources"]]
        targets = [(p["lat"], p["lon"]) for p in body["targets"]]
        table = [
            [{"distance": _metres(s, t) / 1000.0, "time": _metres(s, t) / 10.0} for t in targets]
            for s in sources
        ]
        self._send(200, {"sources_to_targets": table})


@contextmanager
def table_server(mode: str = "ok") -> Iterator[tuple[TableServer, str]]:
    server = TableServer(("127.0.0.1", 0), _Handler)
    server.mode = mode
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
