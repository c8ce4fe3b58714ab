"""/admin/cases: the contact person's workspace. Only their own organisation's cases."""

from __future__ import annotations

import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.errors import NoRoute
from bot.outreach import handoff, turns
from bot.staff import accounts, printouts, report, workspace
from bot.staff.action import Action, Handler, incomplete
from bot.staff.auth import login, logout, posted, require
from bot.staff.case_view import details, local_time, today, visible_case, zone
from bot.web.context import service_of
from bot.web.templating import page
from locales import N_
from storage import appointments, casework, contacts, escalations, users
from storage.cases import audit, get_case

OUTCOMES = (N_("plan_made"), N_("referred"), N_("reached_by_phone"), N_("not_reachable"))
URGENCY = {"kind_check": 0, "report_soon": 1, "asked_for_human": 2, "postponement": 2}
NOT_URGENT = 3  # a reason not in URGENCY
CALM = 9  # no open reason at all
MAX_NOTE = 4000


def routes() -> list[Route]:
    return [
        Route("/", home),
        Route("/admin", lambda request: RedirectResponse("/admin/cases", status_code=303)),
        Route("/admin/login", login, methods=["GET", "POST"]),
        Route("/admin/logout", logout, methods=["POST"]),
        Route("/admin/cases", case_list),
        Route("/admin/cases/{reference}", case_page),
        Route("/admin/cases/{reference}/letter", printouts.letter),
        Route("/admin/cases/{reference}/intake", printouts.intake_result),
        Route("/admin/cases/{reference}/call", workspace.call_page),
        Route("/admin/cases/{reference}/plan", workspace.plan_print),
        Route("/admin/cases/{reference}/handover", workspace.handover),
        Route("/admin/cases/{reference}/{action}", case_action, methods=["POST"]),
        Route("/admin/audit", audit_log),
        Route("/admin/language", set_language, methods=["POST"]),
        Route("/admin/report", report.report_page),
        *accounts.routes(),
    ]


async def home(request: Request) -> Response:
    """`/`: the way in for staff, and in the sandbox for trying the bot as a person."""
    return page("home.html", sandbox=service_of(request).settings.sandbox)


async def case_list(request: Request) -> Response:
    """The cases that need attention first, then by days left; search by reference or name."""
    session = await require(request)
    service = service_of(request)
    user = session.user
    scope = None if user.is_admin else user.organisation_id
    day = today(service)
    query = request.query_params.get("q", "").strip().lower()
    only_attention = request.query_params.get("attention") == "1"
    cases = []
    for item in await casework.listed(service.rt.db, service.rt.vault, scope):
        case = item.case
        reasons = sorted(set(item.open_reasons), key=lambda r: URGENCY.get(r, NOT_URGENT))
        if query and query not in case.reference.lower() and query not in case.first_name.lower():
            continue
        if only_attention and not reasons and case.taken_over_by is None:
            continue
        cases.append(
            {
                "case": case,
                "reasons": reasons,
                "urgency": min((URGENCY.get(r, NOT_URGENT) for r in reasons), default=CALM),
                "days_left": (case.report_date - day).days,
            }
        )
    cases.sort(key=_most_urgent_first)
    return page(
        "staff_cases.html",
        session.user.language,
        session=session,
        cases=cases,
        q=request.query_params.get("q", ""),
        attention=only_attention,
    )


def _most_urgent_first(item: dict) -> tuple:
    """Kind-checks first, then by days to the report date; closed cases last."""
    return (item["urgency"] != 0, item["case"].status == "closed", item["days_left"])


async def case_page(request: Request) -> Response:
    """One case: escalations, answers, appointment, conversation, notes; viewing is audited."""
    session = await require(request)
    case = await visible_case(request, session)
    service = service_of(request)
    now = service.clock.now()
    async with service.rt.db.transaction() as tx:
        await audit(tx, session.user.email, "view", case.id, now.isoformat())
    return page(
        "staff_case.html",
        session.user.language,
        session=session,
        case=case,
        days_left=(case.report_date - today(service)).days,
        outcomes=OUTCOMES,
        attempt_kinds=workspace.ATTEMPT_KINDS,
        attempt_outcomes=workspace.ATTEMPT_OUTCOMES,
        plan_conditions=workspace.PLAN_CONDITIONS,
        plan_who=workspace.WHO,
        zone=zone(service),
        offers=await appointments.free_offers(
            service.rt.db,
            case.organisation_id,
            now,
            case.report_date,
            limit=12,
            calendar=await service.rt.calendar_of(service.rt.db, case.organisation_id),
        ),
        **await details(service, case),
    )


async def _acknowledge(a: Action) -> None:
    """An escalation of this case is taken on (a stale or foreign id changes nothing)."""
    escalation = a.fields.get("escalation", "")
    if escalation.isdigit():
        by = f"page:{a.session.user.email}"
        await escalations.acknowledge(a.tx, int(escalation), a.case.id, by, a.now)


async def _note(a: Action) -> None:
    """A note on the case, sealed; at most MAX_NOTE characters are kept."""
    if not a.text():
        raise incomplete()
    vault = a.service.rt.vault
    await casework.add_note(a.tx, vault, a.case.id, a.session.user.id, a.text()[:MAX_NOTE], a.now)


async def _contact(a: Action) -> sqlite3.Row | None:
    """The signed-in user's contact-person record in the case's organisation, if any."""
    return await contacts.of_user(a.tx, a.session.user.email, a.case.organisation_id)


async def _take_over(a: Action) -> None:
    """The signed-in contact person handles the conversation; the bot relays."""
    contact = await _contact(a)
    if contact is None:
        raise incomplete()
    await handoff.take_over(a.tx, a.service.rt, a.case, contact["id"], a.now)


async def _say(a: Action) -> None:
    """Write to the person as the contact person, while the conversation is taken over."""
    if not a.case.taken_over_by or not a.text():
        raise incomplete()
    contact = await _contact(a)
    name = contact["name"] if contact else a.session.user.email
    try:
        await handoff.say_to_person(a.tx, a.service.rt, a.case, name, a.text(), a.now)
    except NoRoute as exc:
        raise HTTPException(409, str(exc)) from None


async def _hand_back(a: Action) -> None:
    """The bot picks the conversation up again."""
    if not a.case.taken_over_by:
        raise incomplete()
    await handoff.hand_back(a.tx, a.service.rt, a.case, a.now)


async def _book(a: Action) -> None:
    """Book (or move to) a free time for the person, who is told on their channel."""
    chosen = a.fields.get("offer")
    if not chosen:
        raise incomplete()
    case, rt = a.case, a.service.rt
    offers = await appointments.free_offers(
        a.tx,
        case.organisation_id,
        a.now,
        case.report_date,
        calendar=await rt.calendar_of(a.tx, case.organisation_id),
    )
    offer = next((o for o in offers if f"{o.slot_id}@{o.start.isoformat()}" == chosen), None)
    if offer is None:
        raise HTTPException(409, N_("that time is no longer free; reload the page"))
    await turns.book_for_person(a.tx, rt, case, offer, a.now)


async def _appointment(a: Action) -> None:
    """The booked appointment was kept or missed."""
    status = a.fields.get("status")
    if status not in ("kept", "missed"):
        raise incomplete()
    await appointments.mark(a.tx, a.case.id, status)


async def _outcome(a: Action) -> None:
    """What came of the case; the case is closed too when asked."""
    outcome = a.fields.get("outcome")
    if outcome not in OUTCOMES:
        raise incomplete()
    await casework.set_outcome(a.tx, a.case.id, outcome, close=a.fields.get("close") == "1")


ACTIONS: dict[str, Handler] = {
    "ack": _acknowledge,
    "note": _note,
    "takeover": _take_over,
    "say": _say,
    "handback": _hand_back,
    "book": _book,
    "appointment": _appointment,
    "outcome": _outcome,
    **workspace.ACTIONS,
}


async def case_action(request: Request) -> Response:
    """POST /admin/cases/{reference}/{action}: one handler per action, audited, committed."""
    session = await require(request)
    visible = await visible_case(request, session)
    fields = await posted(request, session)
    service = service_of(request)
    action, now = request.path_params["action"], service.clock.now()
    handler = ACTIONS.get(action)
    if handler is None:
        raise incomplete()
    async with service.rt.db.transaction() as tx:
        case = await get_case(tx, service.rt.vault, case_id=visible.id)
        if case is None:
            raise HTTPException(404, N_("no such case"))
        await handler(Action(tx, service, session, case, fields, now))
        await audit(tx, session.user.email, action, case.id, now.isoformat())
    service.wake_sender()
    return RedirectResponse(f"/admin/cases/{case.reference}", status_code=303)


async def audit_log(request: Request) -> Response:
    """The newest audit entries, for administrators."""
    session = await require(request, admin=True)
    service = service_of(request)
    tz = zone(service)
    rows = await casework.audit_log(service.rt.db)
    return page(
        "staff_audit.html",
        session.user.language,
        session=session,
        rows=[dict(r) | {"when": local_time(r["at"], tz)} for r in rows],
    )


async def set_language(request: Request) -> Response:
    """Dutch by default; each staff member can choose English."""
    session = await require(request)
    fields = await posted(request, session)
    language = fields.get("language")
    if language not in ("nl", "en"):
        raise HTTPException(400, N_("nl or en"))
    async with service_of(request).rt.db.transaction() as tx:
        await users.set_language(tx, session.user.id, language)
    target = fields.get("back", "/admin/cases")
    return RedirectResponse(target if target.startswith("/admin/") else "/admin/cases", 303)
