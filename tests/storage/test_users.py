"""Staff accounts on a real SQLite file: passwords, lockout, sessions."""

import datetime as dt

import pytest

from storage import users

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "a long enough password"


@pytest.fixture
async def account(db):
    async with db.transaction() as tx:
        await users.add_user(tx, " K.Jansen@Example.org ", PASSWORD, "admin", None, NOW)
    return db


async def test_a_short_password_is_refused(db):
    with pytest.raises(ValueError, match="at least 12 characters"):
        async with db.transaction() as tx:
            await users.add_user(tx, "k@example.org", "too short", "admin", None, NOW)


async def test_the_password_is_stored_as_an_argon2id_hash(account):
    [(stored,)] = await account.fetchall("SELECT password_hash FROM users")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


async def test_sign_in_by_e_mail_in_any_case_with_the_right_password(account):
    user = await users.authenticate(account, "k.jansen@example.org", PASSWORD, NOW)
    assert (user.email, user.role, user.is_admin, user.language) == (
        "k.jansen@example.org",
        "admin",
        True,
        "nl",
    )
    assert await users.authenticate(account, "K.JANSEN@example.org", "wrong password", NOW) is None
    assert await users.authenticate(account, "nobody@example.org", PASSWORD, NOW) is None


async def test_repeated_failures_lock_the_account_for_a_while(account):
    for _ in range(users.MAX_FAILURES):
        assert await users.authenticate(account, "k.jansen@example.org", "wrong", NOW) is None
    assert await users.authenticate(account, "k.jansen@example.org", PASSWORD, NOW) is None
    later = NOW + users.LOCKOUT + dt.timedelta(seconds=1)
    assert await users.authenticate(account, "k.jansen@example.org", PASSWORD, later) is not None


async def test_a_session_lives_until_it_expires_or_is_closed(account):
    user = await users.authenticate(account, "k.jansen@example.org", PASSWORD, NOW)
    token = await users.open_session(account, user, NOW)
    session = await users.session_for(account, token, NOW + dt.timedelta(minutes=20))
    assert session.user == user and len(session.csrf) > 20
    [(stored,)] = await account.fetchall("SELECT token_hash FROM sessions")
    assert token not in stored  # only its hash is kept
    expired = NOW + users.SESSION_LIFETIME + dt.timedelta(seconds=1)
    assert await users.session_for(account, token, expired) is None
    assert await users.session_for(account, "not a token", NOW) is None
    await users.close_session(account, token)
    assert await users.session_for(account, token, NOW) is None
