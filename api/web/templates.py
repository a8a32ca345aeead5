"""One Jinja engine for every server-rendered app; each app keeps its own template folder."""

from __future__ import annotations

from pathlib import Path

from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig


def template_config(*directories: Path) -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=list(directories), engine=JinjaTemplateEngine)
