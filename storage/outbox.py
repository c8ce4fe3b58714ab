"""The outbox: every outgoing message, written in the transaction of the change that caused
it, then delivered by the sender; provider statuses only move a message forward."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import aiosqlite

from conversations.segments import count_segments
from storage.crypto import Vault
from storage.db import Database, fetchall, fetchone

# Provider statuses only move forward; a late "sent" never undoes "delivered".
STATUS_RANK = {
    "pending": 0,
    "accepted": 1,
    "queued": 1,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "sandboxed": 3,
    "read": 4,
}


async def queue_message(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int | None,
    channel: str,
    address: str | None,
    text: str,
    choices: tuple[str, ...],
    now: dt.datetime,
    audience: str = "person",
) -> int:
    """A message to send as soon as the sender may; returns its outbox id."""
    seg = count_segments(text)
    stamp = now.isoformat()
    cur = await tx.execute(
        """INSERT INTO outbox (case_id, channel, address, address_hash, body, choices,
               segments, encoding, next_attempt_at, created_at, updated_at, audience)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            case_id,
            channel,
            vault.seal(address, "outbox.address"),
            vault.lookup_hash(address) if address is not None else None,
            vault.seal(text, "outbox.body"),
            vault.seal(json.dumps(choices), "outbox.choices") if choices else None,
            seg.count,
            seg.encoding,
            stamp,
            stamp,
            stamp,
            audience,
        ),
    )
    return int(cur.lastrowid or 0)


async def due(db: Database, now: dt.datetime, limit: int) -> list[sqlite3.Row]:
    """Pending messages whose time has come, oldest first."""
    return await db.fetchall(
        """SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?
           ORDER BY id LIMIT ?""",
        (now.isoformat(), limit),
    )


async def record_attempt(
    tx: aiosqlite.Connection,
    outbox_id: int,
    status: str,
    provider_id: str | None,
    error: str | None,
    retry_at: dt.datetime | None,
    now: dt.datetime,
) -> None:
    """What one try at sending came to."""
    await tx.execute(
        """UPDATE outbox SET status = ?, provider_id = COALESCE(?, provider_id),
               attempts = attempts + 1, error = ?,
               next_attempt_at = COALESCE(?, next_attempt_at), updated_at = ?
           WHERE id = ?""",
        (
            status,
            provider_id,
            error,
            retry_at.isoformat() if retry_at else None,
            now.isoformat(),
            outbox_id,
        ),
    )


async def advance_status(
    tx: aiosqlite.Connection,
    channels: tuple[str, ...],
    provider_id: str,
    status: str,
    error: str | None,
    now: dt.datetime,
) -> sqlite3.Row | None:
    """A provider's delivery status, applied only if it moves the message forward.

    Returns the message's row (as it was), or None when we never sent it.
    """
    marks = ",".join("?" * len(channels))
    row = await fetchone(
        tx,
        f"SELECT id, case_id, status FROM outbox WHERE channel IN ({marks}) AND provider_id = ?",
        (*channels, provider_id),
    )
    if row is not None and STATUS_RANK.get(status, 0) > STATUS_RANK.get(row["status"], 0):
        await tx.execute(
            "UPDATE outbox SET status = ?, error = COALESCE(?, error), updated_at = ? WHERE id = ?",
            (status, error, now.isoformat(), row["id"]),
        )
    return row


async def alert_answered(
    tx: aiosqlite.Connection, vault: Vault, channel: str, provider_id: str, address: str
) -> sqlite3.Row | None:
    """The staff message with this provider id that was sent to this very address.

    Telegram numbers messages per chat, so an id alone can name another contact's alert:
    the address must match too.
    """
    rows = await fetchall(
        tx,
        """SELECT case_id, address FROM outbox WHERE channel = ? AND provider_id = ?
               AND audience = 'staff' AND case_id IS NOT NULL""",
        (channel, provider_id),
    )
    return next((r for r in rows if vault.open(r["address"], "outbox.address") == address), None)


async def of_case(conn: aiosqlite.Connection | Database, case_id: int) -> list[sqlite3.Row]:
    """Every message queued for a case (to the person and about them to staff)."""
    return await fetchall(conn, "SELECT * FROM outbox WHERE case_id = ? ORDER BY id", (case_id,))


async def texts(db: Database, vault: Vault, outbox_ids: list[int]) -> list[str]:
    """The texts of these messages, in order."""
    marks = ",".join("?" * len(outbox_ids))
    rows = await db.fetchall(
        f"SELECT body FROM outbox WHERE id IN ({marks}) ORDER BY id", outbox_ids
    )
    return [vault.open(row["body"], "outbox.body") or "" for row in rows]


async def mark_delivered(tx: aiosqlite.Connection, outbox_ids: list[int], now: dt.datetime) -> None:
    """Messages a channel delivered by itself (the terminal prints them)."""
    marks = ",".join("?" * len(outbox_ids))
    await tx.execute(
        f"UPDATE outbox SET status = 'delivered', attempts = 1, updated_at = ? "
        f"WHERE id IN ({marks})",
        (now.isoformat(), *outbox_ids),
    )
