"""/admin/cases: the contact person's workspace. Only their own organisation's cases."""

from __future__ import annotations

import datetime as dt
import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import handoff, reporting
from bot.alerts import REASONS
from bot.service import Service
from bot.staff_auth import login, logout, page, posted, require
from conversations.calendar import AMSTERDAM
from locales import N_
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
        Route("/admin/cases/{reference}/{action}", case_action, methods=["POST"]),
        Route("/admin/audit", audit_log),
        Route("/admin/report", reporting.report_page),
    ]


def _service(request: Request) -> Service:
    return request.app.state.voorzorg


def _visible(session: Session, case: Case | None) -> bool:
    return case is not None and (
        session.user.is_admin or case.organisation_id == session.user.organisation_id
    )


async def _case(request: Request, session: Session) -> Case:
    service = _service(request)
    case = await get_case(
        service.rt.db, service.rt.vault, reference=request.path_params["reference"]
    )
    if not _visible(session, case):
        raise HTTPException(404, "no such case")  # another organisation's case does not exist
    assert case is not None
    return case


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
    case = await _case(request, session)
    service = _service(request)
    now = service.clock.now()
    async with service.rt.db.transaction() as tx:
        await audit(tx, session.user.email, "view", case.id, now.isoformat())
    details = await _details(service, case)
    return page(
        "staff_case.html",
        session.user.language,
        session=session,
        case=case,
        days_left=(case.report_date - now.astimezone(AMSTERDAM).date()).days,
        outcomes=OUTCOMES,
        **details,
    )


async def _details(service: Service, case: Case) -> dict:
    rt = service.rt
    consent = {
        r["purpose"]: bool(r["given"])
        for r in await rt.db.fetchall(
            "SELECT purpose, given FROM consent_events WHERE case_id = ? ORDER BY id", (case.id,)
        )
    }
    shared = consent.get("share_with_municipality") is True
    answers = (
        [
            {
                "condition": r["condition"],
                "status": r["status"],
                "note": rt.vault.open(r["note"], "answers.note") or "",
            }
            for r in await rt.db.fetchall(
                "SELECT * FROM answers WHERE case_id = ? ORDER BY rowid", (case.id,)
            )
        ]
        if shared
        else []
    )
    escalations = await rt.db.fetchall(
        """SELECT e.*, k.email FROM escalations e LEFT JOIN contacts k ON k.id = e.contact_id
           WHERE e.case_id = ? ORDER BY e.id""",
        (case.id,),
    )
    appointment = await rt.db.fetchone(
        "SELECT * FROM appointments WHERE case_id = ? AND status = 'booked'", (case.id,)
    )
    return {
        "consent": consent,
        "shared": shared,
        "answers": answers,
        "escalations": [
            dict(e)
            | {
                "reason_text": REASONS.get(e["reason"], e["reason"]),
                "note": rt.vault.open(e["note"], "escalations.note") or "",
            }
            for e in escalations
        ],
        "appointment": _local(appointment["start"]) if appointment else None,
        "appointment_mode": appointment["mode"] if appointment else None,
        "timeline": await _timeline(service, case),
    }


def _local(stamp: str) -> str:
    return dt.datetime.fromisoformat(stamp).astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")


async def _timeline(service: Service, case: Case) -> list[dict]:
    rt = service.rt
    items = [
        {
            "at": r["received_at"],
            "who": "person",
            "channel": r["channel"],
            "text": json.loads(rt.vault.open(r["body"], "inbound.body") or "{}").get("text", ""),
        }
        for r in await rt.db.fetchall("SELECT * FROM inbound WHERE case_id = ?", (case.id,))
    ]
    items += [
        {
            "at": r["created_at"],
            "who": "bot" if r["audience"] == "person" else "staff",
            "channel": r["channel"],
            "text": rt.vault.open(r["body"], "outbox.body") or "",
            "status": r["status"],
        }
        for r in await rt.db.fetchall("SELECT * FROM outbox WHERE case_id = ?", (case.id,))
    ]
    items += [
        {
            "at": r["at"],
            "who": "note",
            "channel": "",
            "text": rt.vault.open(r["body"], "case_notes.body"),
        }
        for r in await rt.db.fetchall("SELECT * FROM case_notes WHERE case_id = ?", (case.id,))
    ]
    items += [
        {
            "at": r["at"],
            "who": "consent",
            "channel": r["channel"],
            "text": f"{r['purpose']}: {'yes' if r['given'] else 'no'}",
        }
        for r in await rt.db.fetchall("SELECT * FROM consent_events WHERE case_id = ?", (case.id,))
    ]
    for item in items:
        item["when"] = _local(item["at"])
    return sorted(items, key=lambda i: i["at"])


async def case_action(request: Request) -> Response:
    session = await require(request)
    case = await _case(request, session)
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
        rows=[dict(r) | {"when": _local(r["at"])} for r in rows],
    )
