"""Which chat or number belongs to which case, and the wrong-code counter per address."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from storage.cases import Case, case_from_row
from storage.crypto import Vault
from storage.db import fetchone

BOUND_CHANNELS = ("telegram", "whatsapp", "sms")


async def bind(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    channel: str,
    address: str,
    now: dt.datetime,
) -> None:
    """From now on, messages from this address on this channel belong to this case."""
    address_hash = vault.lookup_hash(address)
    await tx.execute(
        """INSERT INTO channel_identities (case_id, channel, address, address_hash, created_at)
           VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, address_hash, case_id)
           DO UPDATE SET dead = 0""",
        (
            case_id,
            channel,
            vault.seal(address, "channel_identities.address"),
            address_hash,
            now.isoformat(),
        ),
    )
    await tx.execute(
        "DELETE FROM code_attempts WHERE channel = ? AND address_hash = ?", (channel, address_hash)
    )


async def case_of_sender(
    tx: aiosqlite.Connection, vault: Vault, channel: str, address_hash: str, phone: str | None
) -> Case | None:
    """The case a sender's messages belong to, in one statement: the case this address is
    bound to (a live binding), else with `phone` the case with that number (the latest
    report date first)."""
    row = await fetchone(
        tx,
        """SELECT * FROM cases WHERE id = coalesce(
               (SELECT case_id FROM channel_identities WHERE channel = ? AND address_hash = ?
                AND dead = 0 ORDER BY id DESC LIMIT 1),
               (SELECT id FROM cases WHERE ? IS NOT NULL AND phone_hash = ?
                ORDER BY report_date DESC, id DESC LIMIT 1))""",
        (channel, address_hash, phone, vault.lookup_hash(phone) if phone else None),
    )
    return case_from_row(row, vault) if row else None


async def latest(tx: aiosqlite.Connection, vault: Vault, case_id: int) -> tuple[str, str] | None:
    """(channel, address) of the case's newest live binding on a provider channel."""
    marks = ",".join("?" * len(BOUND_CHANNELS))
    row = await fetchone(
        tx,
        f"""SELECT channel, address FROM channel_identities WHERE case_id = ? AND dead = 0
            AND channel IN ({marks}) ORDER BY id DESC LIMIT 1""",
        (case_id, *BOUND_CHANNELS),
    )
    if row is None:
        return None
    return row["channel"], vault.open(row["address"], "channel_identities.address") or ""


async def code_failures(
    tx: aiosqlite.Connection,
    channel: str,
    address_hash: str,
    now: dt.datetime,
    window: dt.timedelta,
) -> int:
    """Wrong codes or unknown messages from this address within the window."""
    row = await fetchone(
        tx,
        "SELECT failures, window_start FROM code_attempts WHERE channel = ? AND address_hash = ?",
        (channel, address_hash),
    )
    if row is None or dt.datetime.fromisoformat(row[1]) + window < now:
        return 0
    return int(row[0])


async def record_code_failure(
    tx: aiosqlite.Connection,
    channel: str,
    address_hash: str,
    now: dt.datetime,
    window: dt.timedelta,
) -> int:
    """Count one more failure (a new window when the last one ran out); returns the count."""
    failures = await code_failures(tx, channel, address_hash, now, window) + 1
    window_start = now.isoformat() if failures == 1 else None
    await tx.execute(
        """INSERT INTO code_attempts (channel, address_hash, failures, window_start)
           VALUES (?, ?, ?, ?) ON CONFLICT (channel, address_hash) DO UPDATE SET
           failures = excluded.failures,
           window_start = COALESCE(?, code_attempts.window_start)""",
        (channel, address_hash, failures, now.isoformat(), window_start),
    )
    return failures


async def claimed_elsewhere(
    tx: aiosqlite.Connection, case_id: int, channel: str, address_hash: str
) -> bool:
    """Whether another chat or number already claimed this case's invite code."""
    marks = ",".join("?" * len(BOUND_CHANNELS))
    row = await fetchone(
        tx,
        f"""SELECT 1 FROM channel_identities WHERE case_id = ? AND channel IN ({marks})
               AND NOT (channel = ? AND address_hash = ?) LIMIT 1""",
        (case_id, *BOUND_CHANNELS, channel, address_hash),
    )
    return row is not None
