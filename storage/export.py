"""A case as JSON: the shape of SPEC.md, readable by people and programs."""

from __future__ import annotations

from typing import Any

from conversations.script import CONDITIONS, PURPOSES
from storage.cases import Case
from storage.crypto import Vault
from storage.db import Database


async def case_export(db: Database, vault: Vault, case: Case) -> dict[str, Any]:
    consent: dict[str, bool | None] = dict.fromkeys(PURPOSES)
    for row in await db.fetchall(
        "SELECT purpose, given FROM consent_events WHERE case_id = ? ORDER BY id", (case.id,)
    ):
        consent[row["purpose"]] = bool(row["given"])
    answers = {
        r["condition"]: r
        for r in await db.fetchall("SELECT * FROM answers WHERE case_id = ?", (case.id,))
    }
    conditions: dict[str, dict[str, str] | None] = {}
    for condition in CONDITIONS:
        row = answers.get(condition)
        if row is None:
            conditions[condition] = None
            continue
        entry = {"status": row["status"]}
        if (note := vault.open(row["note"], "answers.note")) is not None:
            entry["note"] = note
        conditions[condition] = entry
    escalations = await db.fetchall(
        """SELECT e.at, e.reason, c.email, e.acknowledged_at FROM escalations e
           LEFT JOIN contacts c ON c.id = e.contact_id WHERE e.case_id = ? ORDER BY e.id""",
        (case.id,),
    )
    return {
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
        "appointment": None,
        "escalations": [
            {
                "at": e["at"],
                "reason": e["reason"],
                "contact": e["email"],
                "acknowledged_at": e["acknowledged_at"],
            }
            for e in escalations
        ],
    }
