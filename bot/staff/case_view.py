"""One case as staff see it: visible only to its own organisation (and admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request

from bot.service import Service
from bot.web.context import service_of
from locales import N_
from storage import appointments, casework, escalations, workspace
from storage.cases import Case, get_case
from storage.users import Session


def _visible(session: Session, case: Case | None) -> bool:
    return case is not None and (
        session.user.is_admin or case.organisation_id == session.user.organisation_id
    )


async def visible_case(request: Request, session: Session) -> Case:
    """The case named in the path, if this session may see it; else 404."""
    service = service_of(request)
    case = await get_case(
        service.rt.db, service.rt.vault, reference=request.path_params["reference"]
    )
    if not _visible(session, case):
        raise HTTPException(404, N_("no such case"))  # another organisation's case does not exist
    assert case is not None
    return case


def zone(service: Service) -> ZoneInfo:
    """The time zone staff pages show times in (VOORZORG_TIMEZONE)."""
    return service.rt.calendar.tz


def today(service: Service) -> dt.date:
    """Today's date in the configured time zone."""
    return service.clock.now().astimezone(zone(service)).date()


def local_time(moment: str | dt.datetime, tz: ZoneInfo) -> str:
    """A stored moment (ISO text or aware datetime) as wall-clock time in `tz`."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


async def details(service: Service, case: Case) -> dict[str, Any]:
    """What the case page and the printouts show besides the case itself.

    Answers only with consent to share them with the municipality.
    """
    db, vault, tz = service.rt.db, service.rt.vault, zone(service)
    consent = await casework.consent(db, case.id)
    shared = consent.get("share_with_municipality") is True
    appointment = await appointments.booked(db, case.id)
    attempts = await workspace.attempts(db, vault, case.id)
    return {
        "consent": consent,
        "shared": shared,
        "answers": await casework.answers(db, vault, case.id) if shared else [],
        "escalations": [
            dict(e)
            | {
                "working_days_left": await _working_days_left(service, case, e["at"]),
                "note": vault.open(e["note"], "escalations.note") or "",
                "when": local_time(e["at"], tz),
            }
            for e in await escalations.of_case(db, case.id)
        ],
        "appointment": local_time(appointment["start"], tz) if appointment else None,
        "appointment_mode": appointment["mode"] if appointment else None,
        "timeline": await _timeline(service, case, attempts),
        "attempts": attempts,
        "plan": await workspace.plan(db, vault, case.id),
        "plan_agreed_at": await workspace.plan_agreed_at(db, case.id),
        "care": await workspace.care(db, vault, case.id),
    }


async def _working_days_left(service: Service, case: Case, at: str) -> int:
    """Working days from an escalation's day to the report date (organisation calendar)."""
    calendar = await service.rt.calendar_of(service.rt.db, case.organisation_id)
    day = dt.datetime.fromisoformat(at).astimezone(zone(service)).date()
    return calendar.working_days_between(day, case.report_date)


async def _timeline(
    service: Service, case: Case, attempts: list[workspace.Attempt]
) -> list[dict[str, Any]]:
    """Messages, notes, consent events and contact attempts, oldest first."""
    tz = zone(service)
    entries = [
        (
            entry.at,
            entry.order,
            {
                "who": entry.who,
                "channel": entry.channel,
                "text": entry.text,
                "status": entry.status,
                "error": entry.error,
                "when": local_time(entry.at, tz),
                **_consent(entry),
            },
        )
        for entry in await casework.timeline(service.rt.db, service.rt.vault, case.id)
    ]
    entries += [
        (
            a.at,
            (4, a.id),
            {
                "who": "attempt",
                "channel": a.kind,
                "outcome": a.outcome,
                "text": a.note,
                "status": None,
                "when": local_time(a.at, tz),
            },
        )
        for a in attempts
    ]
    return [item for _, _, item in sorted(entries, key=lambda e: (e[0], e[1]))]


def _consent(entry: casework.Entry) -> dict[str, Any]:
    """A consent event's purpose and whether it was given, for the page to word."""
    if entry.who != "consent":
        return {}
    purpose, _, given = entry.text.partition(": ")
    return {"purpose": purpose, "given": given == "yes"}
