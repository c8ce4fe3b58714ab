"""Routes to a person that failed for good: a landline for SMS, a number without WhatsApp,
a chat that blocked the bot. Kept per case, so the next message takes another route."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from storage.crypto import Vault
from storage.db import Database, fetchall, fetchone


async def mark_dead(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    channel: str,
    address: str,
    reason: str,
    now: dt.datetime,
) -> None:
    """This address on this channel cannot reach the person; also unbinds a chat."""
    address_hash = vault.lookup_hash(address)
    await tx.execute(
        """INSERT INTO dead_routes (case_id, channel, address_hash, reason, at)
           VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id, channel, address_hash)
           DO UPDATE SET reason = excluded.reason, at = excluded.at""",
        (case_id, channel, address_hash, reason[:200], now.isoformat()),
    )
    await tx.execute(
        """UPDATE channel_identities SET dead = 1
           WHERE case_id = ? AND channel = ? AND address_hash = ?""",
        (case_id, channel, address_hash),
    )


async def revive(
    tx: aiosqlite.Connection, vault: Vault, case_id: int, channel: str, address: str
) -> None:
    """The person wrote from this address: it works again."""
    await tx.execute(
        "DELETE FROM dead_routes WHERE case_id = ? AND channel = ? AND address_hash = ?",
        (case_id, channel, vault.lookup_hash(address)),
    )


async def is_dead(
    conn: aiosqlite.Connection | Database, vault: Vault, case_id: int, channel: str, address: str
) -> bool:
    row = await fetchone(
        conn,
        "SELECT 1 FROM dead_routes WHERE case_id = ? AND channel = ? AND address_hash = ?",
        (case_id, channel, vault.lookup_hash(address)),
    )
    return row is not None


async def dead(conn: aiosqlite.Connection | Database, case_id: int) -> set[tuple[str, str]]:
    """(channel, address hash) of every dead route of a case."""
    rows = await fetchall(
        conn, "SELECT channel, address_hash FROM dead_routes WHERE case_id = ?", (case_id,)
    )
    return {(r["channel"], r["address_hash"]) for r in rows}
