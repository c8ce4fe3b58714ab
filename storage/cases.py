"""Self-reporters' cases: sealed personal data, invite codes, phone look-up by keyed hash."""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from dataclasses import dataclass

import aiosqlite

from storage.crypto import Vault
from storage.db import Database, fetchall, fetchone

# No 0/O, 1/I/L: a code read aloud or from paper is never ambiguous.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 6
IN_LIST = 500  # values per `IN (...)` list in one statement


@dataclass(frozen=True, slots=True)
class CaseInput:
    """One validated row of an import file."""

    reference: str
    first_name: str
    municipality: str
    report_date: dt.date
    phone: str | None = None  # E.164
    prison: str | None = None
    language: str = "nl"
    phone_type: str | None = None  # why the phone cannot get texts (landline...); None: mobile


@dataclass(frozen=True)
class Case:
    id: int
    reference: str
    organisation_id: str
    municipality: str
    report_date: dt.date
    first_name: str
    phone: str | None
    prison: str | None
    language: str
    invite_code: str
    status: str
    opted_out: bool
    purged: bool = False
    taken_over_by: int | None = None  # a contact person handles the conversation
    phone_type: str | None = None  # landline, premium-rate, VoIP...: no texts to it

    @property
    def textable(self) -> bool:
        """Whether the phone can get SMS (and WhatsApp): a mobile number."""
        return self.phone is not None and self.phone_type is None


def new_invite_codes(count: int) -> list[str]:
    """`count` random invite codes, drawn from the system's random source in bulk."""
    size = len(INVITE_ALPHABET)
    usable = 256 - 256 % size  # a byte at or above this would favour the first letters
    needed = count * INVITE_LENGTH
    letters: list[str] = []
    while len(letters) < needed:
        raw = secrets.token_bytes(needed - len(letters) + 16)
        letters += [INVITE_ALPHABET[b % size] for b in raw if b < usable]
    return ["".join(letters[i : i + INVITE_LENGTH]) for i in range(0, needed, INVITE_LENGTH)]


def case_from_row(row: sqlite3.Row, vault: Vault) -> Case:
    """A case as its `cases` row holds it, sealed fields opened."""
    return Case(
        id=row["id"],
        reference=row["reference"],
        organisation_id=row["organisation_id"],
        municipality=row["municipality"],
        report_date=dt.date.fromisoformat(row["report_date"]),
        first_name=vault.open(row["first_name"], "cases.first_name") or "",
        phone=vault.open(row["phone"], "cases.phone"),
        prison=vault.open(row["prison"], "cases.prison"),
        language=row["language"],
        invite_code=row["invite_code"],
        status=row["status"],
        opted_out=bool(row["opted_out"]),
        purged=row["purged_at"] is not None,
        taken_over_by=row["taken_over_by"],
        phone_type=row["phone_type"],
    )


async def get_case(
    conn: Database | aiosqlite.Connection,
    vault: Vault,
    *,
    reference: str | None = None,
    case_id: int | None = None,
    invite_code: str | None = None,
) -> Case | None:
    """One case by one key; pass a transaction to see its own uncommitted writes."""
    column, value = next(
        (c, v)
        for c, v in (("reference", reference), ("id", case_id), ("invite_code", invite_code))
        if v is not None
    )
    sql = f"SELECT * FROM cases WHERE {column} = ?"
    row = await fetchone(conn, sql, (value,))
    return case_from_row(row, vault) if row else None


async def save_case(
    tx: aiosqlite.Connection, vault: Vault, data: CaseInput, organisation_id: str, now: str
) -> str:
    """Insert a new case or update a known reference; says created, updated or unchanged."""
    row = await fetchone(tx, "SELECT * FROM cases WHERE reference = ?", (data.reference,))
    if row is None:
        await insert_cases(tx, vault, [(data, organisation_id)], now)
        return "created"
    changed = await update_case(tx, vault, case_from_row(row, vault), data, organisation_id, now)
    return "updated" if changed else "unchanged"


async def by_references(
    tx: aiosqlite.Connection, vault: Vault, references: list[str]
) -> dict[str, Case]:
    """The known cases among these references, by reference (one read per 500)."""
    found: dict[str, Case] = {}
    for start in range(0, len(references), IN_LIST):
        chunk = references[start : start + IN_LIST]
        marks = ",".join("?" * len(chunk))
        for row in await fetchall(tx, f"SELECT * FROM cases WHERE reference IN ({marks})", chunk):
            found[row["reference"]] = case_from_row(row, vault)
    return found


async def update_case(
    tx: aiosqlite.Connection,
    vault: Vault,
    old: Case,
    data: CaseInput,
    organisation_id: str,
    now: str,
) -> bool:
    """Write an import row over a known case; False when it holds nothing new."""
    same = (
        old.first_name,
        old.phone,
        old.prison,
        old.municipality,
        old.report_date,
        old.language,
        old.organisation_id,
        old.phone_type,
    ) == (
        data.first_name,
        data.phone,
        data.prison,
        data.municipality,
        data.report_date,
        data.language,
        organisation_id,
        data.phone_type,
    )
    if same:
        return False
    await tx.execute(
        """UPDATE cases SET first_name = ?, phone = ?, phone_hash = ?, prison = ?,
               municipality = ?, report_date = ?, language = ?, organisation_id = ?,
               phone_type = ?, updated_at = ? WHERE id = ?""",
        (
            *_sealed(vault, data),
            data.municipality,
            data.report_date.isoformat(),
            data.language,
            organisation_id,
            data.phone_type,
            now,
            old.id,
        ),
    )
    return True


def _sealed(vault: Vault, data: CaseInput) -> tuple:
    return (
        vault.seal(data.first_name, "cases.first_name"),
        vault.seal(data.phone, "cases.phone"),
        vault.lookup_hash(data.phone) if data.phone else None,
        vault.seal(data.prison, "cases.prison"),
    )


async def insert_cases(
    tx: aiosqlite.Connection, vault: Vault, rows: list[tuple[CaseInput, str]], now: str
) -> list[int]:
    """New cases (references not yet known), each with a free invite code, in one
    statement; returns their ids in the order given."""
    codes = await _free_invite_codes(tx, len(rows))
    await tx.executemany(
        """INSERT INTO cases (reference, first_name, phone, phone_hash, prison,
               municipality, report_date, language, organisation_id, invite_code,
               phone_type, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                data.reference,
                *_sealed(vault, data),
                data.municipality,
                data.report_date.isoformat(),
                data.language,
                organisation_id,
                code,
                data.phone_type,
                now,
                now,
            )
            for (data, organisation_id), code in zip(rows, codes, strict=True)
        ],
    )
    ids: dict[str, int] = {}
    references = [data.reference for data, _ in rows]
    for start in range(0, len(references), IN_LIST):
        chunk = references[start : start + IN_LIST]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, reference FROM cases WHERE reference IN ({marks})"
        ids.update((r["reference"], r["id"]) for r in await fetchall(tx, sql, chunk))
    return [ids[reference] for reference in references]


async def _free_invite_codes(tx: aiosqlite.Connection, count: int) -> list[str]:
    """`count` distinct invite codes that no case has (inside the writing transaction, so
    no other writer can take one meanwhile)."""
    codes: list[str] = []
    for _ in range(20):
        wanted = count - len(codes)
        if not wanted:
            return codes
        have = set(codes)
        fresh = [c for c in dict.fromkeys(new_invite_codes(wanted)) if c not in have]
        taken: set[str] = set()
        for start in range(0, len(fresh), IN_LIST):
            chunk = fresh[start : start + IN_LIST]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT invite_code FROM cases WHERE invite_code IN ({marks})"
            taken.update(r[0] for r in await fetchall(tx, sql, chunk))
        codes += [c for c in fresh if c not in taken]
    raise RuntimeError("could not find free invite codes")


async def audit(
    tx: aiosqlite.Connection,
    actor: str,
    action: str,
    case_id: int | None,
    now: str,
    detail: str = "",
) -> None:
    await tx.execute(
        "INSERT INTO audit_log (at, actor, action, case_id, detail) VALUES (?, ?, ?, ?, ?)",
        (now, actor, action, case_id, detail),
    )


async def opt_out(tx: aiosqlite.Connection, case_id: int, now: dt.datetime) -> None:
    """The carrier (or the person) said: no more messages to this case."""
    await tx.execute(
        "UPDATE cases SET opted_out = 1, updated_at = ? WHERE id = ?", (now.isoformat(), case_id)
    )


async def set_taken_over(
    tx: aiosqlite.Connection, case_id: int, contact_id: int | None, now: dt.datetime
) -> None:
    """A contact person handles the conversation (or, with None, the bot again)."""
    taken = now.isoformat()
    await tx.execute(
        "UPDATE cases SET taken_over_by = ?, taken_over_at = ?, updated_at = ? WHERE id = ?",
        (contact_id, taken if contact_id is not None else None, taken, case_id),
    )


async def held_by(tx: aiosqlite.Connection, contact_id: int) -> int | None:
    """The case this contact person took over most recently, if any."""
    row = await fetchone(
        tx,
        "SELECT id FROM cases WHERE taken_over_by = ? ORDER BY taken_over_at DESC LIMIT 1",
        (contact_id,),
    )
    return row[0] if row else None


async def opt_in(tx: aiosqlite.Connection, case_id: int, now: dt.datetime) -> None:
    """The person asked for messages again (START)."""
    await tx.execute(
        "UPDATE cases SET opted_out = 0, updated_at = ? WHERE id = ?", (now.isoformat(), case_id)
    )


async def set_status(tx: aiosqlite.Connection, case_id: int, status: str, now: dt.datetime) -> None:
    """A case's new status; the same status again changes nothing (not `updated_at`)."""
    await tx.execute(
        "UPDATE cases SET status = ?, updated_at = ? WHERE id = ? AND status IS NOT ?",
        (status, now.isoformat(), case_id, status),
    )


async def set_language(
    tx: aiosqlite.Connection, case_id: int, language: str, now: dt.datetime
) -> None:
    await tx.execute(
        "UPDATE cases SET language = ?, updated_at = ? WHERE id = ?",
        (language, now.isoformat(), case_id),
    )


async def any_case(db: Database) -> bool:
    """Whether the database holds any case at all."""
    return await db.fetchone("SELECT 1 FROM cases LIMIT 1") is not None
