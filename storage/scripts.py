"""Script versions in the database: seeded from the files, edited as drafts, published."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import replace

import aiosqlite

from conversations.script import Script, load_script
from storage.db import Database, fetchall, fetchone


class Conflict(RuntimeError):
    """Someone else saved the draft since it was opened."""


async def seed(db: Database, files: dict[str, Script], now: dt.datetime) -> None:
    """Scripts shipped as files: one the database does not know starts as its file's
    version; a newer file version (Voorzorg was upgraded) is published as the next version.
    Conversations in progress keep the version they started on."""
    async with db.transaction() as tx:
        for script in files.values():
            shipped = await _shipped_version(tx, script.id)
            if shipped is not None and script.version <= shipped:
                continue
            latest = await fetchone(
                tx, "SELECT max(version) FROM script_versions WHERE script_id = ?", (script.id,)
            )
            number = script.version if latest[0] is None else latest[0] + 1
            await _retire(tx, script.id)
            await tx.execute(
                """INSERT INTO script_versions (script_id, version, status, source,
                       edited_by, created_at, updated_at, published_at)
                   VALUES (?, ?, 'published', ?, 'file', ?, ?, ?)""",
                (script.id, number, script.source, *[now.isoformat()] * 3),
            )


async def _shipped_version(tx: aiosqlite.Connection, script_id: str) -> int | None:
    """The highest file version ever seeded (as the file numbered it), if any."""
    rows = await fetchall(
        tx,
        "SELECT source FROM script_versions WHERE script_id = ? AND edited_by = 'file'",
        (script_id,),
    )
    return max((load_script(r["source"]).version for r in rows), default=None)


async def published(conn: Database | aiosqlite.Connection, script_id: str) -> Script | None:
    return await _load(conn, "script_id = ? AND status = 'published'", (script_id,))


async def version(
    conn: Database | aiosqlite.Connection, script_id: str, number: int
) -> Script | None:
    return await _load(conn, "script_id = ? AND version = ?", (script_id, number))


async def earlier_published(
    conn: Database | aiosqlite.Connection, script_id: str, below: int
) -> list[int]:
    """Numbers of versions that were published before `below`, newest first."""
    rows = await fetchall(
        conn,
        """SELECT version FROM script_versions WHERE script_id = ? AND version < ?
               AND status IN ('published', 'retired') ORDER BY version DESC""",
        (script_id, below),
    )
    return [r["version"] for r in rows]


async def _load(conn, where: str, params: tuple) -> Script | None:
    sql = f"SELECT script_id, version, source FROM script_versions WHERE {where}"
    row = await fetchone(conn, sql, params)
    if row is None:
        return None
    script = load_script(row["source"], f"{row['script_id']} v{row['version']}")
    return _as_version(script, row["version"])


def _as_version(script: Script, number: int) -> Script:
    """The database's version number is the truth, whatever the YAML says."""
    return script if script.version == number else replace(script, version=number)


async def draft(db: Database, script_id: str, editor: str, now: dt.datetime):
    """The script's draft, made from the published version when there is none."""
    row = await db.fetchone(
        "SELECT * FROM script_versions WHERE script_id = ? AND status = 'draft'", (script_id,)
    )
    if row is not None:
        return row
    async with db.transaction() as tx:
        base = await fetchone(
            tx,
            """SELECT source, (SELECT max(version) FROM script_versions WHERE script_id = ?)
                   AS latest FROM script_versions WHERE script_id = ? AND status = 'published'""",
            (script_id, script_id),
        )
        if base is None:
            return None
        await tx.execute(
            """INSERT INTO script_versions (script_id, version, status, source, edited_by,
                   created_at, updated_at) VALUES (?, ?, 'draft', ?, ?, ?, ?)""",
            (
                script_id,
                base["latest"] + 1,
                base["source"],
                editor,
                now.isoformat(),
                now.isoformat(),
            ),
        )
    return await db.fetchone(
        "SELECT * FROM script_versions WHERE script_id = ? AND status = 'draft'", (script_id,)
    )


async def save_draft(
    db: Database, script_id: str, source: str, revision: int, editor: str, now: dt.datetime
) -> int:
    """Save over the draft only if nobody saved since `revision`; the new revision."""
    async with db.transaction() as tx:
        saved = await tx.execute(
            """UPDATE script_versions SET source = ?, revision = revision + 1, edited_by = ?,
                   updated_at = ? WHERE script_id = ? AND status = 'draft' AND revision = ?""",
            (source, editor, now.isoformat(), script_id, revision),
        )
        if saved.rowcount == 0:
            raise Conflict("someone else saved this draft; reload it to see their changes")
    return revision + 1


async def publish(
    db: Database, script_id: str, source_version: int | None, editor: str, now: dt.datetime
) -> int:
    """Publish the draft, or (rollback) a copy of an earlier version; returns its number."""
    async with db.transaction() as tx:
        if source_version is None:
            row = await fetchone(
                tx,
                "SELECT version FROM script_versions WHERE script_id = ? AND status = 'draft'",
                (script_id,),
            )
            if row is None:
                raise LookupError("there is no draft to publish")
            latest = await fetchone(
                tx,
                "SELECT max(version) FROM script_versions WHERE script_id = ? "
                "AND status != 'draft'",
                (script_id,),
            )
            number = max(row["version"], (latest[0] or 0) + 1)  # after a rollback, renumber
            await tx.execute(
                "UPDATE script_versions SET version = ? WHERE script_id = ? AND status = 'draft'",
                (number, script_id),
            )
            await _retire(tx, script_id)
            await tx.execute(
                """UPDATE script_versions SET status = 'published', published_at = ?,
                       edited_by = ? WHERE script_id = ? AND version = ?""",
                (now.isoformat(), editor, script_id, number),
            )
            return number
        old = await fetchone(
            tx,
            "SELECT source FROM script_versions WHERE script_id = ? AND version = ?",
            (script_id, source_version),
        )
        if old is None:
            raise LookupError(f"there is no version {source_version}")
        latest = await fetchone(
            tx, "SELECT max(version) FROM script_versions WHERE script_id = ?", (script_id,)
        )
        await _retire(tx, script_id)
        number = latest[0] + 1
        await tx.execute(
            """INSERT INTO script_versions (script_id, version, status, source, edited_by,
                   created_at, updated_at, published_at)
               VALUES (?, ?, 'published', ?, ?, ?, ?, ?)""",
            (script_id, number, old["source"], editor, *[now.isoformat()] * 3),
        )
        return number


async def _retire(tx: aiosqlite.Connection, script_id: str) -> None:
    await tx.execute(
        "UPDATE script_versions SET status = 'retired' WHERE script_id = ? "
        "AND status = 'published'",
        (script_id,),
    )


async def versions(db: Database) -> list[sqlite3.Row]:
    """Every version of every script, newest first per script, for the editor's list."""
    return await db.fetchall(
        """SELECT script_id, version, status, edited_by, updated_at, published_at
           FROM script_versions ORDER BY script_id, version DESC"""
    )
