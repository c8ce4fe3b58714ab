"""Working days in the Netherlands: Monday to Friday, without Dutch public holidays."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NL", years=year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(moment: dt.datetime, days: int, tz: ZoneInfo = AMSTERDAM) -> dt.datetime:
    """The same wall-clock time `days` working days later (DST-safe), in `tz`."""
    local = moment.astimezone(tz)
    day = local.date()
    while days > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=tz)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count
