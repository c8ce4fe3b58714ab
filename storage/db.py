"""The connection discipline: one writer under a lock, `BEGIN IMMEDIATE`, WAL readers."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage.crypto import SealError, Vault, WrongKey

BUSY_TIMEOUT_MS = 5000
PRIVATE_FILE = 0o600  # the database and its -wal and -shm files
PRIVATE_DIR = 0o700  # a directory Voorzorg creates for its database

T = TypeVar("T")


class SchemaTooNew(RuntimeError):
    """The database was written by a newer Voorzorg than this one."""


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened or written (broken file, read-only, full disk)."""


def migrations() -> list[tuple[int, str]]:
    """The numbered SQL migrations shipped with the package, in order."""
    found = []
    for entry in (Path(__file__).parent / "migrations").glob("*.sql"):
        found.append((int(entry.name.split("_", 1)[0]), entry.read_text("utf-8")))
    return sorted(found)


class _InlineCursor:
    """aiosqlite's cursor interface over a `sqlite3.Cursor`, without the thread."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor):
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()


class _Ready:
    """An `execute` result: awaited, or used with `async with`, as aiosqlite allows."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: _InlineCursor):
        self._cursor = cursor

    def __await__(self):
        return self._cursor
        yield  # a generator that finishes at once: the await never suspends

    async def __aenter__(self) -> _InlineCursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        self._cursor._cursor.close()


class InlineConnection:
    """aiosqlite's connection interface, run on the calling thread.

    aiosqlite hands every statement to a thread of its own and back: about 40 us a
    statement, more than most of Voorzorg's statements take. A process that does only
    database work (the worker, command-line commands) has no event loop to keep free, so
    it runs SQLite directly; the web process keeps aiosqlite, because a page must not wait
    for another request's query. The storage functions take either.
    """

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    @property
    def row_factory(self) -> Any:
        return self._conn.row_factory

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self._conn.row_factory = factory

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> _Ready:
        return _Ready(_InlineCursor(self._conn.execute(sql, parameters)))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> _InlineCursor:
        return _InlineCursor(self._conn.executemany(sql, rows))

    async def executescript(self, script: str) -> None:
        self._conn.executescript(script)

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, parameters).fetchall()

    async def set_trace_callback(self, callback: Any) -> None:
        self._conn.set_trace_callback(callback)

    async def close(self) -> None:
        self._conn.close()


async def _connect(path: Path, inline: bool = False) -> aiosqlite.Connection:
    """A configured connection; on any failure it is closed (no thread left behind)."""
    if inline:
        conn: Any = InlineConnection(sqlite3.connect(path, isolation_level=None))
    else:
        conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA secure_delete = ON")  # erased data is overwritten
    except BaseException:
        await conn.close()
        raise
    return conn


def _private_files(path: Path) -> None:
    """The database file exists and it, its WAL and its shared memory are 0600.

    SQLite gives the -wal and -shm files the database file's permissions, so creating
    the database private first keeps all three private.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists() and file.stat().st_mode & 0o777 != PRIVATE_FILE:
            file.chmod(PRIVATE_FILE)


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
    async def open(
        cls,
        path: str | Path,
        vault: Vault | None = None,
        *,
        inline: bool = False,
        schema: list[tuple[int, str]] | None = None,
    ) -> Database:
        """Open (creating and migrating) the database; with `vault`, first check its key.

        `inline` runs SQLite on the calling thread (`InlineConnection`): for processes
        that serve no web requests. `schema` replaces the shipped migrations (a file of
        its own, such as `storage.inbox`).

        Raises `WrongKey` before anything is written when the key is not the database's,
        `SchemaTooNew`, or `DatabaseUnavailable` with the path and SQLite's reason.
        """
        path = Path(path)
        try:
            _private_files(path)
            writer = await _connect(path, inline)
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseUnavailable(f"database {path}: {_reason(exc)}") from None
        try:
            if vault is not None:
                await _check_key(writer, vault)
            await _migrate(writer, migrations() if schema is None else schema)
            if vault is not None:
                await _keep_check_value(writer, vault)
            reader = await _connect(path, inline)
        except sqlite3.Error as exc:
            await writer.close()
            raise DatabaseUnavailable(f"database {path}: {_reason(exc)}") from None
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer in a transaction: committed when the block ends, rolled back when it
        raises or its COMMIT fails (a full disk, a deferred constraint), so the next
        transaction starts clean."""
        async with self._lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                await self._writer.execute("COMMIT")
            except BaseException:
                if self._writer.in_transaction:  # a failed COMMIT can leave it open
                    with contextlib.suppress(sqlite3.Error):  # the first error is the one
                        await self._writer.execute("ROLLBACK")
                raise

    async def write_at_once(self, work: Callable[[InlineConnection], Awaitable[T]]) -> T:
        """`work(tx)` as one transaction, run whole on SQLite's thread: one hop for the
        transaction instead of one per statement (about 40 us each, more than a small
        write takes). For short writes a request waits for, such as the inbox's group
        commit.

        `work` gets an `InlineConnection`, so the storage functions take it as they take
        a `transaction()`; it must do nothing but database work (it never suspends). Once
        started, the transaction finishes even if the caller is cancelled meanwhile."""
        async with self._lock:
            if isinstance(self._writer, InlineConnection):
                return _write_now(self._writer._conn, work)
            return await self._writer._execute(_write_now, self._writer._conn, work)

    async def checkpoint(self) -> None:
        """Copy the WAL into the database file and empty it: after an erasure, the old
        page images (sealed, but of data that must be gone) leave the WAL too."""
        async with self._lock:
            await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def probe_write(self, now: dt.datetime) -> None:
        """Raises if the database does not take a write (read-only, full disk)."""
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT OR REPLACE INTO heartbeat (id, at) VALUES (1, ?)", (now.isoformat(),)
            )

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


def _write_now(conn: sqlite3.Connection, work: Callable[[InlineConnection], Awaitable[T]]) -> T:
    """`Database.write_at_once` on the connection's own thread."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = _finish(work(InlineConnection(conn)))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # a failed COMMIT (busy, full disk) can leave it open
            with contextlib.suppress(sqlite3.Error):  # the first error is the one to see
                conn.execute("ROLLBACK")
        raise
    return result


def _finish(awaitable: Awaitable[T]) -> T:
    """The result of a coroutine that never suspends: storage functions on an
    `InlineConnection` finish at their first step."""
    steps = awaitable.__await__()
    try:
        next(steps)
    except StopIteration as done:
        return done.value
    steps.close()
    raise RuntimeError("work in write_at_once waited for something other than SQLite")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


async def _check_key(conn: aiosqlite.Connection, vault: Vault) -> None:
    """A database that holds a check-value accepts only the key that wrote it."""
    found = await fetchall(
        conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'key_check'"
    )
    if not found:
        return
    row = await fetchone(conn, "SELECT value FROM key_check WHERE id = 1")
    if row is not None and row["value"] != vault.check_value():
        raise WrongKey(
            "VOORZORG_SECRET_KEY is not the key this database was written with; "
            "nothing was changed (set the right key, or restore the sandbox key file)"
        )


async def _keep_check_value(conn: aiosqlite.Connection, vault: Vault) -> None:
    """At first open with a key, store its check-value; an older database without one
    first shows that the key opens its sealed data."""
    if await fetchone(conn, "SELECT 1 FROM key_check WHERE id = 1") is not None:
        return
    sample = await fetchone(conn, "SELECT first_name FROM cases LIMIT 1")
    if sample is not None:
        try:
            vault.open(sample["first_name"], "cases.first_name")
        except SealError:
            raise WrongKey(
                "VOORZORG_SECRET_KEY does not open this database's data; nothing was changed"
            ) from None
    now = dt.datetime.now(dt.UTC).isoformat()
    await conn.execute(
        "INSERT OR IGNORE INTO key_check (id, value, created_at) VALUES (1, ?, ?)",
        (vault.check_value(), now),
    )


async def _migrate(conn: aiosqlite.Connection, known: list[tuple[int, str]]) -> None:
    async with conn.execute("PRAGMA user_version") as cursor:
        (current,) = await cursor.fetchone()
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
