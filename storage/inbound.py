"""Inbound messages taken in from the inbox (`storage.inbox`): processed once, in order."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence

import aiosqlite

from storage.crypto import Vault
from storage.db import Database, fetchall, fetchone

PERSON_CHANNELS = ("sms", "whatsapp", "telegram", "simulator")


def _arrival_values(arrival: sqlite3.Row) -> tuple:
    return (
        arrival["channel"],
        arrival["provider_key"],
        arrival["sender"],
        arrival["sender_hash"],
        arrival["body"],
        arrival["received_at"],
    )


async def taken_in(
    tx: aiosqlite.Connection, arrivals: Sequence[sqlite3.Row]
) -> set[tuple[str, str]]:
    """(channel, provider key) of those inbox arrivals that are in `inbound` already (taken
    in before a restart, or redelivered after leaving the inbox), in one look-up."""
    if not arrivals:
        return set()
    channels = sorted({a["channel"] for a in arrivals})
    keys = [a["provider_key"] for a in arrivals]
    rows = await fetchall(  # one statement text for any number of keys (SQLite caches it)
        tx,
        """SELECT channel, provider_key FROM inbound
           WHERE channel IN (SELECT value FROM json_each(?))
             AND provider_key IN (SELECT value FROM json_each(?))""",
        (json.dumps(channels), json.dumps(keys)),
    )
    wanted = {(a["channel"], a["provider_key"]) for a in arrivals}
    return {(row[0], row[1]) for row in rows} & wanted


async def take_processed(
    tx: aiosqlite.Connection, arrival: sqlite3.Row, case_id: int | None, now: dt.datetime
) -> bool:
    """An arrival from the inbox (`storage.inbox`) as a processed `inbound` row, written at
    the end of its turn in that turn's transaction: one write, not an insert and an update.
    False if its provider key was taken in before (the caller undoes the turn)."""
    cursor = await tx.execute(
        """INSERT INTO inbound (channel, provider_key, sender, sender_hash, body, received_at,
               case_id, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (channel, provider_key) DO NOTHING""",
        (*_arrival_values(arrival), case_id, now.isoformat()),
    )
    return cursor.rowcount > 0


async def take(tx: aiosqlite.Connection, arrival: sqlite3.Row) -> sqlite3.Row | None:
    """An arrival from the inbox as an unprocessed `inbound` row (its turn failed: it is
    tried again later); None if its provider key was taken in before."""
    return await fetchone(
        tx,
        """INSERT INTO inbound (channel, provider_key, sender, sender_hash, body, received_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, provider_key) DO NOTHING
           RETURNING *""",
        _arrival_values(arrival),
    )


async def record_processed(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    channel: str,
    provider_key: str,
    sender: str,
    body: str,
    now: dt.datetime,
) -> None:
    """A message taken in and handled in one go (the terminal)."""
    await tx.execute(
        """INSERT INTO inbound (channel, provider_key, sender, sender_hash, case_id, body,
               received_at, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            channel,
            provider_key,
            vault.seal(sender, "inbound.sender"),
            vault.lookup_hash(sender),
            case_id,
            vault.seal(body, "inbound.body"),
            now.isoformat(),
            now.isoformat(),
        ),
    )


async def due_again(db: Database, now: dt.datetime, limit: int) -> list[sqlite3.Row]:
    """The oldest arrivals whose processing failed and whose retry is due."""
    return await db.fetchall(
        """SELECT * FROM inbound WHERE processed_at IS NULL
               AND (retry_at IS NULL OR retry_at <= ?) ORDER BY id LIMIT ?""",
        (now.isoformat(), limit),
    )


async def retry_later(
    tx: aiosqlite.Connection, inbound_id: int, error: str, retry_at: dt.datetime
) -> None:
    """Processing failed: count the try and leave the row for another one at `retry_at`."""
    await tx.execute(
        "UPDATE inbound SET attempts = attempts + 1, error = ?, retry_at = ? WHERE id = ?",
        (error, retry_at.isoformat(), inbound_id),
    )


async def mark_processed(
    tx: aiosqlite.Connection, inbound_id: int, case_id: int | None, now: dt.datetime
) -> bool:
    """Claim an arrival as processed; False if another worker got there first."""
    cursor = await tx.execute(
        """UPDATE inbound SET processed_at = ?, case_id = ?
           WHERE id = ? AND processed_at IS NULL""",
        (now.isoformat(), case_id, inbound_id),
    )
    return cursor.rowcount > 0


async def mark_failed(
    tx: aiosqlite.Connection, inbound_id: int, error: str, now: dt.datetime
) -> None:
    await tx.execute(
        "UPDATE inbound SET processed_at = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
        (now.isoformat(), error, inbound_id),
    )


async def last_sender(
    tx: aiosqlite.Connection, vault: Vault, case_id: int
) -> tuple[str, str] | None:
    """(channel, address) the person last wrote from."""
    marks = ",".join("?" * len(PERSON_CHANNELS))
    row = await fetchone(
        tx,
        f"""SELECT channel, sender FROM inbound WHERE case_id = ? AND channel IN ({marks})
            ORDER BY id DESC LIMIT 1""",
        (case_id, *PERSON_CHANNELS),
    )
    if row is None:
        return None
    return row["channel"], vault.open(row["sender"], "inbound.sender") or ""


async def last_received(
    conn: aiosqlite.Connection | Database, case_id: int, channel: str
) -> dt.datetime | None:
    """When the person last wrote on this channel (None: never)."""
    row = await fetchone(
        conn,
        "SELECT max(received_at) FROM inbound WHERE case_id = ? AND channel = ?",
        (case_id, channel),
    )
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


async def answered_since(tx: aiosqlite.Connection, case_id: int, since: dt.datetime) -> bool:
    """Whether the person wrote anything from `since` on."""
    row = await fetchone(
        tx,
        "SELECT 1 FROM inbound WHERE case_id = ? AND received_at >= ? LIMIT 1",
        (case_id, since.astimezone(dt.UTC).isoformat()),
    )
    return row is not None


async def of_case(conn: aiosqlite.Connection | Database, case_id: int) -> list[sqlite3.Row]:
    """Everything the person sent, oldest first."""
    return await fetchall(conn, "SELECT * FROM inbound WHERE case_id = ? ORDER BY id", (case_id,))


async def processed(conn: aiosqlite.Connection | Database, channel: str, provider_key: str) -> bool:
    """Whether the arrival with this provider key has been processed."""
    row = await fetchone(
        conn,
        "SELECT processed_at FROM inbound WHERE channel = ? AND provider_key = ?",
        (channel, provider_key),
    )
    return row is not None and row[0] is not None
