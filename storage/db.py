"""The connection discipline: one writer under a lock, `BEGIN IMMEDIATE`, WAL readers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

BUSY_TIMEOUT_MS = 5000


class SchemaTooNew(RuntimeError):
    """The database was written by a newer Voorzorg than this one."""


def migrations() -> list[tuple[int, str]]:
    """The numbered SQL migrations shipped with the package, in order."""
    found = []
    for entry in (Path(__file__).parent / "migrations").glob("*.sql"):
        found.append((int(entry.name.split("_", 1)[0]), entry.read_text("utf-8")))
    return sorted(found)


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = FULL")
    await conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Database:
    """A SQLite file with one writing connection and one reading connection.

    Writes go through `transaction()`, which serialises writers in this process with a
    lock and in other processes with `BEGIN IMMEDIATE` plus the busy timeout. Reads
    use a separate connection, so they see only committed data.
    """

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            await _migrate(writer)
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    async def ping(self) -> None:
        """Raises if the database does not answer."""
        await self.fetchone("SELECT 1")

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        return await fetchone(self._reader, sql, params)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return await fetchall(self._reader, sql, params)


async def fetchall(
    conn: aiosqlite.Connection | Database, sql: str, params: Iterable[Any] = ()
) -> list[sqlite3.Row]:
    """All rows in one hop to the database thread (a cursor costs three).

    Pass a transaction to see its own writes, or the Database to read committed data.
    """
    if isinstance(conn, Database):
        conn = conn._reader
    return list(await conn.execute_fetchall(sql, tuple(params)))


async def fetchone(
    conn: aiosqlite.Connection | Database, sql: str, params: Iterable[Any] = ()
) -> sqlite3.Row | None:
    """The first row in one hop; add LIMIT 1 where more rows could match."""
    rows = await fetchall(conn, sql, params)
    return rows[0] if rows else None


async def _migrate(conn: aiosqlite.Connection) -> None:
    async with conn.execute("PRAGMA user_version") as cursor:
        (current,) = await cursor.fetchone()
    known = migrations()
    latest = known[-1][0] if known else 0
    if current > latest:
        raise SchemaTooNew(
            f"database schema version {current} is newer than this Voorzorg knows ({latest}); "
            "upgrade Voorzorg before using this database"
        )
    for number, sql in known:
        if number <= current:
            continue
        try:
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise


@asynccontextmanager
async def savepoint(tx: aiosqlite.Connection, name: str) -> AsyncIterator[None]:
    """A nested transaction: if the block raises, its writes alone are undone (and the
    exception goes on); the surrounding transaction continues."""
    await tx.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        await tx.execute(f"ROLLBACK TO {name}")
        await tx.execute(f"RELEASE {name}")
        raise
    await tx.execute(f"RELEASE {name}")
