"""The installable shell: manifest, service worker, the offline page, and static files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.response import File, Template

from api.deps import AppSettings
from api.tech_app.common import page
from marketplace.sessions import readable_while_suspended

STATIC = Path(__file__).parents[1] / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ASSETS = {
    "tech.css": "text/css",
    "tech.js": "text/javascript",
    "icon.svg": "image/svg+xml",
}


def _file(path: Path, media_type: str, cache: str = "no-cache") -> File:
    return File(
        path=path, content_disposition_type="inline", media_type=media_type, headers={"Cache-Control": cache}
    )


class AssetPages(Controller):
    path = "/"
    include_in_schema = False
    opt = readable_while_suspended()

    @get("/offline")
    async def offline(self, request: Request[Any, Any, Any], settings: AppSettings) -> Template:
        return page(request, settings, "offline.html")

    @get("/manifest.json")
    async def manifest(self) -> File:
        return _file(STATIC / "manifest.json", "application/manifest+json")

    @get("/sw.js")
    async def service_worker(self) -> File:
        return _file(STATIC / "sw.js", "text/javascript")

    @get("/static/plotly.min.js")
    async def plotly_js(self) -> File:
        return _file(PLOTLY_JS, "text/javascript", "public, max-age=86400")

    @get("/static/{name:str}")
    async def static(self, name: str) -> File:
        if name not in ASSETS:
            raise NotFoundException()
        return _file(STATIC / name, ASSETS[name])
