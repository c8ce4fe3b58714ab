"""VOORZORG_TIMEZONE decides the calendar: sending window, working days, shown times."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from bot.runtime import open_runtime
from tests.world import World, at

KEY = {"VOORZORG_SECRET_KEY": "a" * 40}


async def test_the_sending_window_follows_the_configured_zone(tmp_path):
    settings = load_settings(
        db=str(tmp_path / "v.db"), environ={**KEY, "VOORZORG_TIMEZONE": "America/New_York"}
    )
    async with open_runtime(settings) as rt:
        world = World(rt)
        await world.load_organisations()
        imported = at(2026, 12, 14, 10)  # 04:00 in New York: before the window opens
        await world.cohort("ZM-1,Sam,+31622334455,Venlo,2027-02-18,,nl\n", imported)
        await world.days(imported, at(2026, 12, 14, 16))
        [first, *_] = await rt.db.fetchall("SELECT created_at FROM outbox ORDER BY id")
    sent = dt.datetime.fromisoformat(first["created_at"]).astimezone(ZoneInfo("America/New_York"))
    assert (sent.hour, sent.minute) == (9, 0)


def test_an_unknown_zone_stops_with_one_clear_line(tmp_path):
    with pytest.raises(ConfigError, match="VOORZORG_TIMEZONE 'Mars/Olympus' is no known"):
        load_settings(
            db=str(tmp_path / "v.db"), environ={**KEY, "VOORZORG_TIMEZONE": "Mars/Olympus"}
        )
