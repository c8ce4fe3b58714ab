import asyncio
import sqlite3

import pytest

from storage import Database, SchemaTooNew
from storage.db import migrations


async def test_a_new_database_is_migrated_with_wal_and_foreign_keys(tmp_path):
    db = await Database.open(tmp_path / "v.db")
    try:
        assert (await db.fetchone("PRAGMA user_version"))[0] == migrations()[-1][0]
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
    finally:
        await db.close()


async def test_a_newer_database_refuses_to_start(tmp_path):
    path = tmp_path / "v.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(SchemaTooNew, match="schema version 999 is newer than this Voorzorg knows"):
        await Database.open(path)


async def test_reopening_applies_nothing_twice(tmp_path):
    for _ in range(2):
        db = await Database.open(tmp_path / "v.db")
        await db.close()


async def test_a_failed_transaction_leaves_nothing(tmp_path):
    db = await Database.open(tmp_path / "v.db")
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO audit_log (at, actor, action) VALUES ('now', 'test', 'x')"
                )
                raise RuntimeError("boom")
        assert await db.fetchall("SELECT * FROM audit_log") == []
    finally:
        await db.close()


async def test_concurrent_writers_do_not_mix_transactions(tmp_path):
    db = await Database.open(tmp_path / "v.db")

    async def writer(n: int) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO audit_log (at, actor, action) VALUES ('t', ?, 'a')", (n,))
            await asyncio.sleep(0)
            if n % 2:
                raise ValueError(n)
            await tx.execute("INSERT INTO audit_log (at, actor, action) VALUES ('t', ?, 'b')", (n,))

    try:
        await asyncio.gather(*(writer(n) for n in range(20)), return_exceptions=True)
        rows = await db.fetchall("SELECT actor FROM audit_log")
        assert sorted(int(r[0]) for r in rows) == sorted([n for n in range(20) if n % 2 == 0] * 2)
    finally:
        await db.close()


async def test_consent_events_are_append_only(tmp_path):
    db = await Database.open(tmp_path / "v.db")
    try:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO organisations (id, name, kind, updated_at) "
                "VALUES ('o', 'O', 'municipality', 't')"
            )
            await tx.execute(
                """INSERT INTO cases (reference, organisation_id, municipality, report_date,
                   first_name, invite_code, created_at, updated_at)
                   VALUES ('R', 'o', 'M', '2027-01-01', x'00', 'ABCDEF', 't', 't')"""
            )
            await tx.execute(
                """INSERT INTO consent_events (case_id, purpose, given, at, channel, script_id,
                   script_version) VALUES (1, 'share_with_municipality', 1, 't', 'sms', 'i', 1)"""
            )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with db.transaction() as tx:
                await tx.execute("UPDATE consent_events SET given = 0")
    finally:
        await db.close()


async def audit(tx, action: str) -> None:
    await tx.execute(
        "INSERT INTO audit_log (at, actor, action) VALUES ('now', 'test', ?)", (action,)
    )


@pytest.mark.parametrize("inline", [False, True])
async def test_a_write_at_once_is_one_transaction_in_one_hop(tmp_path, inline, monkeypatch):
    """The inbox's group commit waits for this: BEGIN, the rows and COMMIT go to SQLite's
    thread together, not one hop each."""
    db = await Database.open(tmp_path / "v.db", inline=inline)
    hops = []
    if not inline:
        real = db._writer._execute
        monkeypatch.setattr(db._writer, "_execute", lambda *a: hops.append(a) or real(*a))

    async def work(tx) -> int:
        await audit(tx, "a")
        await audit(tx, "b")
        return len(await tx.execute_fetchall("SELECT * FROM audit_log WHERE actor = 'test'"))

    async def fails(tx) -> None:
        await audit(tx, "c")
        raise RuntimeError("no")

    try:
        assert await db.write_at_once(work) == 2
        assert len(hops) == (0 if inline else 1)
        with pytest.raises(RuntimeError, match="no"):
            await db.write_at_once(fails)
        rows = await db.fetchall("SELECT action FROM audit_log WHERE actor = 'test'")
        assert [row[0] for row in rows] == ["a", "b"]  # the failed one left nothing
        async with db.transaction() as tx:  # and no transaction open behind it
            await audit(tx, "d")
    finally:
        await db.close()


async def test_a_write_at_once_that_waits_for_anything_else_is_refused(tmp_path):
    db = await Database.open(tmp_path / "v.db")

    async def sleeps(tx) -> None:
        await audit(tx, "e")
        await asyncio.sleep(0)

    try:
        with pytest.raises(RuntimeError, match="other than SQLite"):
            await db.write_at_once(sleeps)
        assert await db.fetchall("SELECT action FROM audit_log WHERE actor = 'test'") == []
    finally:
        await db.close()


DEFERRED = [
    (
        1,
        """CREATE TABLE parent (id INTEGER PRIMARY KEY);
           CREATE TABLE child (id INTEGER PRIMARY KEY,
               parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);""",
    )
]


@pytest.mark.parametrize("inline", [False, True])
async def test_a_commit_that_fails_leaves_the_writer_ready_for_the_next(tmp_path, inline):
    """A COMMIT can fail after the block succeeded (here a deferred constraint; in life a
    full disk): that transaction is rolled back, not left open to refuse every next one."""
    db = await Database.open(tmp_path / "x.db", inline=inline, schema=DEFERRED)

    async def orphan(tx) -> None:
        await tx.execute("INSERT INTO child (parent) VALUES (99)")  # fails only at COMMIT

    async def parent(tx) -> None:
        await tx.execute("INSERT INTO parent (id) VALUES (1)")

    try:
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as tx:
                await orphan(tx)
        async with db.transaction() as tx:
            await parent(tx)
        with pytest.raises(sqlite3.IntegrityError):
            await db.write_at_once(orphan)
        await db.write_at_once(lambda tx: tx.execute("INSERT INTO parent (id) VALUES (2)"))
        assert await db.fetchall("SELECT * FROM child") == []
        assert [r[0] for r in await db.fetchall("SELECT id FROM parent")] == [1, 2]
    finally:
        await db.close()
