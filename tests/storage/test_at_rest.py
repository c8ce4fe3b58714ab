"""At rest: private files, a key check-value, and a broken database that says so."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from storage import Database, DatabaseUnavailable, Vault, WrongKey

KEY_A = "a" * 40
KEY_B = "b" * 40


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def fingerprint(path: Path) -> dict[str, str]:
    """Every file of the database, hashed: to show that nothing was written."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.parent.iterdir())
        if p.name.startswith(path.name)
    }


@pytest.fixture
def loose_umask():
    """The common 022 umask, so the test shows Voorzorg's own choice of permissions."""
    old = os.umask(0o022)
    yield
    os.umask(old)


async def test_database_files_are_private_and_a_new_directory_is_0700(tmp_path, loose_umask):
    path = tmp_path / "var" / "voorzorg.db"
    db = await Database.open(path, Vault(KEY_A))
    try:
        await db.probe_write(dt.datetime.now(dt.UTC))
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(path.parent) == 0o700
    finally:
        await db.close()


async def test_an_existing_loose_database_file_is_made_private(tmp_path, loose_umask):
    path = tmp_path / "v.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    db = await Database.open(path)
    await db.close()
    assert mode(path) == 0o600


async def test_secure_delete_is_on(tmp_path):
    db = await Database.open(tmp_path / "v.db")
    try:
        assert (await db.fetchone("PRAGMA secure_delete"))[0] == 1
    finally:
        await db.close()


async def test_a_wrong_key_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "v.db"
    db = await Database.open(path, Vault(KEY_A))
    await db.close()
    before = fingerprint(path)
    with pytest.raises(WrongKey, match="not the key this database was written with"):
        await Database.open(path, Vault(KEY_B))
    assert fingerprint(path) == before
    db = await Database.open(path, Vault(KEY_A))  # the right key still opens it
    await db.close()


async def test_an_older_database_without_check_value_must_open_with_the_key(tmp_path):
    """A database from before the check-value: the key must open its sealed data."""
    path = tmp_path / "v.db"
    db = await Database.open(path, Vault(KEY_A))
    await db.close()
    sealed = Vault(KEY_A).seal("Sam", "cases.first_name")
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM key_check")
        conn.execute(
            """INSERT INTO organisations (id, name, kind, updated_at)
               VALUES ('o', 'O', 'municipality', 'x')"""
        )
        conn.execute(
            """INSERT INTO cases (reference, organisation_id, municipality, report_date,
                   first_name, invite_code, created_at, updated_at)
               VALUES ('ZM-1', 'o', 'Venlo', '2027-01-14', ?, 'K7P2QD', 'x', 'x')""",
            (sealed,),
        )
    with pytest.raises(WrongKey, match="does not open this database's data"):
        await Database.open(path, Vault(KEY_B))
    db = await Database.open(path, Vault(KEY_A))
    try:
        assert await db.fetchone("SELECT value FROM key_check") is not None
    finally:
        await db.close()


def _threads() -> set[int]:
    return {t.ident for t in threading.enumerate() if t.ident is not None}


async def test_a_broken_database_file_stops_with_its_reason_and_leaves_no_thread(tmp_path):
    path = tmp_path / "v.db"
    path.write_bytes(b"this is not a database, it only has its name" * 100)
    before = _threads()
    with pytest.raises(DatabaseUnavailable, match=r"v\.db: file is not a database"):
        await Database.open(path, Vault(KEY_A))
    for thread in threading.enumerate():  # aiosqlite's connection thread was told to stop
        if thread.ident not in before:
            thread.join(timeout=5)
    assert _threads() <= before


async def test_a_database_that_takes_no_writes_fails_the_write_probe(tmp_path):
    db = await Database.open(tmp_path / "v.db")
    try:
        await db._writer.execute("PRAGMA query_only = ON")  # as if read-only or full
        with pytest.raises(sqlite3.OperationalError):
            await db.probe_write(dt.datetime.now(dt.UTC))
    finally:
        await db.close()
