"""Printable pages per case: the letter with the invite code, and the intake result."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import aiosqlite
import segno
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.runtime import Runtime
from bot.staff.auth import require
from bot.staff.case_view import details, today, visible_case
from bot.web.context import service_of
from bot.web.templating import page, render
from conversations.script import CONDITIONS
from locales import LANGUAGES, N_
from storage.cases import Case, audit
from storage.db import Database
from storage.organisations import closing_days_of, get_organisation


def deep_link(username: str | None, code: str) -> str | None:
    return f"https://t.me/{username}?start={code}" if username else None


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code; segno escapes nothing we did not make ourselves."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title="QR code"))


REPLY_WORKING_DAYS = 5  # the pilot: reach us within five working days


def letter_language(case: Case) -> str:
    """The case's language when the catalogs speak it, else Dutch."""
    return case.language if case.language in LANGUAGES else "nl"


async def letter_context(
    conn: Database | aiosqlite.Connection, rt: Runtime, case: Case, today: dt.date
) -> dict[str, Any]:
    """What one letter says: the organisation's wording and address from its YAML, the
    letter date, the reply-by date (5 working days of the organisation), and only the ways
    to answer that exist."""
    org = await get_organisation(conn, case.organisation_id)
    if org is None:
        raise HTTPException(404, N_("no such organisation"))
    settings, calendar = rt.settings, rt.with_closing_days(closing_days_of(org))
    language = letter_language(case)
    wording = json.loads(org["letter"] or "{}")
    link = deep_link(settings.telegram_bot_username, case.invite_code)
    reply_by = calendar.add_working_days(
        dt.datetime.combine(today, dt.time(12), tzinfo=calendar.tz), REPLY_WORKING_DAYS
    ).date()
    return {
        "case": case,
        "language": language,
        "wording": wording.get(language) or {},
        "organisation": org["name"],
        "organisation_phone": org["phone"],
        "organisation_address": org["address"],
        "sms_number": settings.twilio_from,
        "telegram_link": link,
        "qr": qr_svg(link) if link else None,
        "letter_date": today,
        "reply_by": reply_by,
    }


async def letter(request: Request) -> Response:
    """GET /admin/cases/{reference}/letter: the letter in the person's language; audited."""
    session = await require(request)
    case = await visible_case(request, session)
    service = service_of(request)
    context = await letter_context(service.rt.db, service.rt, case, today(service))
    async with service.rt.db.transaction() as tx:
        await audit(
            tx, session.user.email, "print_letter", case.id, service.clock.now().isoformat()
        )
    return page(
        "print_letter.html",
        context["language"],
        title=case.reference,
        sheets=[sheet(context)],
    )


def sheet(context: dict[str, Any]) -> Markup:
    """One letter, rendered in its own language (autoescaped there)."""
    fields = {k: v for k, v in context.items() if k != "language"}
    return Markup(render("letter_sheet.html", context["language"], **fields))


def letters_html(contexts: list[dict[str, Any]], title: str) -> str:
    """Many letters in one printable file, a page each, each in its person's language."""
    return render("print_letter.html", "nl", title=title, sheets=[sheet(c) for c in contexts])


async def intake_result(request: Request) -> Response:
    session = await require(request)
    case = await visible_case(request, session)
    service = service_of(request)
    info = await details(service, case)
    if not info["shared"]:
        raise HTTPException(403, N_("no consent to share the intake result"))
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
