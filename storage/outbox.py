"""The outbox: every outgoing message, written in the transaction of the change that caused
it, then delivered by the sender; provider statuses only move a message forward."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence

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
    "held": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "sandboxed": 3,
    "cancelled": 3,
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
    purpose: str | None = None,
    template_variables: dict[str, str] | None = None,
) -> int:
    """A message to send as soon as the sender may; returns its outbox id.

    `purpose` says why it is sent (first_contact, reminder_1, ...); with it, the
    `template_variables` fill the approved WhatsApp template of that purpose.
    """
    [outbox_id] = await queue_messages(
        tx,
        vault,
        case_id,
        channel,
        address,
        [(text, choices)],
        now,
        audience,
        purpose,
        template_variables,
    )
    return outbox_id


async def queue_messages(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int | None,
    channel: str,
    address: str | None,
    messages: Sequence[tuple[str, tuple[str, ...]]],
    now: dt.datetime,
    audience: str = "person",
    purpose: str | None = None,
    template_variables: dict[str, str] | None = None,
) -> list[int]:
    """(text, choices) messages to one address, to go in this order, in one statement;
    returns their outbox ids. The first carries `purpose` and `template_variables` (see
    `queue_message`): a turn's first message is the one a WhatsApp template stands in for.
    """
    if not messages:
        return []
    stamp = now.isoformat()
    sealed_address = vault.seal(address, "outbox.address")
    address_hash = vault.lookup_hash(address) if address is not None else None
    variables = json.dumps(template_variables) if template_variables is not None else None
    values: list = []
    for n, (text, choices) in enumerate(messages):
        seg = count_segments(text)
        values += (
            case_id,
            channel,
            sealed_address,
            address_hash,
            vault.seal(text, "outbox.body"),
            vault.seal(json.dumps(choices), "outbox.choices") if choices else None,
            seg.count,
            seg.encoding,
            stamp,
            stamp,
            stamp,
            audience,
            purpose if n == 0 else None,
            vault.seal(variables, "outbox.template_variables") if variables and n == 0 else None,
        )
    rows = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(messages))
    ids = await fetchall(
        tx,
        f"""INSERT INTO outbox (case_id, channel, address, address_hash, body, choices,
                segments, encoding, next_attempt_at, created_at, updated_at, audience, purpose,
                template_variables) VALUES {rows} RETURNING id""",
        values,
    )
    return sorted(row[0] for row in ids)  # RETURNING's order is not promised; ids ascend


async def due(db: Database, now: dt.datetime, limit: int) -> list[sqlite3.Row]:
    """Pending messages whose time has come, oldest first."""
    return await db.fetchall(
        """SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?
           ORDER BY id LIMIT ?""",
        (now.isoformat(), limit),
    )


async def claim(
    db: Database, outbox_ids: list[int], claimer: str, now: dt.datetime, check_at: dt.datetime
) -> list[sqlite3.Row]:
    """Mark pending messages as being sent, in one commit before the provider is called.

    Returns the messages as claimed, by id; one that another sender (serve, tick) took
    is not among them. Should this process die before recording what the provider said,
    a message stays 'sending': `check_at` is when another sender may ask the provider
    about it.
    """
    if not outbox_ids:
        return []
    marks = ",".join("?" * len(outbox_ids))
    stamp = now.isoformat()
    async with db.transaction() as tx:
        rows = await fetchall(
            tx,
            f"""UPDATE outbox SET status = 'sending', sending_at = ?, claimed_by = ?,
                    next_attempt_at = ?, updated_at = ?
                WHERE id IN ({marks}) AND status = 'pending' RETURNING *""",
            (stamp, claimer, check_at.isoformat(), stamp, *outbox_ids),
        )
    return sorted(rows, key=lambda row: row["id"])


async def in_doubt(db: Database) -> list[sqlite3.Row]:
    """Messages claimed for sending whose outcome was never recorded."""
    return await db.fetchall(
        "SELECT * FROM outbox WHERE status = 'sending' AND provider_id IS NULL ORDER BY id"
    )


async def reclaim(
    db: Database,
    row: sqlite3.Row,
    claimer: str,
    now: dt.datetime,
    check_at: dt.datetime,
) -> sqlite3.Row | None:
    """Take over a message left 'sending' (its sender died or its call timed out); None
    when someone else took it over or recorded it first."""
    async with db.transaction() as tx:
        return await fetchone(
            tx,
            """UPDATE outbox SET claimed_by = ?, next_attempt_at = ?, updated_at = ?
               WHERE id = ? AND status = 'sending' AND provider_id IS NULL
                   AND claimed_by IS ? AND updated_at = ? RETURNING *""",
            (
                claimer,
                check_at.isoformat(),
                now.isoformat(),
                row["id"],
                row["claimed_by"],
                row["updated_at"],
            ),
        )


async def record_attempt(
    tx: aiosqlite.Connection,
    outbox_id: int,
    status: str,
    provider_id: str | None,
    error: str | None,
    retry_at: dt.datetime | None,
    now: dt.datetime,
    content_sid: str | None = None,
) -> None:
    """What one try at sending came to; the claim is released."""
    await tx.execute(
        """UPDATE outbox SET status = ?, provider_id = COALESCE(?, provider_id),
               attempts = attempts + 1, error = ?, claimed_by = NULL,
               content_sid = COALESCE(?, content_sid),
               next_attempt_at = COALESCE(?, next_attempt_at), updated_at = ?
           WHERE id = ?""",
        (
            status,
            provider_id,
            error,
            content_sid,
            retry_at.isoformat() if retry_at else None,
            now.isoformat(),
            outbox_id,
        ),
    )


async def known_provider_ids(db: Database, channel: str, provider_ids: list[str]) -> set[str]:
    """Which of these provider ids are already recorded for our messages."""
    if not provider_ids:
        return set()
    marks = ",".join("?" * len(provider_ids))
    rows = await db.fetchall(
        f"SELECT provider_id FROM outbox WHERE channel = ? AND provider_id IN ({marks})",
        (channel, *provider_ids),
    )
    return {r["provider_id"] for r in rows}


async def move_to(
    tx: aiosqlite.Connection,
    vault: Vault,
    outbox_id: int,
    channel: str,
    address: str,
    why: str,
    now: dt.datetime,
) -> None:
    """Send a pending (or held) message by another channel instead, at once."""
    await tx.execute(
        """UPDATE outbox SET channel = ?, address = ?, status = 'pending', error = ?,
               claimed_by = NULL, next_attempt_at = ?, updated_at = ? WHERE id = ?""",
        (
            channel,
            vault.seal(address, "outbox.address"),
            why,
            now.isoformat(),
            now.isoformat(),
            outbox_id,
        ),
    )


async def waiting_for_case(
    tx: aiosqlite.Connection, case_id: int, channel: str, statuses: tuple[str, ...]
) -> list[sqlite3.Row]:
    """A case's messages to the person on one channel in these statuses, oldest first."""
    marks = ",".join("?" * len(statuses))
    return await fetchall(
        tx,
        f"""SELECT * FROM outbox WHERE case_id = ? AND channel = ? AND audience = 'person'
               AND status IN ({marks}) ORDER BY id""",
        (case_id, channel, *statuses),
    )


async def hold(tx: aiosqlite.Connection, outbox_ids: list[int], why: str, now: dt.datetime) -> None:
    """Keep these messages back until the person answers (WhatsApp's window is closed)."""
    marks = ",".join("?" * len(outbox_ids))
    await tx.execute(
        f"UPDATE outbox SET status = 'held', error = ?, updated_at = ? WHERE id IN ({marks})",
        (why, now.isoformat(), *outbox_ids),
    )


async def release_held(tx: aiosqlite.Connection, case_id: int, now: dt.datetime) -> int:
    """The person answered: what was held back for them goes out now; returns how many."""
    cursor = await tx.execute(
        """UPDATE outbox SET status = 'pending', error = NULL, next_attempt_at = ?,
               updated_at = ? WHERE case_id = ? AND status = 'held'""",
        (now.isoformat(), now.isoformat(), case_id),
    )
    return cursor.rowcount


async def cancel(tx: aiosqlite.Connection, outbox_id: int, why: str, now: dt.datetime) -> None:
    """A waiting message that will not be sent (it went another way)."""
    await tx.execute(
        """UPDATE outbox SET status = 'cancelled', error = ?, updated_at = ?
           WHERE id = ? AND status IN ('pending', 'held')""",
        (why, now.isoformat(), outbox_id),
    )


async def drop_held(tx: aiosqlite.Connection, case_id: int, why: str, now: dt.datetime) -> None:
    """Held messages that no longer make sense (the person answered with a keyword)."""
    await tx.execute(
        """UPDATE outbox SET status = 'cancelled', error = ?, updated_at = ?
           WHERE case_id = ? AND status = 'held'""",
        (why, now.isoformat(), case_id),
    )


async def template_outstanding(
    conn: aiosqlite.Connection | Database, case_id: int, since: dt.datetime | None
) -> bool:
    """Whether a WhatsApp template went to the person after their last WhatsApp message
    (`since`), so what follows it waits for their answer."""
    row = await fetchone(
        conn,
        """SELECT 1 FROM outbox WHERE case_id = ? AND channel = 'whatsapp'
               AND content_sid IS NOT NULL AND status NOT IN ('failed', 'undelivered')
               AND sending_at > ? LIMIT 1""",
        (case_id, since.isoformat() if since else ""),
    )
    return row is not None


async def advance_status(
    tx: aiosqlite.Connection,
    channels: tuple[str, ...],
    provider_id: str,
    status: str,
    error: str | None,
    now: dt.datetime,
) -> tuple[sqlite3.Row | None, bool]:
    """A provider's delivery status, applied only if it moves the message forward.

    Returns the message's row (as it was), or None when we never sent it, and whether
    the status moved.
    """
    marks = ",".join("?" * len(channels))
    row = await fetchone(
        tx,
        f"""SELECT id, case_id, status, channel, address, body, purpose, audience FROM outbox
            WHERE channel IN ({marks}) AND provider_id = ?""",
        (*channels, provider_id),
    )
    moved = row is not None and STATUS_RANK.get(status, 0) > STATUS_RANK.get(row["status"], 0)
    if moved:
        await tx.execute(
            "UPDATE outbox SET status = ?, error = COALESCE(?, error), updated_at = ? WHERE id = ?",
            (status, error, now.isoformat(), row["id"]),
        )
    return row, moved


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


EARLY_STATUS_KEPT = dt.timedelta(days=1)


async def keep_early_status(
    tx: aiosqlite.Connection,
    provider_id: str,
    status: str,
    error_code: str | None,
    now: dt.datetime,
) -> None:
    """A status for a provider id we have not recorded yet: kept a day, for `take_early`."""
    await tx.execute(
        "DELETE FROM early_statuses WHERE received_at < ?",
        ((now - EARLY_STATUS_KEPT).isoformat(),),
    )
    await tx.execute(
        """INSERT INTO early_statuses (provider_id, status, error_code, received_at)
           VALUES (?, ?, ?, ?) ON CONFLICT (provider_id, status) DO NOTHING""",
        (provider_id, status, error_code, now.isoformat()),
    )


async def take_early_statuses(
    tx: aiosqlite.Connection, provider_id: str
) -> list[tuple[str, str | None]]:
    """(status, error code) that came before this provider id was recorded, in the order
    a message goes through them; they are removed."""
    rows = await fetchall(
        tx, "SELECT status, error_code FROM early_statuses WHERE provider_id = ?", (provider_id,)
    )
    if rows:
        await tx.execute("DELETE FROM early_statuses WHERE provider_id = ?", (provider_id,))
    ranked = sorted(rows, key=lambda r: STATUS_RANK.get(r["status"], 0))
    return [(r["status"], r["error_code"]) for r in ranked]
