"""Shipped scripts: a newer file version is published on start; older conversations keep theirs."""

import dataclasses
import datetime as dt

from conversations.script import load_default_scripts
from storage import Database
from storage import scripts as store

NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def shipped(version: int):
    script = load_default_scripts()["intake"]
    source = script.source.replace(f"version: {script.version}", f"version: {version}", 1)
    return dataclasses.replace(script, version=version, source=source)


async def test_a_newer_file_version_is_published_once(tmp_path):
    db = await Database.open(tmp_path / "v.db")
    try:
        await store.seed(db, {"intake": shipped(1)}, NOW)
        await store.seed(db, {"intake": shipped(2)}, NOW)
        await store.seed(db, {"intake": shipped(2)}, NOW)  # a restart changes nothing
        rows = await db.fetchall(
            "SELECT version, status, edited_by FROM script_versions ORDER BY version"
        )
        assert [tuple(r) for r in rows] == [(1, "retired", "file"), (2, "published", "file")]
    finally:
        await db.close()


async def test_an_upgrade_after_an_admin_published_comes_next_in_line(tmp_path):
    db = await Database.open(tmp_path / "v.db")
    try:
        await store.seed(db, {"intake": shipped(1)}, NOW)
        draft = await store.draft(db, "intake", "admin@example.org", NOW)
        await store.save_draft(db, "intake", draft["source"], draft["revision"], "admin", NOW)
        assert await store.publish(db, "intake", None, "admin@example.org", NOW) == 2
        await store.seed(db, {"intake": shipped(2)}, NOW)  # the file's 2 is not the admin's 2
        published = await store.published(db, "intake")
        assert published.version == 3
        assert "version: 2" in published.source
    finally:
        await db.close()
