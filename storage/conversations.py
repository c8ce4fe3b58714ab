"""A conversation's state and the outcome of one engine turn, stored in one transaction."""

from __future__ import annotations

import datetime as dt
import json

import aiosqlite

from conversations.segments import count_segments
from conversations.state import (
    AnswerRecorded,
    ConsentChanged,
    Escalated,
    LanguageChanged,
    OptedIn,
    OptedOut,
    Outcome,
    State,
    StatusChanged,
    TimerStarted,
)
from storage.cases import Case
from storage.crypto import Vault
from storage.db import fetchone


async def load_state(tx: aiosqlite.Connection, vault: Vault, case_id: int) -> State | None:
    row = await fetchone(tx, "SELECT state FROM conversations WHERE case_id = ?", (case_id,))
    return State.from_json(vault.open(row[0], "conversations.state") or "{}") if row else None


async def save_outcome(
    tx: aiosqlite.Connection,
    vault: Vault,
    case: Case,
    outcome: Outcome,
    *,
    script_id: str,
    script_version: int,
    channel: str,
    address: str | None,
    now: dt.datetime,
) -> list[int]:
    """Persist the new state, queue the messages in the outbox, record the effects.

    Returns the outbox ids, so a caller that delivers in-process can pick them up.
    """
    stamp = now.isoformat()
    await tx.execute(
        """INSERT INTO conversations (case_id, script_id, script_version, state, updated_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (case_id) DO UPDATE SET state = excluded.state,
               updated_at = excluded.updated_at""",
        (
            case.id,
            script_id,
            script_version,
            vault.seal(outcome.state.to_json(), "conversations.state"),
            stamp,
        ),
    )
    ids = [
        await queue_message(tx, vault, case.id, channel, address, m.text, m.choices, now)
        for m in outcome.messages
    ]
    for effect in outcome.effects:
        await _apply(tx, vault, case, effect, channel, script_id, script_version, stamp)
    return ids


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
    seg = count_segments(text)
    stamp = now.isoformat()
    cur = await tx.execute(
        """INSERT INTO outbox (case_id, channel, address, body, choices, segments, encoding,
               next_attempt_at, created_at, updated_at, audience)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            case_id,
            channel,
            vault.seal(address, "outbox.address"),
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


async def _apply(tx, vault, case, effect, channel, script_id, script_version, stamp) -> None:
    match effect:
        case StatusChanged(status):
            await tx.execute(
                "UPDATE cases SET status = ?, updated_at = ? WHERE id = ?", (status, stamp, case.id)
            )
        case AnswerRecorded(condition, status, note):
            await tx.execute(
                """INSERT INTO answers (case_id, condition, status, note, updated_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (case_id, condition) DO UPDATE SET status = excluded.status,
                       note = excluded.note, updated_at = excluded.updated_at""",
                (case.id, condition, status, vault.seal(note, "answers.note"), stamp),
            )
        case ConsentChanged(purpose, given):
            await tx.execute(
                """INSERT INTO consent_events (case_id, purpose, given, at, channel, script_id,
                       script_version) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (case.id, purpose, int(given), stamp, channel, script_id, script_version),
            )
        case OptedOut() | OptedIn():
            await tx.execute(
                "UPDATE cases SET opted_out = ?, updated_at = ? WHERE id = ?",
                (int(isinstance(effect, OptedOut)), stamp, case.id),
            )
        case Escalated():
            pass  # escalations alert people: the bot layer handles them (bot.alerts)
        case LanguageChanged(language):
            await tx.execute(
                "UPDATE cases SET language = ?, updated_at = ? WHERE id = ?",
                (language, stamp, case.id),
            )
        case TimerStarted(step, due):
            # One pending step timer per case: entering a new step replaces it.
            await tx.execute(
                """UPDATE scheduled_events SET done_at = ?, outcome = 'cancelled: moved on'
                   WHERE case_id = ? AND kind = 'step_timeout' AND done_at IS NULL""",
                (stamp, case.id),
            )
            await tx.execute(
                "INSERT INTO scheduled_events (case_id, kind, due_at, payload) VALUES (?, ?, ?, ?)",
                (
                    case.id,
                    "step_timeout",
                    due.astimezone(dt.UTC).isoformat(),
                    json.dumps({"step": step}),
                ),
            )
