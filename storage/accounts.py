"""Managing staff accounts: list, disable, set a new password.

A disabled account keeps its row (the audit log names it) but cannot sign in: its password
hash is replaced by a value no password matches and its sessions end. Setting a new
password enables it again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from storage.db import Database, fetchone
from storage.users import HASHER, MIN_PASSWORD

DISABLED_HASH = "!disabled"  # not an argon2 hash: every verification fails


@dataclass(frozen=True)
class Account:
    """A staff account as administrators see it (never its hash)."""

    id: int
    email: str
    role: str
    organisation_id: str | None
    created_at: str
    disabled_at: str | None
    locked_until: str | None


async def listed(db: Database) -> list[Account]:
    """Every staff account, by e-mail."""
    rows = await db.fetchall(
        """SELECT id, email, role, organisation_id, created_at, disabled_at, locked_until
           FROM users ORDER BY email"""
    )
    return [Account(*tuple(r)) for r in rows]


async def by_email(conn: aiosqlite.Connection | Database, email: str) -> Account | None:
    """One account by e-mail (case-insensitive)."""
    row = await fetchone(
        conn,
        """SELECT id, email, role, organisation_id, created_at, disabled_at, locked_until
           FROM users WHERE email = ?""",
        (email.strip().lower(),),
    )
    return Account(*tuple(row)) if row else None


async def disable(tx: aiosqlite.Connection, user_id: int, now: dt.datetime) -> None:
    """The account can no longer sign in; its open sessions end now."""
    await tx.execute(
        "UPDATE users SET password_hash = ?, disabled_at = ? WHERE id = ?",
        (DISABLED_HASH, now.isoformat(), user_id),
    )
    await tx.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))


async def set_password(tx: aiosqlite.Connection, user_id: int, password: str) -> None:
    """A new password (at least MIN_PASSWORD characters): enables, unlocks, ends sessions."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must be at least {MIN_PASSWORD} characters")
    await tx.execute(
        """UPDATE users SET password_hash = ?, disabled_at = NULL, failed_logins = 0,
               locked_until = NULL WHERE id = ?""",
        (HASHER.hash(password), user_id),
    )
    await tx.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
