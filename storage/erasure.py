"""Erasing a person's data: what identifies them goes; what the report counts stays."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from storage.crypto import Vault
from storage.db import fetchall


async def erase_person(
    tx: aiosqlite.Connection, vault: Vault, case_id: int, now: dt.datetime
) -> None:
    """Remove everything about the person; keep only what the report counts.

    Gone: name, phone, prison, invite code, conversation state, notes, channel bindings;
    every message from and to the person, also those of chats that claimed their code
    before they were bound (`/start CODE`, wrong tries) and the replies to them; the
    answers' content (a row per answered condition stays, status 'unknown', so intakes
    still count), escalation notes, an appointment's time and place (a future booking
    is cancelled, which frees its time). Kept: status, municipality, organisation,
    dates of import and erasure, consent given or not, escalation reason codes and
    times, message channels, times and statuses.
    """
    stamp = now.isoformat()
    addresses = await _addresses(tx, vault, case_id)
    await tx.execute(
        """UPDATE cases SET first_name = ?, phone = NULL, phone_hash = NULL, prison = NULL,
               invite_code = '-' || id, purged_at = ?, updated_at = ? WHERE id = ?""",
        (vault.seal("", "cases.first_name"), stamp, stamp, case_id),
    )
    await tx.execute("DELETE FROM conversations WHERE case_id = ?", (case_id,))
    await tx.execute("DELETE FROM channel_identities WHERE case_id = ?", (case_id,))
    await tx.execute(
        "UPDATE answers SET status = 'unknown', note = NULL WHERE case_id = ?", (case_id,)
    )
    await tx.execute("UPDATE escalations SET note = NULL WHERE case_id = ?", (case_id,))
    await tx.execute("DELETE FROM case_notes WHERE case_id = ?", (case_id,))
    await tx.execute(
        """UPDATE appointments SET
               status = CASE WHEN status = 'booked' AND start > ? THEN 'cancelled'
                             ELSE status END,
               cancelled_at = CASE WHEN status = 'booked' AND start > ? THEN ?
                                   ELSE cancelled_at END,
               start = ?, place = NULL, slot_id = NULL
           WHERE case_id = ?""",
        (stamp, stamp, stamp, stamp, case_id),
    )
    await _erase_messages(tx, vault, case_id, addresses)


async def _addresses(tx: aiosqlite.Connection, vault: Vault, case_id: int) -> list[tuple[str, str]]:
    """(channel, keyed hash) of every address the person was known by: their bindings
    and their phone number by SMS and WhatsApp."""
    rows = await fetchall(
        tx,
        """SELECT channel, address_hash FROM channel_identities WHERE case_id = ?
           UNION ALL SELECT 'phone', phone FROM cases WHERE id = ? AND phone IS NOT NULL""",
        (case_id, case_id),
    )
    found = {(r[0], r[1]) for r in rows if r[0] != "phone"}
    for row in rows:
        if row[0] == "phone" and (phone := vault.open(row[1], "cases.phone")):
            found |= {("sms", vault.lookup_hash(phone))}
            found |= {("whatsapp", vault.lookup_hash(f"whatsapp:{phone}"))}
    return sorted(found)


async def _erase_messages(
    tx: aiosqlite.Connection, vault: Vault, case_id: int, addresses: list[tuple[str, str]]
) -> None:
    """Blank the person's messages both ways: of the case, and those of their addresses
    that belong to no case (before the code bound the chat; a shared phone's messages
    of another case stay that case's)."""
    await tx.execute(
        "UPDATE inbound SET body = NULL, sender = NULL, sender_hash = NULL WHERE case_id = ?",
        (case_id,),
    )
    blank = vault.seal("", "outbox.body")
    await tx.execute(
        """UPDATE outbox SET body = ?, address = NULL, address_hash = NULL, choices = NULL
           WHERE case_id = ?""",
        (blank, case_id),
    )
    for channel, address_hash in addresses:
        await tx.execute(
            """UPDATE inbound SET body = NULL, sender = NULL, sender_hash = NULL
               WHERE channel = ? AND sender_hash = ? AND case_id IS NULL""",
            (channel, address_hash),
        )
        await tx.execute(
            """UPDATE outbox SET body = ?, address = NULL, address_hash = NULL, choices = NULL
               WHERE channel = ? AND address_hash = ? AND case_id IS NULL""",
            (blank, channel, address_hash),
        )
        await tx.execute(
            "DELETE FROM code_attempts WHERE channel = ? AND address_hash = ?",
            (channel, address_hash),
        )
