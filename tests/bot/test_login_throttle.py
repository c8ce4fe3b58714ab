"""Staff logins: counted atomically per account and address, hashed off the event loop,
failures logged without the password; sessions end when idle."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import sqlite3
import threading

import pytest

from bot.config import load_settings
from storage import Database, users
from tests.bot.app_client import app_client

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "v.db")
    async with database.transaction() as tx:
        await users.add_user(tx, "admin@example.org", PASSWORD, "admin", None, NOW)
    yield database
    await database.close()


def attempts(db: Database, scope: str, key: str) -> int:
    with sqlite3.connect(db.path) as conn:
        row = conn.execute(
            "SELECT attempts FROM login_attempts WHERE scope = ? AND key = ?", (scope, key)
        ).fetchone()
    return row[0] if row else 0


async def try_login(
    db: Database, password: str, address: str = "10.0.0.1", email="admin@example.org"
):
    return await users.authenticate(db, email, password, NOW, address)


async def test_twenty_parallel_wrong_logins_count_twenty_and_check_at_most_five(db, monkeypatch):
    checked = []
    verify = users._verify
    monkeypatch.setattr(users, "_verify", lambda h, p: checked.append(p) or verify(h, p))
    results = await asyncio.gather(*(try_login(db, f"guess {n}") for n in range(20)))
    assert attempts(db, "account", "admin@example.org") == 20
    assert len(checked) == users.MAX_FAILURES  # the other 15 were refused unchecked
    assert results == [None] * 20
    assert await try_login(db, PASSWORD) is None  # even the right one, for a while
    assert len(checked) == users.MAX_FAILURES  # and it was not even checked
    later = NOW + users.LOCKOUT + dt.timedelta(seconds=1)
    assert await users.authenticate(db, "admin@example.org", PASSWORD, later, "10.0.0.1")


async def test_one_address_is_throttled_across_accounts(db):
    for n in range(users.MAX_ADDRESS_FAILURES):
        assert await try_login(db, "wrong", email=f"user{n}@example.org") is None
    assert await try_login(db, PASSWORD) is None  # from this address, not now
    assert await try_login(db, PASSWORD, address="10.0.0.2") is not None


async def test_a_good_login_clears_the_account_count(db):
    for _ in range(users.MAX_FAILURES - 1):
        assert await try_login(db, "wrong") is None
    assert await try_login(db, PASSWORD) is not None
    assert attempts(db, "account", "admin@example.org") == 0
    assert attempts(db, "address", "10.0.0.1") == users.MAX_FAILURES - 1  # failures stay


async def test_the_password_hash_runs_off_the_event_loop(db, monkeypatch):
    threads = []
    verify = users._verify
    monkeypatch.setattr(
        users, "_verify", lambda h, p: threads.append(threading.get_ident()) or verify(h, p)
    )
    await try_login(db, "wrong")
    await try_login(db, PASSWORD, email="nobody@example.org")  # the dummy hash too
    assert len(threads) == 2
    assert threading.get_ident() not in threads


async def test_sessions_end_after_30_idle_minutes_and_after_8_hours(db):
    user = await users.authenticate(db, "admin@example.org", PASSWORD, NOW, "10.0.0.1")
    token = await users.open_session(db, user, NOW)
    moment = NOW
    for _ in range(16):  # a request every 29 minutes keeps it alive, up to 7:44...
        moment += dt.timedelta(minutes=29)
        assert await users.session_for(db, token, moment) is not None
    # ...but not past 8 hours, although it was used only 17 minutes before
    assert await users.session_for(db, token, NOW + dt.timedelta(hours=8, minutes=1)) is None
    idle = await users.open_session(db, user, NOW)
    assert await users.session_for(db, idle, NOW + dt.timedelta(minutes=29)) is not None
    assert await users.session_for(db, idle, NOW + dt.timedelta(minutes=60)) is None


async def test_failed_logins_are_logged_without_the_password(tmp_path, caplog):
    settings = load_settings(db=str(tmp_path / "v.db"), environ={"VOORZORG_SECRET_KEY": "k" * 40})
    async with app_client(settings) as (client, _):
        form = await client.get("/admin/login")
        token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
        with caplog.at_level(logging.INFO):
            answer = await client.post(
                "/admin/login",
                data={
                    "login_token": token,
                    "email": "Mallory@example.org",
                    "password": "hunter2-secret",
                },
            )
    assert answer.status_code == 401
    failed = [r.getMessage() for r in caplog.records if r.name == "voorzorg.auth"]
    assert failed == ["failed login: account 'Mallory@example.org' from 10.1.2.3"]
    assert answer.status_code == 401
    assert "hunter2-secret" not in caplog.text
