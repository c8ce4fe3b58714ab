"""Working days as Dutch government offices keep them (Rijk, DJI, municipalities).

A working day is Monday to Friday, except:

- the public holidays: New Year's Day (1 January), Easter Monday, King's Day (27 April,
  or 26 April when the 27th is a Sunday), Ascension Day (Easter + 39 days), Whit Monday
  (Easter + 50 days), Christmas Day and Boxing Day (25 and 26 December);
- Liberation Day, 5 May, every year (the Rijk, DJI and the municipal collective agreement
  give it off every year, not only every fifth);
- the closing days an organisation adds.

Good Friday is a working day. Easter Sunday and Whit Sunday are Sundays anyway.

The days are computed here, Easter by the Gregorian computus, instead of taken from the
`holidays` package: its versions disagreed on Good Friday and 5 May, so an upgrade could
move a deadline. Eight rules and ten lines of arithmetic cannot drift, need no pin and
say exactly which days are off.

All functions are pure: they read no clock and take aware datetimes only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_ONE_DAY = dt.timedelta(days=1)


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday in the Gregorian calendar.

    The anonymous Gregorian computus (Meeus/Jones/Butcher), valid for every year from 1583.
    """
    golden = year % 19
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    moon_correction = (century + 8) // 25
    solar_correction = (century - moon_correction + 1) // 3
    to_full_moon = (19 * golden + century - leap_centuries - solar_correction + 15) % 30
    leap_years, year_rest = divmod(year_of_century, 4)
    to_sunday = (32 + 2 * century_rest + 2 * leap_years - to_full_moon - year_rest) % 7
    shift = (golden + 11 * to_full_moon + 22 * to_sunday) // 451
    month, day = divmod(to_full_moon + to_sunday - 7 * shift + 114, 31)
    return dt.date(year, month, day + 1)


def kings_day(year: int) -> dt.date:
    """27 April, or 26 April when the 27th is a Sunday (the rule since 2014).

    Queen's Day (30 April, before 2014) is not modelled: the service plans ahead only.
    """
    day = dt.date(year, 4, 27)
    return day - _ONE_DAY if day.weekday() == 6 else day


def days_off(year: int) -> dict[dt.date, str]:
    """The days off every government office keeps in `year`, by date, with their names.

    Some may fall at a weekend; no day off moves to a Monday (King's Day moves back).
    """
    easter = easter_sunday(year)
    return {
        dt.date(year, 1, 1): "Nieuwjaarsdag",
        easter + dt.timedelta(days=1): "Tweede paasdag",
        kings_day(year): "Koningsdag",
        dt.date(year, 5, 5): "Bevrijdingsdag",
        easter + dt.timedelta(days=39): "Hemelvaartsdag",
        easter + dt.timedelta(days=50): "Tweede pinksterdag",
        dt.date(year, 12, 25): "Eerste kerstdag",
        dt.date(year, 12, 26): "Tweede kerstdag",
    }


@lru_cache(maxsize=64)
def _days_off(year: int) -> frozenset[dt.date]:
    return frozenset(days_off(year))


@dataclass(frozen=True)
class Calendar:
    """Working days in time zone `tz`, with an organisation's own `closing_days` off too."""

    closing_days: frozenset[dt.date] = field(default=frozenset())
    tz: ZoneInfo = AMSTERDAM

    def __post_init__(self) -> None:
        days = frozenset(self.closing_days)
        if any(isinstance(d, dt.datetime) or not isinstance(d, dt.date) for d in days):
            raise TypeError("closing_days must be dates (datetime.date, not datetime)")
        object.__setattr__(self, "closing_days", days)

    def is_working_day(self, day: dt.date) -> bool:
        """Monday to Friday, not a day off and not one of the closing days."""
        return day.weekday() < 5 and day not in _days_off(day.year) and day not in self.closing_days

    def add_working_days(self, moment: dt.datetime, days: int) -> dt.datetime:
        """The same wall-clock time in `tz`, `days` working days later (DST-safe).

        Counts the working days after the local date of `moment`; `days` <= 0 gives
        `moment` in `tz`, at its own wall-clock time, even on a day off.
        """
        local = self.local(moment)
        day = local.date()
        while days > 0:
            day += _ONE_DAY
            if self.is_working_day(day):
                days -= 1
        return dt.datetime.combine(day, local.time(), tzinfo=self.tz)

    def working_days_before(self, day: dt.date, days: int) -> dt.date:
        """The working day `days` working days before `day`; `day` itself when `days` <= 0."""
        while days > 0:
            day -= _ONE_DAY
            if self.is_working_day(day):
                days -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`; 0 when `end` <= `start`."""
        count, day = 0, start
        while day < end:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count

    def sending_window(
        self, moment: dt.datetime, opens: dt.time = dt.time(9), closes: dt.time = dt.time(20)
    ) -> dt.datetime:
        """`moment` if it falls in the sending window, else the window's next opening.

        The window is `opens` (inclusive) to `closes` (exclusive), local time in `tz`, on
        working days only: a message due at night, at a weekend, on a day off or on a
        closing day waits for `opens` on the next working day.
        """
        local = self.local(moment)
        day, time = local.date(), local.time()
        if self.is_working_day(day) and opens <= time < closes:
            return moment
        if time >= opens:  # today's window has passed, or today is no working day
            day += _ONE_DAY
        return dt.datetime.combine(self.first_working_day(day), opens, tzinfo=self.tz)

    def first_working_day(self, day: dt.date) -> dt.date:
        """`day` if it is a working day, else the next working day."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def local(self, moment: dt.datetime) -> dt.datetime:
        """`moment` in `tz`; a naive datetime is refused rather than read as system time."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{moment.isoformat()} has no time zone")
        return moment.astimezone(self.tz)

    def with_closing_days(self, days: Iterable[dt.date]) -> Calendar:
        """This calendar with `days` closed as well."""
        return Calendar(self.closing_days | frozenset(days), self.tz)


DEFAULT = Calendar()


def is_working_day(day: dt.date) -> bool:
    """`Calendar.is_working_day` without closing days."""
    return DEFAULT.is_working_day(day)


def add_working_days(moment: dt.datetime, days: int, tz: ZoneInfo = AMSTERDAM) -> dt.datetime:
    """`Calendar.add_working_days` in `tz`, without closing days."""
    return Calendar(tz=tz).add_working_days(moment, days)


def working_days_before(day: dt.date, days: int) -> dt.date:
    """`Calendar.working_days_before` without closing days."""
    return DEFAULT.working_days_before(day, days)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """`Calendar.working_days_between` without closing days."""
    return DEFAULT.working_days_between(start, end)


def sending_window(
    moment: dt.datetime,
    opens: dt.time = dt.time(9),
    closes: dt.time = dt.time(20),
    tz: ZoneInfo = AMSTERDAM,
) -> dt.datetime:
    """`Calendar.sending_window` in `tz`, without closing days."""
    return Calendar(tz=tz).sending_window(moment, opens, closes)
