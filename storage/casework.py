"""Casework: what staff do with a case and what they see of it.

Notes and the outcome they record, the case list with open escalations, the consent in
force, the person's answers, one timeline of messages, notes and consent, and the audit
log. Sealed values come back opened; times come back as stored (UTC).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass

import aiosqlite

from storage import inbound, outbox
from storage.cases import Case, case_from_row
from storage.crypto import Vault
from storage.db import Database, fetchall

CASE_LIST_LIMIT = 2000
AUDIT_LOG_LIMIT = 500


@dataclass(frozen=True)
class Listed:
    """A case in the staff list, with the reasons of its unacknowledged escalations."""

    case: Case
    open_reasons: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """The person's latest answer on one basic condition."""

    condition: str
    status: str
    note: str


@dataclass(frozen=True)
class Entry:
    """One line of a case's timeline.

    `who` is person, bot (to the person), staff (an alert about the case), note or
    consent; `order` breaks ties between entries stamped at the same moment.
    """

    at: dt.datetime
    who: str
    channel: str
    text: str
    order: tuple[int, int] = (0, 0)
    status: str | None = None
    choices: tuple[str, ...] = ()
    segments: int | None = None
    encoding: str | None = None
    error: str | None = None  # why a message failed, was held or went another way


async def listed(
    db: Database,
    vault: Vault,
    organisation_id: str | None,
    limit: int = CASE_LIST_LIMIT,
) -> list[Listed]:
    """Cases by report date (one organisation's, or with None all), with open reasons."""
    where, params = (
        ("", ()) if organisation_id is None else ("WHERE c.organisation_id = ?", (organisation_id,))
    )
    rows = await db.fetchall(
        f"""SELECT c.*, group_concat(e.reason) AS open_reasons
            FROM cases c LEFT JOIN escalations e
              ON e.case_id = c.id AND e.acknowledged_at IS NULL
            {where} GROUP BY c.id ORDER BY c.report_date, c.reference LIMIT ?""",
        (*params, limit),
    )
    return [
        Listed(
            case_from_row(row, vault), tuple(r for r in (row["open_reasons"] or "").split(",") if r)
        )
        for row in rows
    ]


async def add_note(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    user_id: int,
    text: str,
    now: dt.datetime,
) -> int:
    """A staff member's note on the case, sealed; returns its id."""
    cursor = await tx.execute(
        "INSERT INTO case_notes (case_id, user_id, at, body) VALUES (?, ?, ?, ?)",
        (case_id, user_id, now.isoformat(), vault.seal(text, "case_notes.body")),
    )
    return int(cursor.lastrowid or 0)


async def set_outcome(tx: aiosqlite.Connection, case_id: int, outcome: str, close: bool) -> None:
    """What came of the case; with `close`, the case is closed too (else its status stays)."""
    await tx.execute(
        """UPDATE cases SET outcome = ?, status = CASE WHEN ? THEN 'closed' ELSE status END
           WHERE id = ?""",
        (outcome, int(close), case_id),
    )


async def consent(conn: aiosqlite.Connection | Database, case_id: int) -> dict[str, bool]:
    """The consent in force per purpose: the latest event for each counts."""
    rows = await fetchall(
        conn, "SELECT purpose, given FROM consent_events WHERE case_id = ? ORDER BY id", (case_id,)
    )
    return {r["purpose"]: bool(r["given"]) for r in rows}


async def answers(
    conn: aiosqlite.Connection | Database, vault: Vault, case_id: int
) -> list[Answer]:
    """The person's answers on the basic conditions, in the order first given."""
    rows = await fetchall(
        conn, "SELECT * FROM answers WHERE case_id = ? ORDER BY rowid", (case_id,)
    )
    return [
        Answer(r["condition"], r["status"], vault.open(r["note"], "answers.note") or "")
        for r in rows
    ]


async def messages(
    conn: aiosqlite.Connection | Database, vault: Vault, case_id: int
) -> list[Entry]:
    """What the person sent and what was queued about them, oldest first."""
    entries = [
        Entry(
            at=_time(r["received_at"]),
            who="person",
            channel=r["channel"],
            text=json.loads(vault.open(r["body"], "inbound.body") or "{}").get("text", ""),
            order=(0, r["id"]),
        )
        for r in await inbound.of_case(conn, case_id)
    ]
    entries += [_queued(r, vault) for r in await outbox.of_case(conn, case_id)]
    return sorted(entries, key=lambda e: (e.at, e.order))


def _queued(row: sqlite3.Row, vault: Vault) -> Entry:
    return Entry(
        at=_time(row["created_at"]),
        who="bot" if row["audience"] == "person" else "staff",
        channel=row["channel"],
        text=vault.open(row["body"], "outbox.body") or "",
        order=(1, row["id"]),
        status=row["status"],
        choices=tuple(json.loads(vault.open(row["choices"], "outbox.choices") or "[]")),
        segments=row["segments"],
        encoding=row["encoding"],
        error=row["error"],
    )


async def timeline(
    conn: aiosqlite.Connection | Database, vault: Vault, case_id: int
) -> list[Entry]:
    """Messages, staff notes and consent events of a case, oldest first."""
    entries = await messages(conn, vault, case_id)
    notes = await fetchall(
        conn, "SELECT * FROM case_notes WHERE case_id = ? ORDER BY id", (case_id,)
    )
    entries += [
        Entry(
            _time(r["at"]), "note", "", vault.open(r["body"], "case_notes.body") or "", (2, r["id"])
        )
        for r in notes
    ]
    events = await fetchall(
        conn, "SELECT * FROM consent_events WHERE case_id = ? ORDER BY id", (case_id,)
    )
    entries += [
        Entry(
            _time(r["at"]),
            "consent",
            r["channel"],
            f"{r['purpose']}: {'yes' if r['given'] else 'no'}",
            (3, r["id"]),
        )
        for r in events
    ]
    return sorted(entries, key=lambda e: (e.at, e.order))


async def audit_log(db: Database, limit: int = AUDIT_LOG_LIMIT) -> list[sqlite3.Row]:
    """The newest audit entries first: at, actor, action, the case's reference, detail."""
    return await db.fetchall(
        """SELECT a.at, a.actor, a.action, c.reference, a.detail FROM audit_log a
           LEFT JOIN cases c ON c.id = a.case_id ORDER BY a.id DESC LIMIT ?""",
        (limit,),
    )


def _time(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp)


async def new_cases(
    db: Database, start: dt.date, end: dt.date, tz: dt.tzinfo = dt.UTC
) -> list[str]:
    """References of cases not yet contacted, imported from `start` to `end` (local days)."""
    first = dt.datetime.combine(start, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    rows = await db.fetchall(
        """SELECT reference FROM cases WHERE status = 'new' AND purged_at IS NULL
               AND created_at >= ? AND created_at < ? ORDER BY organisation_id, reference""",
        (first.isoformat(), after.astimezone(dt.UTC).isoformat()),
    )
    return [r["reference"] for r in rows]
