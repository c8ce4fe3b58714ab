"""Everything a command or the web app needs at hand, opened and closed together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Settings
from conversations.script import Script, load_default_scripts
from storage import Database, Vault


@dataclass
class Runtime:
    settings: Settings
    db: Database
    vault: Vault
    scripts: dict[str, Script]


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    db = await Database.open(settings.db_path)
    try:
        yield Runtime(settings, db, Vault(settings.secret_key), load_default_scripts())
    finally:
        await db.close()
