"""Scheduled events (timers) as rows: planned, claimed in the transaction that carries out
their effects, finished with an outcome, or cancelled with a reason."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import aiosqlite

from storage.db import Database, fetchall, fetchone


async def schedule(
    tx: aiosqlite.Connection, case_id: int | None, kind: str, due: dt.datetime, payload: dict
) -> None:
    await tx.execute(
        "INSERT INTO scheduled_events (case_id, kind, due_at, payload) VALUES (?, ?, ?, ?)",
        (case_id, kind, due.astimezone(dt.UTC).isoformat(), json.dumps(payload)),
    )


async def schedule_many(
    tx: aiosqlite.Connection, planned: list[tuple[int | None, str, dt.datetime, dict]]
) -> None:
    """Many events, (case, kind, due, payload) each, in one statement, in the order given."""
    empty = json.dumps({})
    await tx.executemany(
        "INSERT INTO scheduled_events (case_id, kind, due_at, payload) VALUES (?, ?, ?, ?)",
        [
            (case_id, kind, due.astimezone(dt.UTC).isoformat(), json.dumps(p) if p else empty)
            for case_id, kind, due, p in planned
        ],
    )


async def cancel(
    tx: aiosqlite.Connection, case_id: int, kinds: tuple[str, ...], now: dt.datetime, why: str
) -> None:
    """Pending events of these kinds will not run; the reason is kept."""
    marks = ",".join("?" * len(kinds))
    await tx.execute(
        f"""UPDATE scheduled_events SET done_at = ?, outcome = ?
            WHERE case_id = ? AND done_at IS NULL AND kind IN ({marks})""",
        (now.isoformat(), f"cancelled: {why}", case_id, *kinds),
    )


async def pending(tx: aiosqlite.Connection, case_id: int, kind: str) -> list[sqlite3.Row]:
    return await fetchall(
        tx,
        "SELECT * FROM scheduled_events WHERE case_id = ? AND kind = ? AND done_at IS NULL",
        (case_id, kind),
    )


async def due_ids(db: Database, now: dt.datetime, after_id: int) -> list[int]:
    """The ids of the events due at `now` after `after_id`, in order: read from the index
    of pending events alone, so a tick with nothing due costs one look-up however many
    events wait (`+id` keeps SQLite from walking the table in id order instead)."""
    rows = await db.fetchall(
        """SELECT id FROM scheduled_events
           WHERE done_at IS NULL AND due_at <= ? AND +id > ?""",
        (now.isoformat(), after_id),
    )
    return sorted(r[0] for r in rows)


async def due_by_ids(db: Database, now: dt.datetime, ids: list[int]) -> list[sqlite3.Row]:
    """Those of these events that are still due at `now`, by id."""
    marks = ",".join("?" * len(ids))
    return await db.fetchall(
        f"""SELECT * FROM scheduled_events
            WHERE id IN ({marks}) AND done_at IS NULL AND due_at <= ? ORDER BY id""",
        (*ids, now.isoformat()),
    )


async def claim(tx: aiosqlite.Connection, event_id: int, now: dt.datetime) -> bool:
    """Take an event to run it; False when another tick got it first."""
    cursor = await tx.execute(
        """UPDATE scheduled_events SET done_at = ?, outcome = 'running'
           WHERE id = ? AND done_at IS NULL""",
        (now.isoformat(), event_id),
    )
    return cursor.rowcount > 0


async def finish(tx: aiosqlite.Connection, event_id: int, outcome: str) -> None:
    await tx.execute("UPDATE scheduled_events SET outcome = ? WHERE id = ?", (outcome, event_id))


async def postpone(tx: aiosqlite.Connection, event_id: int, until: dt.datetime) -> None:
    """Put a claimed event back, to run at `until`."""
    await tx.execute(
        "UPDATE scheduled_events SET done_at = NULL, outcome = NULL, due_at = ? WHERE id = ?",
        (until.astimezone(dt.UTC).isoformat(), event_id),
    )


async def retry(
    tx: aiosqlite.Connection, event_id: int, due: dt.datetime, attempts: int, why: str
) -> None:
    """Put a claimed event whose handler failed back, to run again at `due`."""
    await tx.execute(
        """UPDATE scheduled_events SET done_at = NULL, outcome = ?, due_at = ?, attempts = ?
           WHERE id = ?""",
        (why, due.astimezone(dt.UTC).isoformat(), attempts, event_id),
    )


async def move(tx: aiosqlite.Connection, event_id: int, due: dt.datetime) -> None:
    """A pending event is due at another time."""
    await tx.execute(
        "UPDATE scheduled_events SET due_at = ? WHERE id = ?",
        (due.astimezone(dt.UTC).isoformat(), event_id),
    )


async def ever_sent(tx: aiosqlite.Connection, case_id: int, kind: str) -> bool:
    """Whether an event of this kind ever sent something for the case."""
    row = await fetchone(
        tx,
        """SELECT 1 FROM scheduled_events WHERE case_id = ? AND kind = ?
               AND outcome LIKE 'sent%' LIMIT 1""",
        (case_id, kind),
    )
    return row is not None
