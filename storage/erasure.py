"""Erasing a person's data: what identifies them goes; what the report counts stays."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from storage.crypto import Vault


async def erase_person(
    tx: aiosqlite.Connection, vault: Vault, case_id: int, now: dt.datetime
) -> None:
    """Remove name, phone, prison, messages, notes, state and channel bindings.

    What the monitoring report counts stays: status, municipality, dates, consent given or
    not, answer statuses without notes, escalation reasons, message channels and times.
    """
    stamp = now.isoformat()
    await tx.execute(
        """UPDATE cases SET first_name = ?, phone = NULL, phone_hash = NULL, prison = NULL,
               invite_code = '-' || id, purged_at = ?, updated_at = ? WHERE id = ?""",
        (vault.seal("", "cases.first_name"), stamp, stamp, case_id),
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
