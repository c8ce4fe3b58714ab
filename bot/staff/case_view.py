"""One case as staff see it: visible only to its own organisation (and admins)."""

from __future__ import annotations

import datetime as dt
import json

from starlette.exceptions import HTTPException
from starlette.requests import Request

from bot.outreach.alerts import REASONS
from bot.service import Service
from conversations.calendar import AMSTERDAM
from storage.cases import Case, get_case
from storage.users import Session


def _visible(session: Session, case: Case | None) -> bool:
    return case is not None and (
        session.user.is_admin or case.organisation_id == session.user.organisation_id
    )


async def visible_case(request: Request, session: Session) -> Case:
    service: Service = request.app.state.voorzorg
    case = await get_case(
        service.rt.db, service.rt.vault, reference=request.path_params["reference"]
    )
    if not _visible(session, case):
        raise HTTPException(404, "no such case")  # another organisation's case does not exist
    assert case is not None
    return case


async def details(service: Service, case: Case) -> dict:
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
        "appointment": local_time(appointment["start"]) if appointment else None,
        "appointment_mode": appointment["mode"] if appointment else None,
        "timeline": await _timeline(service, case),
    }


def local_time(stamp: str) -> str:
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
        item["when"] = local_time(item["at"])
    return sorted(items, key=lambda i: i["at"])
