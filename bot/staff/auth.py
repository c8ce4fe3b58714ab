"""Staff authentication for /admin: login, sessions in a cookie, CSRF on every form."""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.errors import BadRequest
from bot.web.context import service_of
from bot.web.forms import MAX_BODY_BYTES, form, read_body
from bot.web.templating import page
from locales import N_
from storage import users
from storage.cases import audit
from storage.users import Session

log = logging.getLogger("voorzorg.auth")
COOKIE = "vz_session"
LOGIN_COOKIE = "vz_login"  # double-submit token for the login form itself


def _secure(request: Request) -> bool:
    return service_of(request).settings.public_url.startswith("https://")


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/admin",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


async def current(request: Request) -> Session | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    service = service_of(request)
    return await users.session_for(service.rt.db, token, service.clock.now())


async def require(request: Request, admin: bool = False) -> Session:
    """The signed-in session; GETs without one go to the login page, anything else is 403."""
    session = await current(request)
    if session is None:
        if request.method == "GET":
            query = f"?{request.url.query}" if request.url.query else ""
            target = quote(request.url.path + query, safe="")
            raise HTTPException(303, headers={"location": f"/admin/login?next={target}"})
        raise HTTPException(403, N_("sign in first"))
    if admin and not session.user.is_admin:
        raise HTTPException(403, N_("administrators only"))
    return session


async def posted(request: Request, session: Session, limit: int = MAX_BODY_BYTES) -> dict[str, str]:
    """The form of a POST (at most `limit` bytes), after its CSRF token checks out."""
    try:
        fields = form(await read_body(request, limit))
    except BadRequest as exc:
        raise HTTPException(exc.status, exc.reason) from None
    if not hmac.compare_digest(fields.get("csrf", "").encode(), session.csrf.encode()):
        raise HTTPException(403, N_("the form expired; reload the page"))
    return fields


def _next(raw: str | None) -> str:
    return raw if raw and raw.startswith("/admin/") and "//" not in raw else "/admin/cases"


async def login(request: Request) -> Response:
    service = service_of(request)
    target = _next(request.query_params.get("next"))
    if request.method == "GET":
        token = secrets.token_urlsafe(24)
        response = page("staff_login.html", login_token=token, next=target)
        set_cookie(request, response, LOGIN_COOKIE, token, 600)
        return response
    try:
        fields = form(await read_body(request))
    except BadRequest as exc:
        return Response(exc.reason, status_code=exc.status)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(
        fields.get("login_token", "").encode(), expected.encode()
    ):
        return Response("the form expired; reload the page", status_code=403)
    now, email = service.clock.now(), fields.get("email", "")
    address = request.client.host if request.client else "-"
    user = await users.authenticate(service.rt.db, email, fields.get("password", ""), now, address)
    if user is None:
        log.warning("failed login: account %r from %s", email[:120], address)
        return _login_again(request, target, email)
    session = await users.open_session(service.rt.db, user, now)
    async with service.rt.db.transaction() as tx:
        await audit(tx, user.email, "login", None, now.isoformat())
    response = RedirectResponse(_next(fields.get("next")), status_code=303)
    set_cookie(request, response, COOKIE, session, int(users.SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


def _login_again(request: Request, target: str, email: str) -> Response:
    """The login form again (401), saying it failed: wrong, or locked for a while."""
    token = secrets.token_urlsafe(24)
    response = page(
        "staff_login.html",
        status=401,
        login_token=token,
        next=target,
        failed=True,
        email=email,
    )
    set_cookie(request, response, LOGIN_COOKIE, token, 600)
    return response


async def logout(request: Request) -> Response:
    session = await require(request)
    await posted(request, session)
    await users.close_session(service_of(request).rt.db, request.cookies[COOKIE])
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(COOKIE, path="/admin")
    return response
