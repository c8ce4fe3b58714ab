"""A conversation's sealed state, and what the engine's effects write about a case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from conversations.state import State
from storage.crypto import Vault
from storage.db import Database, fetchone


@dataclass(frozen=True)
class Stored:
    """A conversation as stored: its state and the script version it started on."""

    state: State
    script_id: str
    script_version: int


async def load(tx: aiosqlite.Connection, vault: Vault, case_id: int) -> Stored | None:
    """The case's conversation, in one read; None before it started."""
    row = await fetchone(
        tx,
        "SELECT script_id, script_version, state FROM conversations WHERE case_id = ?",
        (case_id,),
    )
    if row is None:
        return None
    state = State.from_json(vault.open(row["state"], "conversations.state") or "{}")
    return Stored(state, row["script_id"], row["script_version"])


async def started(conn: aiosqlite.Connection | Database, case_id: int) -> bool:
    """Whether the case's conversation has begun."""
    row = await fetchone(conn, "SELECT 1 FROM conversations WHERE case_id = ?", (case_id,))
    return row is not None


async def save_state(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    script_id: str,
    script_version: int,
    state: State,
    now: dt.datetime,
) -> None:
    """The new state; the script version is fixed when the conversation starts."""
    await tx.execute(
        """INSERT INTO conversations (case_id, script_id, script_version, state, updated_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (case_id) DO UPDATE SET state = excluded.state,
               updated_at = excluded.updated_at""",
        (
            case_id,
            script_id,
            script_version,
            vault.seal(state.to_json(), "conversations.state"),
            now.isoformat(),
        ),
    )


async def record_answer(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    condition: str,
    status: str,
    note: str | None,
    now: dt.datetime,
) -> None:
    """The person's answer on one basic condition (the latest one counts)."""
    await tx.execute(
        """INSERT INTO answers (case_id, condition, status, note, updated_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (case_id, condition) DO UPDATE SET status = excluded.status,
               note = excluded.note, updated_at = excluded.updated_at""",
        (case_id, condition, status, vault.seal(note, "answers.note"), now.isoformat()),
    )


async def record_consent(
    tx: aiosqlite.Connection,
    case_id: int,
    purpose: str,
    given: bool,
    channel: str,
    script_id: str,
    script_version: int,
    now: dt.datetime,
) -> None:
    """Consent events are appended, never changed: the history is the record."""
    await tx.execute(
        """INSERT INTO consent_events (case_id, purpose, given, at, channel, script_id,
               script_version) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (case_id, purpose, int(given), now.isoformat(), channel, script_id, script_version),
    )
