"""The contact person's own records on a case: contact attempts, the person's plan, and
whether the person is already known to care services.

Notes, actions and the care organisation are sealed; kinds, outcomes, statuses and dates
stay readable, so the monitoring report still counts them after the retention purge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from storage.crypto import Vault
from storage.db import Database, fetchall, fetchone

ATTEMPT_KINDS = ("phone", "text", "letter", "home_visit", "existing_care", "social_team")
ATTEMPT_OUTCOMES = ("reached", "no_answer", "voicemail", "wrong_number", "refused", "sent")
WHO = ("person", "municipality", "partner")
ACTION_STATUSES = ("open", "done", "dropped")

Conn = aiosqlite.Connection | Database


@dataclass(frozen=True)
class Attempt:
    """One logged attempt to reach the person outside the bot."""

    id: int
    kind: str
    outcome: str
    at: dt.datetime
    note: str


@dataclass(frozen=True)
class PlanAction:
    """One action of the person's own plan: on which condition, what, who, by when."""

    id: int
    condition: str
    what: str
    who: str
    due: dt.date | None
    status: str


@dataclass(frozen=True)
class Care:
    """Known to care services: None not asked, False no, True yes (and which organisation)."""

    known: bool | None
    organisation: str


async def log_attempt(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    user_id: int | None,
    kind: str,
    outcome: str,
    at: dt.datetime,
    note: str,
    now: dt.datetime,
) -> int:
    """Record a contact attempt (the note sealed); returns its id."""
    cursor = await tx.execute(
        """INSERT INTO contact_attempts (case_id, user_id, kind, outcome, at, note, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            case_id,
            user_id,
            kind,
            outcome,
            at.astimezone(dt.UTC).isoformat(),
            vault.seal(note, "contact_attempts.note") if note else None,
            now.isoformat(),
        ),
    )
    return int(cursor.lastrowid or 0)


async def attempts(conn: Conn, vault: Vault, case_id: int) -> list[Attempt]:
    """A case's contact attempts, oldest first."""
    rows = await fetchall(
        conn, "SELECT * FROM contact_attempts WHERE case_id = ? ORDER BY at, id", (case_id,)
    )
    return [
        Attempt(
            r["id"],
            r["kind"],
            r["outcome"],
            dt.datetime.fromisoformat(r["at"]),
            vault.open(r["note"], "contact_attempts.note") or "",
        )
        for r in rows
    ]


async def attempt_counts(db: Database, case_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(kind, outcome) of every contact attempt, per case, for the report."""
    if not case_ids:
        return {}
    marks = ",".join("?" * len(case_ids))
    rows = await db.fetchall(
        f"SELECT case_id, kind, outcome FROM contact_attempts WHERE case_id IN ({marks})",
        case_ids,
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for r in rows:
        found.setdefault(r["case_id"], []).append((r["kind"], r["outcome"]))
    return found


async def add_action(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    condition: str,
    what: str,
    who: str,
    due: dt.date | None,
    now: dt.datetime,
) -> int:
    """A new open action in the person's plan; returns its id."""
    cursor = await tx.execute(
        """INSERT INTO plan_actions (case_id, condition, what, who, due, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            case_id,
            condition,
            vault.seal(what, "plan_actions.what"),
            who,
            due.isoformat() if due else None,
            now.isoformat(),
            now.isoformat(),
        ),
    )
    return int(cursor.lastrowid or 0)


async def set_action_status(
    tx: aiosqlite.Connection, case_id: int, action_id: int, status: str, now: dt.datetime
) -> bool:
    """Mark one action of this case open, done or dropped; False when it is not this case's."""
    cursor = await tx.execute(
        "UPDATE plan_actions SET status = ?, updated_at = ? WHERE id = ? AND case_id = ?",
        (status, now.isoformat(), action_id, case_id),
    )
    return cursor.rowcount == 1


async def plan(conn: Conn, vault: Vault, case_id: int) -> list[PlanAction]:
    """The person's plan: actions by due date (undated last), then as added."""
    rows = await fetchall(
        conn,
        """SELECT * FROM plan_actions WHERE case_id = ?
           ORDER BY due IS NULL, due, id""",
        (case_id,),
    )
    return [_action(r, vault) for r in rows]


async def action(conn: Conn, vault: Vault, action_id: int) -> PlanAction | None:
    """One plan action by id."""
    row = await fetchone(conn, "SELECT * FROM plan_actions WHERE id = ?", (action_id,))
    return _action(row, vault) if row else None


def _action(row, vault: Vault) -> PlanAction:
    return PlanAction(
        row["id"],
        row["condition"],
        vault.open(row["what"], "plan_actions.what") or "",
        row["who"],
        dt.date.fromisoformat(row["due"]) if row["due"] else None,
        row["status"],
    )


async def agree_plan(tx: aiosqlite.Connection, case_id: int, now: dt.datetime) -> None:
    """The plan was agreed with the person now."""
    await tx.execute("UPDATE cases SET plan_agreed_at = ? WHERE id = ?", (now.isoformat(), case_id))


async def plan_agreed_at(conn: Conn, case_id: int) -> dt.datetime | None:
    """When the plan was agreed with the person, if it was."""
    row = await fetchone(conn, "SELECT plan_agreed_at FROM cases WHERE id = ?", (case_id,))
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


async def set_care(
    tx: aiosqlite.Connection, vault: Vault, case_id: int, known: bool, organisation: str
) -> None:
    """Whether the person is already known to care services, and by which organisation."""
    sealed = vault.seal(organisation, "cases.care_organisation") if known and organisation else None
    await tx.execute(
        "UPDATE cases SET known_to_care = ?, care_organisation = ? WHERE id = ?",
        (int(known), sealed, case_id),
    )


async def care(conn: Conn, vault: Vault, case_id: int) -> Care:
    """The known-to-care field of a case."""
    row = await fetchone(
        conn, "SELECT known_to_care, care_organisation FROM cases WHERE id = ?", (case_id,)
    )
    if row is None or row[0] is None:
        return Care(None, "")
    return Care(bool(row[0]), vault.open(row[1], "cases.care_organisation") or "")


async def known_to_care(db: Database, case_ids: list[int]) -> set[int]:
    """The cases among `case_ids` marked as known to care services, for the report."""
    if not case_ids:
        return set()
    marks = ",".join("?" * len(case_ids))
    rows = await db.fetchall(
        f"SELECT id FROM cases WHERE known_to_care = 1 AND id IN ({marks})", case_ids
    )
    return {r[0] for r in rows}


async def erase(tx: aiosqlite.Connection, vault: Vault, case_id: int) -> None:
    """Forget what identifies the person here; kinds, outcomes and statuses stay counted."""
    await tx.execute("UPDATE contact_attempts SET note = NULL WHERE case_id = ?", (case_id,))
    await tx.execute(
        "UPDATE plan_actions SET what = ? WHERE case_id = ?",
        (vault.seal("", "plan_actions.what"), case_id),
    )
    await tx.execute("UPDATE cases SET care_organisation = NULL WHERE id = ?", (case_id,))
