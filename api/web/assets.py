"""Static files for the server-rendered apps: their own assets and plotly.js from the
installed `plotly` package (no CDN, no third-party code committed)."""

from __future__ import annotations

from pathlib import Path

import plotly
from litestar.response import File

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def asset(path: Path, media_type: str, cache: str = "no-cache") -> File:
    return File(
        path=path, content_disposition_type="inline", media_type=media_type, headers={"Cache-Control": cache}
    )


def plotly_js() -> File:
    return asset(PLOTLY_JS, "text/javascript", "public, max-age=86400")
