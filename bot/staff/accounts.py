"""/admin/accounts: administrators list staff accounts, add them, disable them and set a
new password. Every change is audited."""

from __future__ import annotations

import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.staff.auth import posted, require
from bot.staff.case_view import local_time, zone
from bot.web.context import service_of
from bot.web.templating import page
from locales import N_
from storage import accounts, users
from storage.cases import audit
from storage.organisations import get_organisation


def routes() -> list[Route]:
    return [
        Route("/admin/accounts", index),
        Route("/admin/accounts/{action}", act, methods=["POST"]),
    ]


async def index(request: Request, error: str | None = None, status: int = 200) -> Response:
    """The accounts, with forms to add one, disable one or set a new password."""
    session = await require(request, admin=True)
    service = service_of(request)
    tz = zone(service)
    rows = [
        {
            "account": a,
            "created": local_time(a.created_at, tz),
            "disabled": local_time(a.disabled_at, tz) if a.disabled_at else None,
        }
        for a in await accounts.listed(service.rt.db)
    ]
    return page(
        "staff_accounts.html",
        session.user.language,
        status=status,
        session=session,
        rows=rows,
        error=error,
    )


async def act(request: Request) -> Response:
    """POST /admin/accounts/{add|disable|password}."""
    session = await require(request, admin=True)
    fields = await posted(request, session)
    service = service_of(request)
    action, now = request.path_params["action"], service.clock.now()
    email = fields.get("email", "").strip().lower()
    try:
        async with service.rt.db.transaction() as tx:
            if action == "add":
                await _add(tx, fields, email, now)
            else:
                account = await accounts.by_email(tx, email)
                if account is None:
                    raise HTTPException(404, N_("no such account"))
                if action == "disable":
                    if account.id == session.user.id:
                        raise ValueError(N_("you cannot disable your own account"))
                    await accounts.disable(tx, account.id, now)
                elif action == "password":
                    await accounts.set_password(tx, account.id, fields.get("password", ""))
                else:
                    raise HTTPException(400, N_("unknown action"))
            await audit(tx, session.user.email, f"account_{action}", None, now.isoformat(), email)
    except ValueError as exc:
        return await index(request, error=str(exc), status=400)
    return RedirectResponse("/admin/accounts", status_code=303)


async def _add(tx, fields: dict[str, str], email: str, now) -> None:
    role, organisation = fields.get("role", ""), fields.get("organisation", "").strip() or None
    if role not in ("admin", "contact") or "@" not in email:
        raise ValueError(N_("an account needs an e-mail address and a role"))
    if role == "contact" and (organisation is None or not await get_organisation(tx, organisation)):
        raise ValueError(N_("a contact person needs an existing organisation"))
    try:
        await users.add_user(tx, email, fields.get("password", ""), role, organisation, now)
    except sqlite3.IntegrityError:
        raise ValueError(N_("that e-mail address already has an account")) from None
