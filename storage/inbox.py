"""The inbox: arrivals acknowledged to a provider and not yet taken in, in a file of its own.

A webhook is answered once its arrival is committed here. The worker takes arrivals in
order into the database's `inbound` table, in the transaction of the conversation turn
each one causes (`storage.inbound.take_processed`), and forgets them here afterwards. The
inbox has one writer of its own, so a webhook's commit never waits behind a batch of turns
holding the database's write lock.

Exactly once: an arrival taken in twice (the worker stopped between its turn's commit
and forgetting it here) is recognised by the database's unique provider key, and a
provider's redelivery of a forgotten arrival is too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import aiosqlite

from storage.db import Database, fetchone

SCHEMA = [
    (
        1,
        """CREATE TABLE arrivals (
               id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused after a forget
               channel      TEXT NOT NULL,
               provider_key TEXT NOT NULL,
               sender       BLOB,             -- sealed, as in `inbound`
               sender_hash  TEXT,
               body         BLOB,             -- sealed
               received_at  TEXT NOT NULL,
               UNIQUE (channel, provider_key)
           );
           CREATE TABLE heartbeat (id INTEGER PRIMARY KEY, at TEXT NOT NULL);""",
    )
]


def inbox_path(db_path: Path) -> Path:
    """The inbox beside the database: `var/voorzorg.db` has `var/voorzorg.inbox.db`."""
    return db_path.with_name(f"{db_path.stem}.inbox{db_path.suffix or '.db'}")


async def open_inbox(db_path: Path, *, inline: bool = False) -> Database:
    """Open (creating) the inbox of the database at `db_path`."""
    return await Database.open(inbox_path(db_path), inline=inline, schema=SCHEMA)


async def store(tx: aiosqlite.Connection, rows: Iterable[tuple]) -> None:
    """(channel, provider_key, sealed sender, sender hash, sealed body, received_at) rows;
    a provider key still waiting here is ignored, so a quick redelivery is a no-op."""
    await tx.executemany(
        """INSERT INTO arrivals (channel, provider_key, sender, sender_hash, body, received_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, provider_key) DO NOTHING""",
        list(rows),
    )


async def after(inbox: Database, last_id: int, limit: int) -> list[sqlite3.Row]:
    """The oldest arrivals after `last_id` (the last one taken in)."""
    return await inbox.fetchall(
        "SELECT * FROM arrivals WHERE id > ? ORDER BY id LIMIT ?", (last_id, limit)
    )


async def forget(tx: aiosqlite.Connection, up_to: int) -> None:
    """Arrivals up to `up_to` are in the database now: remove them here."""
    await tx.execute("DELETE FROM arrivals WHERE id <= ?", (up_to,))


async def waiting(conn: aiosqlite.Connection | Database) -> int:
    """How many arrivals are here (taken in but not yet forgotten ones included)."""
    row = await fetchone(conn, "SELECT count(*) FROM arrivals")
    return row[0] if row else 0
