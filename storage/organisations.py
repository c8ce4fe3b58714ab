"""Organisations, the municipalities they serve, their contact persons and slots."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field

import aiosqlite

from storage.db import Database, fetchall, fetchone


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str | None = None
    telegram_chat_id: int | None = None
    backup: bool = False


@dataclass(frozen=True)
class Slot:
    weekday: int  # Monday = 0
    start: str  # "10:00"
    end: str
    minutes: int
    mode: str
    place: str | None = None
    capacity: int = 1


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    kind: str
    province: str | None = None
    phone: str | None = None
    municipalities: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = field(default=())
    slots: tuple[Slot, ...] = field(default=())
    timeline: str = "{}"  # JSON: reminder_days, escalate_after_days, ... (bot.timeline)
    sender_name: str | None = None  # shown first in every message; defaults to the name
    address: str | None = None
    closing_days: tuple[dt.date, ...] = ()  # closed besides the public calendar
    website: str | None = None  # public: where people can check the phone number
    letter: str = "{}"  # JSON: the letter's wording per language (bot.staff.printouts)
    # Approved WhatsApp templates, JSON: {purpose: {language: Content SID (HX...)}}
    whatsapp_templates: str = "{}"


def municipality_key(name: str) -> str:
    """`'s-Hertogenbosch`, `Sittard-Geleen ` and `SITTARD-GELEEN` look up alike."""
    return " ".join(name.casefold().replace("’", "'").split())


async def save_organisation(tx: aiosqlite.Connection, org: Organisation, now: str) -> str:
    """Create or update one organisation with everything it owns; says what happened."""
    before = await _snapshot(tx, org.id)
    await tx.execute(
        """INSERT INTO organisations (id, name, kind, province, phone, timeline, sender_name,
               address, closing_days, website, whatsapp_templates, letter, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
               province = excluded.province, phone = excluded.phone,
               timeline = excluded.timeline, sender_name = excluded.sender_name,
               address = excluded.address, closing_days = excluded.closing_days,
               website = excluded.website,
               whatsapp_templates = excluded.whatsapp_templates, letter = excluded.letter""",
        (
            org.id,
            org.name,
            org.kind,
            org.province,
            org.phone,
            org.timeline,
            org.sender_name,
            org.address,
            json.dumps(sorted(day.isoformat() for day in org.closing_days)),
            org.website,
            org.whatsapp_templates,
            org.letter,
            now,
        ),
    )
    await tx.execute("DELETE FROM municipalities WHERE organisation_id = ?", (org.id,))
    await tx.executemany(
        "INSERT INTO municipalities (key, name, organisation_id) VALUES (?, ?, ?)",
        [(municipality_key(m), m, org.id) for m in org.municipalities],
    )
    await _save_contacts(tx, org)
    await tx.execute("DELETE FROM slots WHERE organisation_id = ?", (org.id,))
    await tx.executemany(
        """INSERT INTO slots (organisation_id, weekday, start_time, end_time, minutes, mode,
               place, capacity) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (org.id, s.weekday, s.start, s.end, s.minutes, s.mode, s.place, s.capacity)
            for s in org.slots
        ],
    )
    after = await _snapshot(tx, org.id)
    if before is None:
        return "created"
    if before == after:
        return "unchanged"
    await tx.execute("UPDATE organisations SET updated_at = ? WHERE id = ?", (now, org.id))
    return "updated"


async def _save_contacts(tx: aiosqlite.Connection, org: Organisation) -> None:
    """Upsert by e-mail so escalations keep pointing at the same contact row."""
    emails = [c.email for c in org.contacts]
    marks = ",".join("?" * len(emails)) or "NULL"
    await tx.execute(
        f"DELETE FROM contacts WHERE organisation_id = ? AND email NOT IN ({marks})",
        (org.id, *emails),
    )
    await tx.executemany(
        """INSERT INTO contacts (organisation_id, name, email, phone, telegram_chat_id, backup)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (organisation_id, email) DO UPDATE SET name = excluded.name,
               phone = excluded.phone, telegram_chat_id = excluded.telegram_chat_id,
               backup = excluded.backup""",
        [
            (org.id, c.name, c.email, c.phone, c.telegram_chat_id, int(c.backup))
            for c in org.contacts
        ],
    )


async def _snapshot(tx: aiosqlite.Connection, org_id: str) -> tuple | None:
    async def rows(sql: str) -> list[tuple]:
        return [tuple(r) for r in await fetchall(tx, sql, (org_id,))]

    head = await rows(
        "SELECT name, kind, province, phone, timeline, sender_name, address, closing_days, "
        "website, letter, whatsapp_templates FROM organisations WHERE id = ?"
    )
    if not head:
        return None
    return (
        head,
        await rows("SELECT key, name FROM municipalities WHERE organisation_id = ? ORDER BY key"),
        await rows(
            "SELECT name, email, phone, telegram_chat_id, backup FROM contacts "
            "WHERE organisation_id = ? ORDER BY email"
        ),
        await rows(
            "SELECT weekday, start_time, end_time, minutes, mode, place, capacity FROM slots "
            "WHERE organisation_id = ? ORDER BY 1, 2, 3, 5, 6"
        ),
    )


async def served_municipalities(db: Database) -> dict[str, str]:
    """Municipality key -> id of the organisation that serves it."""
    rows = await db.fetchall("SELECT key, organisation_id FROM municipalities")
    return {r["key"]: r["organisation_id"] for r in rows}


async def get_organisation(
    conn: aiosqlite.Connection | Database, organisation_id: str
) -> sqlite3.Row | None:
    """One organisation's row: name, phone, sender name, address, timeline settings."""
    return await fetchone(conn, "SELECT * FROM organisations WHERE id = ?", (organisation_id,))


async def closing_days(
    conn: aiosqlite.Connection | Database, organisation_id: str
) -> tuple[dt.date, ...]:
    """The days the organisation is closed besides the public calendar."""
    row = await fetchone(
        conn, "SELECT closing_days FROM organisations WHERE id = ?", (organisation_id,)
    )
    return closing_days_of(row) if row else ()


def closing_days_of(row: sqlite3.Row) -> tuple[dt.date, ...]:
    """The closing days in an organisation's row (as `get_organisation` reads it)."""
    return tuple(dt.date.fromisoformat(d) for d in json.loads(row["closing_days"]))


async def whatsapp_template(
    conn: aiosqlite.Connection | Database, organisation_id: str, purpose: str, language: str
) -> str | None:
    """The Content SID of the organisation's approved template for a purpose and language."""
    row = await fetchone(
        conn, "SELECT whatsapp_templates FROM organisations WHERE id = ?", (organisation_id,)
    )
    templates = json.loads(row[0] or "{}") if row else {}
    sid = templates.get(purpose, {}).get(language)
    return sid if isinstance(sid, str) and sid else None
