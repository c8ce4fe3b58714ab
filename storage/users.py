"""Staff accounts and sessions. Passwords are argon2id hashes; sessions are random tokens."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass

import aiosqlite
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage.db import Database, fetchone

log = logging.getLogger("voorzorg.auth")
HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_PASSWORD = 12
MAX_FAILURES = 5  # attempts per account in a lockout window
MAX_ADDRESS_FAILURES = 20  # failed attempts per client address in a lockout window
LOCKOUT = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=8)
SESSION_IDLE = dt.timedelta(minutes=30)  # a session unused this long has ended
SEEN_EVERY = dt.timedelta(minutes=1)  # how often a session's last use is written


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
        (email.strip().lower(), hash_password(password), role, organisation_id, now.isoformat()),
    )
    return int(cursor.lastrowid or 0)


async def authenticate(
    db: Database, email: str, password: str, now: dt.datetime, address: str = "-"
) -> User | None:
    """The user, or None: a wrong e-mail or password, or too many attempts for this
    account or from this address just now (then the password is not even checked).
    Each attempt is counted per account and per client address before the password is
    checked (one statement each, in one transaction), so parallel attempts cannot pass
    the lockout; the hash runs off the event loop."""
    email = email.strip().lower()
    async with db.transaction() as tx:
        per_account = await _count_attempt(tx, "account", email, now)
        per_address = await _count_attempt(tx, "address", address, now)
        row = await fetchone(tx, "SELECT * FROM users WHERE email = ?", (email,))
    if per_account > MAX_FAILURES or per_address > MAX_ADDRESS_FAILURES:
        log.warning("login refused, too many attempts: account %r from %s", email[:120], address)
        return None
    ok = await asyncio.to_thread(_verify, row["password_hash"] if row else None, password)
    if not (ok and row):
        return None
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM login_attempts WHERE scope = 'account' AND key = ?", (email,))
        await tx.execute(
            """UPDATE login_attempts SET attempts = attempts - 1
               WHERE scope = 'address' AND key = ? AND attempts > 0""",
            (address,),
        )
    return _user(row)


async def _count_attempt(tx: aiosqlite.Connection, scope: str, key: str, now: dt.datetime) -> int:
    """This attempt counted in the current lockout window; the count, in one statement."""
    row = await fetchone(
        tx,
        """INSERT INTO login_attempts (scope, key, attempts, window_start) VALUES (?, ?, 1, ?)
           ON CONFLICT (scope, key) DO UPDATE SET
               attempts = CASE WHEN window_start < ? THEN 1 ELSE attempts + 1 END,
               window_start = CASE WHEN window_start < ? THEN excluded.window_start
                                   ELSE window_start END
           RETURNING attempts""",
        (scope, key, now.isoformat(), *[(now - LOCKOUT).isoformat()] * 2),
    )
    assert row is not None
    return int(row["attempts"])


def _verify(hashed: str | None, password: str) -> bool:
    """Whether the password matches; an unknown e-mail (`hashed` None) is checked against
    a dummy hash, so it takes the same work."""
    try:
        return HASHER.verify(hashed or _dummy_hash(), password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """Made on first use, off the event loop: on import it cost every command about 65 MB
    and a quarter of a second."""
    return HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    """An argon2id hash (slow on purpose: call it off the event loop in a server)."""
    return HASHER.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(db: Database, user: User, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(),))
        await tx.execute(
            """INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at,
                   last_seen_at) VALUES (?, ?, ?, ?, ?, ?)""",
            (
                _token_hash(token),
                user.id,
                secrets.token_urlsafe(32),
                now.isoformat(),
                (now + SESSION_LIFETIME).isoformat(),
                now.isoformat(),
            ),
        )
    return token


async def session_for(db: Database, token: str, now: dt.datetime) -> Session | None:
    """The session of a cookie's token, unless it has ended: 8 hours after sign-in, or
    30 minutes after its last request. Using it keeps it alive."""
    row = await db.fetchone(
        """SELECT u.*, s.csrf, s.expires_at, s.created_at AS signed_in, s.last_seen_at
           FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?""",
        (_token_hash(token),),
    )
    if row is None or dt.datetime.fromisoformat(row["expires_at"]) < now:
        return None
    last_seen = dt.datetime.fromisoformat(row["last_seen_at"] or row["signed_in"])
    if last_seen + SESSION_IDLE < now:
        await close_session(db, token)
        return None
    if last_seen + SEEN_EVERY < now:
        async with db.transaction() as tx:
            await tx.execute(
                "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
                (now.isoformat(), _token_hash(token)),
            )
    return Session(_user(row), row["csrf"])


async def close_session(db: Database, token: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))


async def set_language(tx: aiosqlite.Connection, user_id: int, language: str) -> None:
    """The language the staff pages speak to this user (nl or en)."""
    await tx.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))
