"""One case as staff see it: visible only to its own organisation (and admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request

from bot.outreach.alerts import REASONS
from bot.service import Service
from bot.web.context import service_of
from storage import appointments, casework, escalations
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
        raise HTTPException(404, "no such case")  # another organisation's case does not exist
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
    return {
        "consent": consent,
        "shared": shared,
        "answers": await casework.answers(db, vault, case.id) if shared else [],
        "escalations": [
            dict(e)
            | {
                "reason_text": REASONS.get(e["reason"], e["reason"]),
                "note": vault.open(e["note"], "escalations.note") or "",
                "when": local_time(e["at"], tz),
            }
            for e in await escalations.of_case(db, case.id)
        ],
        "appointment": local_time(appointment["start"], tz) if appointment else None,
        "appointment_mode": appointment["mode"] if appointment else None,
        "timeline": [
            {
                "who": entry.who,
                "channel": entry.channel,
                "text": entry.text,
                "status": entry.status,
                "when": local_time(entry.at, tz),
            }
            for entry in await casework.timeline(db, vault, case.id)
        ],
    }
