import datetime as dt

from conversations.calendar import AMSTERDAM, add_working_days, is_working_day, working_days_between


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AMSTERDAM)


def test_weekends_and_dutch_holidays_are_not_working_days():
    assert not is_working_day(dt.date(2026, 12, 25))  # Christmas
    assert not is_working_day(dt.date(2026, 12, 26))
    assert not is_working_day(dt.date(2027, 1, 1))
    assert not is_working_day(dt.date(2027, 4, 27))  # King's Day
    assert not is_working_day(dt.date(2026, 11, 28))  # Saturday
    assert is_working_day(dt.date(2026, 12, 24))


def test_adding_working_days_over_christmas():
    assert add_working_days(at(2026, 12, 23, 10), 2) == at(2026, 12, 28, 10)
    assert add_working_days(at(2026, 12, 24, 10), 5) == at(2027, 1, 4, 10)


def test_adding_working_days_keeps_the_wall_clock_across_dst():
    later = add_working_days(at(2027, 3, 26, 10), 1)  # Friday before DST; Easter Monday after
    assert later == at(2027, 3, 30, 10) and later.utcoffset() == dt.timedelta(hours=2)


def test_counting_working_days():
    assert working_days_between(dt.date(2026, 12, 21), dt.date(2027, 1, 4)) == 8
