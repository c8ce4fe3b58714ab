"""/admin/cases: the contact person's workspace. Only their own organisation's cases."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.outreach import handoff, scheduler, timeline, turns
from bot.outreach.alerts import REASONS
from bot.service import Service
from bot.staff import printouts, report
from bot.staff.auth import login, logout, posted, require
from bot.staff.case_view import details, local_time, visible_case
from bot.web.templating import page
from conversations import engine
from conversations.calendar import AMSTERDAM
from locales import N_
from storage import appointments
from storage.cases import Case, audit, get_case
from storage.users import Session

OUTCOMES = (N_("plan_made"), N_("referred"), N_("reached_by_phone"), N_("not_reachable"))
URGENCY = {"kind_check": 0, "asked_for_human": 1, "postponement": 1, "no_slot_fits": 2}


def routes() -> list[Route]:
    return [
        Route("/admin", lambda request: RedirectResponse("/admin/cases", status_code=303)),
        Route("/admin/login", login, methods=["GET", "POST"]),
        Route("/admin/logout", logout, methods=["POST"]),
        Route("/admin/cases", case_list),
        Route("/admin/cases/{reference}", case_page),
        Route("/admin/cases/{reference}/letter", printouts.letter),
        Route("/admin/cases/{reference}/intake", printouts.intake_result),
        Route("/admin/cases/{reference}/{action}", case_action, methods=["POST"]),
        Route("/admin/audit", audit_log),
        Route("/admin/language", set_language, methods=["POST"]),
        Route("/admin/report", report.report_page),
    ]


def _service(request: Request) -> Service:
    return request.app.state.voorzorg


async def case_list(request: Request) -> Response:
    session = await require(request)
    service = _service(request)
    rt, user = service.rt, session.user
    where, params = (
        ("", ()) if user.is_admin else ("WHERE c.organisation_id = ?", (user.organisation_id,))
    )
    rows = await rt.db.fetchall(
        f"""SELECT c.reference, group_concat(e.reason) AS open_reasons
            FROM cases c LEFT JOIN escalations e
              ON e.case_id = c.id AND e.acknowledged_at IS NULL
            {where} GROUP BY c.id ORDER BY c.report_date LIMIT 2000""",
        params,
    )
    today = service.clock.now().astimezone(AMSTERDAM).date()
    query = request.query_params.get("q", "").strip().lower()
    only_attention = request.query_params.get("attention") == "1"
    cases = []
    for row in rows:
        case = await get_case(rt.db, rt.vault, reference=row["reference"])
        reasons = sorted(
            set((row["open_reasons"] or "").split(",")) - {""}, key=lambda r: URGENCY.get(r, 3)
        )
        if query and query not in case.reference.lower() and query not in case.first_name.lower():
            continue
        if only_attention and not reasons and case.taken_over_by is None:
            continue
        cases.append(
            {
                "case": case,
                "reasons": [REASONS.get(r, r) for r in reasons],
                "urgency": min((URGENCY.get(r, 3) for r in reasons), default=9),
                "days_left": (case.report_date - today).days,
            }
        )
    cases.sort(key=lambda c: (c["urgency"], c["days_left"]))
    return page(
        "staff_cases.html",
        session.user.language,
        session=session,
        cases=cases,
        q=request.query_params.get("q", ""),
        attention=only_attention,
    )


async def case_page(request: Request) -> Response:
    session = await require(request)
    case = await visible_case(request, session)
    service = _service(request)
    now = service.clock.now()
    async with service.rt.db.transaction() as tx:
        await audit(tx, session.user.email, "view", case.id, now.isoformat())
    return page(
        "staff_case.html",
        session.user.language,
        session=session,
        case=case,
        days_left=(case.report_date - now.astimezone(AMSTERDAM).date()).days,
        outcomes=OUTCOMES,
        amsterdam=AMSTERDAM,
        offers=await appointments.free_offers(
            service.rt.db, case.organisation_id, now, case.report_date, limit=12
        ),
        **await details(service, case),
    )


async def case_action(request: Request) -> Response:
    session = await require(request)
    case = await visible_case(request, session)
    fields = await posted(request, session)
    service = _service(request)
    action, now = request.path_params["action"], service.clock.now()
    contact = await _contact_of(service, session, case)
    async with service.rt.db.transaction() as tx:
        if action == "ack":
            await tx.execute(
                """UPDATE escalations SET acknowledged_at = ?, acknowledged_by = ?
                   WHERE id = ? AND case_id = ? AND acknowledged_at IS NULL""",
                (now.isoformat(), f"page:{session.user.email}", fields.get("escalation"), case.id),
            )
        elif action == "note" and fields.get("text", "").strip():
            await tx.execute(
                "INSERT INTO case_notes (case_id, user_id, at, body) VALUES (?, ?, ?, ?)",
                (
                    case.id,
                    session.user.id,
                    now.isoformat(),
                    service.rt.vault.seal(fields["text"].strip()[:4000], "case_notes.body"),
                ),
            )
        elif action == "takeover" and contact is not None:
            await handoff.take_over(tx, service.rt, case, contact["id"], now)
        elif action == "say" and case.taken_over_by and fields.get("text", "").strip():
            try:
                await handoff.say_to_person(
                    tx,
                    service.rt,
                    case,
                    contact["name"] if contact else session.user.email,
                    fields["text"].strip(),
                    now,
                )
            except handoff.NoRoute as exc:
                raise HTTPException(409, str(exc)) from None
        elif action == "handback" and case.taken_over_by:
            await handoff.hand_back(tx, service.rt, case, now)
        elif action == "book" and fields.get("offer"):
            await _book(tx, service, case, fields["offer"], now)
        elif action == "appointment" and fields.get("status") in ("kept", "missed"):
            await tx.execute(
                "UPDATE appointments SET status = ? WHERE case_id = ? AND status = 'booked'",
                (fields["status"], case.id),
            )
        elif action == "outcome" and fields.get("outcome") in OUTCOMES:
            status = "closed" if fields.get("close") == "1" else case.status
            await tx.execute(
                "UPDATE cases SET outcome = ?, status = ? WHERE id = ?",
                (fields["outcome"], status, case.id),
            )
        else:
            raise HTTPException(400, "unknown or incomplete action")
        await audit(tx, session.user.email, action, case.id, now.isoformat())
    service.sender.wake.set()
    return RedirectResponse(f"/admin/cases/{case.reference}", status_code=303)


async def _book(tx, service: Service, case: Case, chosen: str, now) -> None:
    """Book (or move to) a free time for the person, and tell them on their channel."""
    offers = await appointments.free_offers(tx, case.organisation_id, now, case.report_date)
    offer = next((o for o in offers if f"{o.slot_id}@{o.start.isoformat()}" == chosen), None)
    if offer is None:
        raise HTTPException(409, "that time is no longer free; reload the page")
    await appointments.cancel_booked(tx, case.id, now)
    await scheduler.cancel(tx, case.id, ("appointment_reminder",), now, "moved by staff")
    booked = await appointments.book(tx, case.id, case.organisation_id, offer, now)
    await turns.plan_appointment_reminders(tx, case, booked, offer.start, now)
    state, script = await turns.conversation(tx, service.rt, case)
    target = await timeline.route(tx, service.rt, case)
    if state is not None and target is not None:
        at_booking = state.step == script.booking_step
        state = state.evolve(
            appointment=offer.to_dict(), offered=[], step=None if at_booking else state.step
        )
        facts = await turns.facts_for(tx, case)
        outcome = engine.remind(state, script, "appointment_set", facts, now)
        await turns.save(tx, service.rt, case, script, outcome, *target, now)


async def _contact_of(service: Service, session: Session, case: Case):
    """The contact-person record of the signed-in user, in the case's organisation."""
    return await service.rt.db.fetchone(
        "SELECT * FROM contacts WHERE email = ? AND organisation_id = ?",
        (session.user.email, case.organisation_id),
    )


async def audit_log(request: Request) -> Response:
    session = await require(request, admin=True)
    rows = await _service(request).rt.db.fetchall(
        """SELECT a.at, a.actor, a.action, c.reference, a.detail FROM audit_log a
           LEFT JOIN cases c ON c.id = a.case_id ORDER BY a.id DESC LIMIT 500"""
    )
    return page(
        "staff_audit.html",
        session.user.language,
        session=session,
        rows=[dict(r) | {"when": local_time(r["at"])} for r in rows],
    )


async def set_language(request: Request) -> Response:
    """Dutch by default; each staff member can choose English."""
    session = await require(request)
    fields = await posted(request, session)
    language = fields.get("language")
    if language not in ("nl", "en"):
        raise HTTPException(400, "nl or en")
    async with _service(request).rt.db.transaction() as tx:
        await tx.execute("UPDATE users SET language = ? WHERE id = ?", (language, session.user.id))
    target = fields.get("back", "/admin/cases")
    return RedirectResponse(target if target.startswith("/admin/") else "/admin/cases", 303)
