"""Escalations: a case that needs a contact person, who was alerted, and who took it on."""

from __future__ import annotations

import datetime as dt
import sqlite3

import aiosqlite

from storage.crypto import Vault
from storage.db import Database, fetchall, fetchone


async def record(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    reason: str,
    contact_id: int | None,
    line: int,
    note: str | None,
    now: dt.datetime,
) -> int:
    """A new escalation; returns its id."""
    cursor = await tx.execute(
        """INSERT INTO escalations (case_id, reason, at, contact_id, line, note)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (case_id, reason, now.isoformat(), contact_id, line, vault.seal(note, "escalations.note")),
    )
    return int(cursor.lastrowid or 0)


async def get(conn: aiosqlite.Connection | Database, escalation_id: int) -> sqlite3.Row | None:
    return await fetchone(conn, "SELECT * FROM escalations WHERE id = ?", (escalation_id,))


async def acknowledge(
    tx: aiosqlite.Connection, escalation_id: int, case_id: int, by: str, now: dt.datetime
) -> bool:
    """Mark one open escalation of this case as taken on; False if it was not open."""
    cursor = await tx.execute(
        """UPDATE escalations SET acknowledged_at = ?, acknowledged_by = ?
           WHERE id = ? AND case_id = ? AND acknowledged_at IS NULL""",
        (now.isoformat(), by, escalation_id, case_id),
    )
    return cursor.rowcount > 0


async def acknowledge_all(
    tx: aiosqlite.Connection, case_id: int, by: str, now: dt.datetime
) -> None:
    """Every open escalation of the case is taken on (a contact person took over)."""
    await tx.execute(
        """UPDATE escalations SET acknowledged_at = ?, acknowledged_by = ?
           WHERE case_id = ? AND acknowledged_at IS NULL""",
        (now.isoformat(), by, case_id),
    )


async def latest_open_for_contact(
    tx: aiosqlite.Connection, contact_id: int
) -> tuple[int, int, str] | None:
    """(escalation id, case id, case reference) of the contact's newest unacknowledged alert."""
    row = await fetchone(
        tx,
        """SELECT e.id, c.id, c.reference FROM escalations e JOIN cases c ON c.id = e.case_id
           WHERE e.contact_id = ? AND e.acknowledged_at IS NULL ORDER BY e.id DESC LIMIT 1""",
        (contact_id,),
    )
    return (row[0], row[1], row[2]) if row else None


async def of_case(conn: aiosqlite.Connection | Database, case_id: int) -> list[sqlite3.Row]:
    """A case's escalations, oldest first, with the alerted contact's e-mail address."""
    return await fetchall(
        conn,
        """SELECT e.*, k.email FROM escalations e LEFT JOIN contacts k ON k.id = e.contact_id
           WHERE e.case_id = ? ORDER BY e.id""",
        (case_id,),
    )


async def latest_open(tx: aiosqlite.Connection, case_id: int, reason: str) -> sqlite3.Row | None:
    """The case's newest unacknowledged escalation for this reason, if any."""
    return await fetchone(
        tx,
        """SELECT * FROM escalations WHERE case_id = ? AND reason = ?
               AND acknowledged_at IS NULL ORDER BY id DESC LIMIT 1""",
        (case_id, reason),
    )


async def add_note(tx: aiosqlite.Connection, vault: Vault, escalation_id: int, note: str) -> None:
    """Append a line to the escalation's (sealed) note."""
    row = await get(tx, escalation_id)
    if row is None:
        return
    before = vault.open(row["note"], "escalations.note")
    text = f"{before}\n{note}" if before else note
    await tx.execute(
        "UPDATE escalations SET note = ? WHERE id = ?",
        (vault.seal(text, "escalations.note"), escalation_id),
    )
