"""Everything a command or the web app needs at hand, opened and closed together."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import aiosqlite

from bot.config import Settings
from conversations.calendar import Calendar
from conversations.script import Script, load_default_scripts
from storage import Database, Vault, organisations
from storage import scripts as script_store
from storage.inbox import open_inbox


@dataclass
class Runtime:
    settings: Settings
    db: Database
    inbox: Database  # arrivals acknowledged, not yet taken in (`storage.inbox`)
    vault: Vault
    published: dict[str, Script]  # script id -> the version new conversations get
    calendar: Calendar  # working days in VOORZORG_TIMEZONE
    _versions: dict[tuple[str, int], Script] = field(default_factory=dict)

    async def script(self, script_id: str, version: int | None = None) -> Script:
        """A script by version (cached: versions never change once used), or the published."""
        published = self.published[script_id]
        if version is None or version == published.version:
            return published
        key = (script_id, version)
        if key not in self._versions:
            found = await script_store.version(self.db, script_id, version)
            self._versions[key] = found or self.published[script_id]
        return self._versions[key]

    async def calendar_of(
        self, conn: aiosqlite.Connection | Database, organisation_id: str
    ) -> Calendar:
        """The working days of one organisation: the public calendar and its closing days."""
        return self.with_closing_days(await organisations.closing_days(conn, organisation_id))

    def with_closing_days(self, days: tuple[dt.date, ...]) -> Calendar:
        """The public calendar with these closing days (an organisation's)."""
        return self.calendar.with_closing_days(days) if days else self.calendar

    async def fallbacks(self, script: Script) -> list[Script]:
        """The versions published before `script`, newest first: what a message falls
        back to when `script` fails to render it."""
        numbers = await script_store.earlier_published(self.db, script.id, script.version)
        return [await self.script(script.id, n) for n in numbers]

    async def reload(self, script_id: str) -> None:
        """After a publish: new conversations get the new version from now on."""
        found = await script_store.published(self.db, script_id)
        if found is not None:
            self.published[script_id] = found


@asynccontextmanager
async def open_runtime(settings: Settings, *, inline: bool = False) -> AsyncIterator[Runtime]:
    """Open the database with the settings' key (a wrong key stops here, before any
    change), seed the scripts, and hand out the runtime.

    `inline`: SQLite on the calling thread, for a process that serves no web requests
    (see `storage.db.InlineConnection`).
    """
    vault = Vault(settings.secret_key)
    db = await Database.open(settings.db_path, vault, inline=inline)
    inbox_db: Database | None = None
    try:
        inbox_db = await open_inbox(settings.db_path, inline=inline)
        files = load_default_scripts()
        await script_store.seed(db, files, dt.datetime.now(dt.UTC))
        published = {}
        for script_id, from_file in files.items():
            published[script_id] = await script_store.published(db, script_id) or from_file
        calendar = Calendar(tz=ZoneInfo(settings.timezone))
        yield Runtime(settings, db, inbox_db, vault, published, calendar)
    finally:
        if inbox_db is not None:
            await inbox_db.close()
        await db.close()
