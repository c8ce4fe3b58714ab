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


def sending_window(
    moment: dt.datetime,
    opens: dt.time = dt.time(9),
    closes: dt.time = dt.time(20),
    tz: ZoneInfo = AMSTERDAM,
) -> dt.datetime:
    """`moment` if it falls in the sending window, else the window's next opening.

    Self-reporters get no messages at night or on Sundays; a message due then waits.
    """
    local = moment.astimezone(tz)
    day = local.date()
    if local.time() >= closes:
        day += dt.timedelta(days=1)
    elif local.time() >= opens and day.weekday() != 6:
        return moment
    while day.weekday() == 6:
        day += dt.timedelta(days=1)
    start = dt.datetime.combine(day, opens, tzinfo=tz)
    return max(start, moment) if start.date() == local.date() else start


def working_days_before(day: dt.date, days: int) -> dt.date:
    """The working day `days` working days before `day`."""
    while days > 0:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day
