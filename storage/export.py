"""A case as JSON: the shape of SPEC.md, readable by people and programs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from conversations.calendar import AMSTERDAM
from conversations.script import CONDITIONS, PURPOSES
from storage import appointments, casework, escalations
from storage.cases import Case
from storage.crypto import Vault
from storage.db import Database


async def case_export(
    db: Database, vault: Vault, case: Case, everything: bool = False, zone: dt.tzinfo = AMSTERDAM
) -> dict[str, Any]:
    """The case in SPEC.md's shape; with `everything`, all data held on the person. Times
    are given in `zone` (VOORZORG_TIMEZONE)."""
    consent: dict[str, bool | None] = dict.fromkeys(PURPOSES)
    consent.update(await casework.consent(db, case.id))
    given = {a.condition: a for a in await casework.answers(db, vault, case.id)}
    conditions: dict[str, dict[str, str] | None] = {}
    for condition in CONDITIONS:
        answer = given.get(condition)
        if answer is None:
            conditions[condition] = None
            continue
        conditions[condition] = {"status": answer.status} | (
            {"note": answer.note} if answer.note else {}
        )
    document = {
        "reference": case.reference,
        "language": case.language,
        "status": case.status,
        "opted_out": case.opted_out,
        "invite_code": case.invite_code,
        "organisation": case.organisation_id,
        "municipality": case.municipality,
        "report_date": case.report_date.isoformat(),
        "consent": consent,
        "conditions": conditions,
        "appointment": await _appointment(db, case, zone),
        "escalations": [
            {
                "at": e["at"],
                "reason": e["reason"],
                "contact": e["email"],
                "acknowledged_at": e["acknowledged_at"],
            }
            for e in await escalations.of_case(db, case.id)
        ],
    }
    if everything:
        document["person"] = await _everything(db, vault, case)
    return document


async def _appointment(db: Database, case: Case, zone: dt.tzinfo) -> dict[str, Any] | None:
    row = await appointments.booked(db, case.id)
    if row is None:
        return None
    start = dt.datetime.fromisoformat(row["start"]).astimezone(zone)
    return {
        "start": start.isoformat(),
        "organisation": row["organisation_id"],
        "mode": row["mode"],
        "place": row["place"],
        "minutes": row["minutes"],
    }


async def _everything(db: Database, vault: Vault, case: Case) -> dict[str, Any]:
    """The GDPR right of access: all we hold on this person, in plain words."""
    inbound = await db.fetchall(
        "SELECT channel, body, received_at FROM inbound WHERE case_id = ? ORDER BY id", (case.id,)
    )
    outbound = await db.fetchall(
        """SELECT channel, body, status, created_at FROM outbox
           WHERE case_id = ? AND audience = 'person' ORDER BY id""",
        (case.id,),
    )
    consent = await db.fetchall(
        """SELECT purpose, given, at, channel, script_id, script_version FROM consent_events
           WHERE case_id = ? ORDER BY id""",
        (case.id,),
    )
    events = await db.fetchall(
        """SELECT kind, due_at, done_at, outcome FROM scheduled_events WHERE case_id = ?
           ORDER BY due_at, id""",
        (case.id,),
    )
    messages = [
        {
            "at": r["received_at"],
            "from": "person",
            "channel": r["channel"],
            "text": json.loads(vault.open(r["body"], "inbound.body") or '{"text": null}').get(
                "text"
            ),
        }
        for r in inbound
    ] + [
        {
            "at": r["created_at"],
            "from": "voorzorg",
            "channel": r["channel"],
            "text": vault.open(r["body"], "outbox.body"),
            "status": r["status"],
        }
        for r in outbound
    ]
    return {
        "first_name": case.first_name,
        "phone": case.phone,
        "prison": case.prison,
        "messages": sorted(messages, key=lambda m: m["at"]),
        "consent_events": [dict(r) | {"given": bool(r["given"])} for r in consent],
        "timeline": [dict(r) for r in events],
    }
