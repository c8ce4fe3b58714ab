"""Error pages people see: in the signed-in person's language (Dutch by default), with
the reason and a way back. Webhooks answer providers in plain text and never come here."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.staff.auth import current
from bot.web.templating import page
from locales import N_

TITLES = {
    400: N_("That did not work"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Changed in the meantime"),
    413: N_("Too long"),
}


async def http_error(request: Request, exc: Exception) -> Response:
    """An `HTTPException` on a page: a page; a redirect stays a redirect."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (301, 302, 303, 307, 308) or not _is_page(request):
        return Response(exc.detail, exc.status_code, headers=exc.headers, media_type="text/plain")
    session = await _session(request)
    return page(
        "error.html",
        session.user.language if session else "nl",
        status=exc.status_code,
        session=session,
        title=TITLES.get(exc.status_code, N_("Something went wrong")),
        detail=exc.detail,
        back="/admin/cases" if request.url.path.startswith("/admin") else "/",
    )


def _is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith(("/admin", "/simulator"))


async def _session(request: Request):
    """The signed-in session if there is one; an error page never fails on it."""
    try:
        return await current(request)
    except Exception:
        return None
