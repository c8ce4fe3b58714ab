"""Request bodies as the web app reads them: bounded in size, strictly parsed."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from bot.errors import BadRequest

log = logging.getLogger("voorzorg.web")

MAX_BODY_BYTES = 64 * 1024


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, refused with 413 as soon as it is larger than `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BadRequest(413, "body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """A URL-encoded form as (key, value) pairs, repeated keys kept; UTF-8 only."""
    try:
        text = body.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(400, "malformed form body") from None


def form(body: bytes) -> dict[str, str]:
    """A URL-encoded form as a dict (the last value of a repeated key wins)."""
    return dict(form_pairs(body))


def refuse(exc: BadRequest, route: str) -> Response:
    """Answer a refused request with its status; log the reason, never the body."""
    log.warning("%s: %d %s", route, exc.status, exc.reason)
    return Response(exc.reason, status_code=exc.status, media_type="text/plain")
