"""Staff accounts and sessions. Passwords are argon2id hashes; sessions are random tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import aiosqlite
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage.db import Database

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
DUMMY_HASH = HASHER.hash("not a password of anyone")  # equal work for unknown e-mails
MIN_PASSWORD = 12
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=8)


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: str
    organisation_id: str | None
    language: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


def _user(row) -> User:
    return User(row["id"], row["email"], row["role"], row["organisation_id"], row["language"])


async def add_user(
    tx: aiosqlite.Connection,
    email: str,
    password: str,
    role: str,
    organisation_id: str | None,
    now: dt.datetime,
) -> int:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must be at least {MIN_PASSWORD} characters")
    cursor = await tx.execute(
        """INSERT INTO users (email, password_hash, role, organisation_id, created_at)
           VALUES (?, ?, ?, ?, ?)""",
        (email.strip().lower(), HASHER.hash(password), role, organisation_id, now.isoformat()),
    )
    return int(cursor.lastrowid or 0)


async def authenticate(db: Database, email: str, password: str, now: dt.datetime) -> User | None:
    """The user, or None; repeated failures lock the account for a while."""
    row = await db.fetchone("SELECT * FROM users WHERE email = ?", (email.strip().lower(),))
    if row is None:
        _verify(DUMMY_HASH, password)
        return None
    if row["locked_until"] and dt.datetime.fromisoformat(row["locked_until"]) > now:
        _verify(DUMMY_HASH, password)
        return None
    ok = _verify(row["password_hash"], password)
    async with db.transaction() as tx:
        if ok:
            await tx.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", (row["id"],)
            )
        else:
            failures = row["failed_logins"] + 1
            locked = (now + LOCKOUT).isoformat() if failures >= MAX_FAILURES else None
            await tx.execute(
                "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
                (0 if locked else failures, locked, row["id"]),
            )
    return _user(row) if ok else None


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(db: Database, user: User, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(),))
        await tx.execute(
            """INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
               VALUES (?, ?, ?, ?, ?)""",
            (
                _token_hash(token),
                user.id,
                secrets.token_urlsafe(32),
                now.isoformat(),
                (now + SESSION_LIFETIME).isoformat(),
            ),
        )
    return token


async def session_for(db: Database, token: str, now: dt.datetime) -> Session | None:
    row = await db.fetchone(
        """SELECT u.*, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = ?""",
        (_token_hash(token),),
    )
    if row is None or dt.datetime.fromisoformat(row["expires_at"]) < now:
        return None
    return Session(_user(row), row["csrf"])


async def close_session(db: Database, token: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))


async def set_language(tx: aiosqlite.Connection, user_id: int, language: str) -> None:
    """The language the staff pages speak to this user (nl or en)."""
    await tx.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))
