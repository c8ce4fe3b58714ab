"""Printable pages per case: the letter with the invite code, and the intake result."""

from __future__ import annotations

import segno
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.staff.auth import require
from bot.staff.case_view import details, visible_case
from bot.web.context import service_of
from bot.web.templating import page
from conversations.script import CONDITIONS
from locales import N_
from storage.cases import audit
from storage.organisations import get_organisation

# Words the intake result shows, for the catalogs: conditions, answer statuses, modes.
LABELS = (
    N_("identity"),
    N_("housing"),
    N_("income"),
    N_("debts"),
    N_("care"),
    N_("network"),
    N_("children"),
    N_("ok"),
    N_("help"),
    N_("unknown"),
    N_("phone"),
    N_("video"),
    N_("visit"),
)


def deep_link(username: str | None, code: str) -> str | None:
    return f"https://t.me/{username}?start={code}" if username else None


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code; segno escapes nothing we did not make ourselves."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title="QR code"))


async def letter(request: Request) -> Response:
    session = await require(request)
    case = await visible_case(request, session)
    service = service_of(request)
    settings = service.settings
    org = await get_organisation(service.rt.db, case.organisation_id)
    if org is None:
        raise HTTPException(404, "no such organisation")
    link = deep_link(settings.telegram_bot_username, case.invite_code)
    async with service.rt.db.transaction() as tx:
        await audit(
            tx, session.user.email, "print_letter", case.id, service.clock.now().isoformat()
        )
    return page(
        "print_letter.html",
        "nl",
        case=case,
        organisation=org["name"],
        organisation_phone=org["phone"],
        sms_number=settings.twilio_from,
        telegram_link=link,
        qr=qr_svg(link) if link else None,
    )


async def intake_result(request: Request) -> Response:
    session = await require(request)
    case = await visible_case(request, session)
    service = service_of(request)
    info = await details(service, case)
    if not info["shared"]:
        raise HTTPException(403, "no consent to share the intake result")
    async with service.rt.db.transaction() as tx:
        await audit(
            tx, session.user.email, "print_intake", case.id, service.clock.now().isoformat()
        )
    answers = {a.condition: a for a in info["answers"]}
    return page(
        "print_intake.html",
        session.user.language,
        case=case,
        conditions=CONDITIONS,
        answers=answers,
        **{k: info[k] for k in ("consent", "appointment", "appointment_mode")},
    )
