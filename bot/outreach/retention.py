"""Erasing a person: after the retention period, or when they ask. Counts stay, people go."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.outreach.scheduler import cancel
from storage.cases import audit
from storage.crypto import Vault

PERSON_DATA_KINDS = ("outreach", "reminder", "step_timeout", "escalate", "escalation_check")


async def erase(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    now: dt.datetime,
    why: str,
    actor: str = "scheduler",
) -> None:
    """Remove name, phone, prison, messages, notes, state and channel bindings.

    What the monitoring report counts stays: status, municipality, dates, consent given or
    not, answer statuses without notes, escalation reasons, message channels and times.
    """
    stamp = now.isoformat()
    empty = vault.seal("", "cases.first_name")
    await tx.execute(
        """UPDATE cases SET first_name = ?, phone = NULL, phone_hash = NULL, prison = NULL,
               invite_code = '-' || id, purged_at = ?, updated_at = ? WHERE id = ?""",
        (empty, stamp, stamp, case_id),
    )
    await tx.execute("DELETE FROM conversations WHERE case_id = ?", (case_id,))
    await tx.execute("DELETE FROM channel_identities WHERE case_id = ?", (case_id,))
    await tx.execute("UPDATE answers SET note = NULL WHERE case_id = ?", (case_id,))
    await tx.execute("UPDATE escalations SET note = NULL WHERE case_id = ?", (case_id,))
    await tx.execute("DELETE FROM case_notes WHERE case_id = ?", (case_id,))
    await tx.execute(
        "UPDATE inbound SET body = NULL, sender = NULL, sender_hash = NULL WHERE case_id = ?",
        (case_id,),
    )
    await tx.execute(
        "UPDATE outbox SET body = ?, address = NULL, choices = NULL WHERE case_id = ?",
        (vault.seal("", "outbox.body"), case_id),
    )
    await cancel(tx, case_id, PERSON_DATA_KINDS, now, "erased")
    await audit(tx, actor, "erase", case_id, stamp, why)
