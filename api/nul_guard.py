"""Refuse NUL characters in request text at the edge, as a validation problem.

PostgreSQL cannot store U+0000 in text or jsonb, so a NUL that reached a query would fail
there, after work was done, as a database error. Checked once per request, before the
handler's parameters are parsed: the path, every query parameter, and JSON or form bodies.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.exceptions import ValidationException

# An unescaped backslash (one preceded by an even number of backslashes) starting \u0000.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_MESSAGE = "NUL characters (U+0000) are not allowed in text"


def _invalid(source: str, key: str | None) -> ValidationException:
    return ValidationException(
        detail="Validation failed: text contains a NUL character",
        extra=[{"key": key, "source": source, "message": _MESSAGE}],
    )


async def reject_nul_characters(request: Request[Any, Any, Any]) -> None:
    """A `before_request` hook: a NUL anywhere in the request's text is a 422."""
    if "\x00" in request.scope["path"]:
        raise _invalid("path", None)
    for key, value in request.query_params.multi_items():
        if "\x00" in key or "\x00" in value:
            raise _invalid("query", key.replace("\x00", ""))
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    content_type = request.headers.get("content-type", "").lower()
    if "json" in content_type or not content_type:
        if _JSON_NUL.search(await request.body()):
            raise _invalid("body", None)
    elif "x-www-form-urlencoded" in content_type:
        body = (await request.body()).lower()
        if b"%00" in body or b"\x00" in body:
            raise _invalid("body", None)
