"""Contact persons as alerts and relays reach them: by id, by address, by organisation."""

from __future__ import annotations

import sqlite3

import aiosqlite

from storage.db import Database, fetchone


async def by_id(conn: aiosqlite.Connection | Database, contact_id: int) -> sqlite3.Row | None:
    return await fetchone(conn, "SELECT * FROM contacts WHERE id = ?", (contact_id,))


async def on_duty(
    tx: aiosqlite.Connection, organisation_id: str, backup: bool
) -> sqlite3.Row | None:
    """The organisation's first contact person, or its first backup."""
    return await fetchone(
        tx,
        "SELECT * FROM contacts WHERE organisation_id = ? AND backup = ? ORDER BY id LIMIT 1",
        (organisation_id, int(backup)),
    )


async def by_address(tx: aiosqlite.Connection, channel: str, address: str) -> sqlite3.Row | None:
    """The contact person writing from this address, if it is one of theirs."""
    if channel == "telegram" and address.lstrip("-").isdigit():
        return await fetchone(
            tx, "SELECT * FROM contacts WHERE telegram_chat_id = ?", (int(address),)
        )
    if channel == "sms":
        return await fetchone(tx, "SELECT * FROM contacts WHERE phone = ?", (address,))
    return None


async def of_user(
    conn: aiosqlite.Connection | Database, email: str, organisation_id: str
) -> sqlite3.Row | None:
    """The contact-person record of a staff account, in one organisation."""
    return await fetchone(
        conn,
        "SELECT * FROM contacts WHERE email = ? AND organisation_id = ?",
        (email, organisation_id),
    )
