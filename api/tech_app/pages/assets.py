"""The installable shell: manifest, service worker, the offline page, and static files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.response import File, Template

from api.deps import AppSettings
from api.tech_app.common import page
from api.web import assets
from marketplace.sessions import readable_while_suspended

STATIC = Path(__file__).parents[1] / "static"
ASSETS = {
    "tech.css": "text/css",
    "tech.js": "text/javascript",
    "icon.svg": "image/svg+xml",
}


class AssetPages(Controller):
    path = "/"
    include_in_schema = False
    opt = readable_while_suspended()

    @get("/offline")
    async def offline(self, request: Request[Any, Any, Any], settings: AppSettings) -> Template:
        return page(request, settings, "offline.html")

    @get("/manifest.json")
    async def manifest(self) -> File:
        return assets.asset(STATIC / "manifest.json", "application/manifest+json")

    @get("/sw.js")
    async def service_worker(self) -> File:
        return assets.asset(STATIC / "sw.js", "text/javascript")

    @get("/static/plotly.min.js")
    async def plotly_js(self) -> File:
        return assets.plotly_js()

    @get("/static/{name:str}")
    async def static(self, name: str) -> File:
        if name not in ASSETS:
            raise NotFoundException()
        return assets.asset(STATIC / name, ASSETS[name])
