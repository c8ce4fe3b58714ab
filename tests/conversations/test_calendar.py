import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from conversations.calendar import (
    AMSTERDAM,
    Calendar,
    add_working_days,
    days_off,
    easter_sunday,
    is_working_day,
    kings_day,
    sending_window,
    working_days_before,
    working_days_between,
)

D = dt.date
NEW_YORK = ZoneInfo("America/New_York")


def at(*args, tz: ZoneInfo = AMSTERDAM) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz)


# Dutch government practice (Rijk, DJI, municipal collective agreement), written out by
# hand: Easter 2026 = 5 April, 2027 = 28 March, 2028 = 16 April; Ascension = Easter + 39,
# Whit Monday = Easter + 50; 5 May every year; Good Friday is not on the list.
GOVERNMENT_DAYS_OFF = {
    2026: {
        D(2026, 1, 1): "Nieuwjaarsdag",  # Thursday
        D(2026, 4, 6): "Tweede paasdag",
        D(2026, 4, 27): "Koningsdag",  # Monday
        D(2026, 5, 5): "Bevrijdingsdag",  # Tuesday
        D(2026, 5, 14): "Hemelvaartsdag",
        D(2026, 5, 25): "Tweede pinksterdag",
        D(2026, 12, 25): "Eerste kerstdag",  # Friday
        D(2026, 12, 26): "Tweede kerstdag",  # Saturday
    },
    2027: {
        D(2027, 1, 1): "Nieuwjaarsdag",  # Friday
        D(2027, 3, 29): "Tweede paasdag",
        D(2027, 4, 27): "Koningsdag",  # Tuesday
        D(2027, 5, 5): "Bevrijdingsdag",  # Wednesday
        D(2027, 5, 6): "Hemelvaartsdag",
        D(2027, 5, 17): "Tweede pinksterdag",
        D(2027, 12, 25): "Eerste kerstdag",  # Saturday
        D(2027, 12, 26): "Tweede kerstdag",  # Sunday
    },
    2028: {
        D(2028, 1, 1): "Nieuwjaarsdag",  # Saturday
        D(2028, 4, 17): "Tweede paasdag",
        D(2028, 4, 27): "Koningsdag",  # Thursday
        D(2028, 5, 5): "Bevrijdingsdag",  # Friday
        D(2028, 5, 25): "Hemelvaartsdag",
        D(2028, 6, 5): "Tweede pinksterdag",
        D(2028, 12, 25): "Eerste kerstdag",  # Monday
        D(2028, 12, 26): "Tweede kerstdag",  # Tuesday
    },
}
GOOD_FRIDAYS = [D(2026, 4, 3), D(2027, 3, 26), D(2028, 4, 14)]
WEEKDAYS_OFF = [
    *[D(2026, 1, 1), D(2026, 4, 6), D(2026, 4, 27), D(2026, 5, 5), D(2026, 5, 14)],
    *[D(2026, 5, 25), D(2026, 12, 25)],
    *[D(2027, 1, 1), D(2027, 3, 29), D(2027, 4, 27), D(2027, 5, 5), D(2027, 5, 6)],
    *[D(2027, 5, 17)],
    *[D(2028, 4, 17), D(2028, 4, 27), D(2028, 5, 5), D(2028, 5, 25), D(2028, 6, 5)],
    *[D(2028, 12, 25), D(2028, 12, 26)],
]


@pytest.mark.parametrize("year", sorted(GOVERNMENT_DAYS_OFF))
def test_the_days_off_of_2026_to_2028_follow_government_practice(year):
    assert days_off(year) == GOVERNMENT_DAYS_OFF[year]


def test_every_weekday_off_in_2026_to_2028_is_no_working_day():
    weekdays_off = [
        d for year in GOVERNMENT_DAYS_OFF for d in GOVERNMENT_DAYS_OFF[year] if d.weekday() < 5
    ]
    assert weekdays_off == WEEKDAYS_OFF
    assert not any(is_working_day(d) for d in WEEKDAYS_OFF)


def test_good_friday_is_a_working_day():
    assert [d.weekday() for d in GOOD_FRIDAYS] == [4, 4, 4]
    assert all(is_working_day(d) for d in GOOD_FRIDAYS)


def test_liberation_day_is_off_every_year_not_only_every_fifth():
    assert not is_working_day(D(2026, 5, 5))
    assert not is_working_day(D(2031, 5, 5))  # a Monday
    assert is_working_day(D(2026, 5, 4)) and is_working_day(D(2026, 5, 6))
    assert working_days_between(D(2026, 4, 30), D(2026, 5, 8)) == 5  # Fri 1, Mon 4, 6, 7, 8


def test_working_days_in_2026_to_2028():
    # 261, 261 and 260 weekdays, minus 7, 6 and 7 weekdays off.
    counts = {y: working_days_between(D(y - 1, 12, 31), D(y, 12, 31)) for y in (2026, 2027, 2028)}
    assert counts == {2026: 254, 2027: 255, 2028: 253}


def test_easter_sunday_by_the_computus():
    known = {
        2024: D(2024, 3, 31),
        2025: D(2025, 4, 20),
        2026: D(2026, 4, 5),
        2027: D(2027, 3, 28),
        2028: D(2028, 4, 16),
        2029: D(2029, 4, 1),
        2030: D(2030, 4, 21),
        2038: D(2038, 4, 25),  # the latest possible date
        2285: D(2285, 3, 22),  # the earliest possible date
    }
    assert {year: easter_sunday(year) for year in known} == known


def test_kings_day_moves_to_saturday_when_the_27th_is_a_sunday():
    assert kings_day(2025) == D(2025, 4, 26)  # 27 April 2025 was a Sunday
    assert kings_day(2031) == D(2031, 4, 26)  # the next such year
    assert kings_day(2030) == D(2030, 4, 27)  # a Saturday: stays
    assert [kings_day(y) for y in (2026, 2027, 2028)] == [
        D(2026, 4, 27),
        D(2027, 4, 27),
        D(2028, 4, 27),
    ]


def test_weekends_and_dutch_holidays_are_not_working_days():
    assert not is_working_day(D(2026, 12, 25))  # Christmas
    assert not is_working_day(D(2026, 12, 26))
    assert not is_working_day(D(2027, 1, 1))
    assert not is_working_day(D(2027, 4, 27))  # King's Day
    assert not is_working_day(D(2026, 11, 28))  # Saturday
    assert is_working_day(D(2026, 12, 24))


def test_adding_working_days_over_christmas():
    assert add_working_days(at(2026, 12, 23, 10), 2) == at(2026, 12, 28, 10)
    assert add_working_days(at(2026, 12, 24, 10), 5) == at(2027, 1, 4, 10)


def test_adding_working_days_keeps_the_wall_clock_across_dst():
    later = add_working_days(at(2027, 3, 26, 10), 1)  # Good Friday before DST; Easter Monday
    assert later == at(2027, 3, 30, 10) and later.utcoffset() == dt.timedelta(hours=2)


def test_adding_working_days_over_good_friday_and_easter_monday():
    assert add_working_days(at(2027, 3, 25, 10), 1) == at(2027, 3, 26, 10)  # Good Friday
    assert add_working_days(at(2027, 3, 25, 10), 2) == at(2027, 3, 30, 10)
    assert add_working_days(at(2027, 3, 25, 10), 5) == at(2027, 4, 2, 10)


def test_counting_working_days():
    assert working_days_between(D(2026, 12, 21), D(2027, 1, 4)) == 8
    assert working_days_between(D(2027, 1, 4), D(2026, 12, 21)) == 0


def test_working_days_before():
    assert working_days_before(D(2027, 1, 4), 1) == D(2026, 12, 31)
    assert working_days_before(D(2027, 4, 28), 1) == D(2027, 4, 26)  # over King's Day
    assert working_days_before(D(2026, 5, 6), 2) == D(2026, 5, 1)  # over 5 May
    assert working_days_before(D(2026, 12, 27), 0) == D(2026, 12, 27)


# Organisation closing days


CLOSED_BETWEEN_CHRISTMAS = Calendar(closing_days=frozenset({D(2026, 12, 24), D(2026, 12, 31)}))


def test_closing_days_are_no_working_days_for_that_organisation_only():
    assert not CLOSED_BETWEEN_CHRISTMAS.is_working_day(D(2026, 12, 24))
    assert not CLOSED_BETWEEN_CHRISTMAS.is_working_day(D(2026, 12, 25))
    assert CLOSED_BETWEEN_CHRISTMAS.is_working_day(D(2026, 12, 28))
    assert is_working_day(D(2026, 12, 24))
    assert Calendar().is_working_day(D(2026, 12, 24))


def test_closing_days_count_in_every_calculation():
    cal = CLOSED_BETWEEN_CHRISTMAS
    assert cal.add_working_days(at(2026, 12, 23, 10), 1) == at(2026, 12, 28, 10)
    assert cal.add_working_days(at(2026, 12, 23, 10), 4) == at(2027, 1, 4, 10)
    assert cal.working_days_before(D(2027, 1, 4), 2) == D(2026, 12, 29)
    assert cal.working_days_between(D(2026, 12, 21), D(2027, 1, 4)) == 6
    assert cal.sending_window(at(2026, 12, 23, 21)) == at(2026, 12, 28, 9)


def test_closing_days_accept_any_collection_of_dates_and_refuse_datetimes():
    cal = Calendar(closing_days=[D(2026, 12, 24)])  # e.g. straight from YAML
    assert cal.closing_days == frozenset({D(2026, 12, 24)})
    assert cal == Calendar(closing_days=frozenset({D(2026, 12, 24)}))
    assert hash(cal) == hash(Calendar(closing_days=frozenset({D(2026, 12, 24)})))
    with pytest.raises(TypeError):
        Calendar(closing_days=frozenset({at(2026, 12, 24, 0)}))
    with pytest.raises(TypeError):
        Calendar(closing_days=frozenset({"2026-12-24"}))


def test_with_closing_days_adds_to_the_calendar():
    cal = Calendar(tz=NEW_YORK).with_closing_days([D(2026, 12, 24)])
    assert cal == Calendar(frozenset({D(2026, 12, 24)}), NEW_YORK)
    assert cal.with_closing_days({D(2026, 12, 31)}).closing_days == {
        D(2026, 12, 24),
        D(2026, 12, 31),
    }


# The sending window: working days only


def test_the_sending_window_is_open_on_working_days_from_opening_until_closing():
    assert sending_window(at(2026, 11, 30, 9)) == at(2026, 11, 30, 9)
    assert sending_window(at(2026, 11, 30, 19, 59)) == at(2026, 11, 30, 19, 59)
    assert sending_window(at(2026, 11, 30, 7)) == at(2026, 11, 30, 9)
    assert sending_window(at(2026, 11, 30, 20)) == at(2026, 12, 1, 9)
    assert sending_window(at(2026, 4, 3, 12)) == at(2026, 4, 3, 12)  # Good Friday


def test_no_messages_at_weekends_on_days_off_or_at_night_before_them():
    assert sending_window(at(2026, 11, 28, 10)) == at(2026, 11, 30, 9)  # Saturday
    assert sending_window(at(2026, 11, 29, 10)) == at(2026, 11, 30, 9)  # Sunday
    assert sending_window(at(2026, 11, 27, 21)) == at(2026, 11, 30, 9)  # Friday night
    assert sending_window(at(2026, 12, 24, 20)) == at(2026, 12, 28, 9)  # Christmas
    assert sending_window(at(2027, 4, 27, 12)) == at(2027, 4, 28, 9)  # King's Day
    assert sending_window(at(2026, 5, 5, 8)) == at(2026, 5, 6, 9)  # Liberation Day
    assert sending_window(at(2026, 5, 13, 22)) == at(2026, 5, 15, 9)  # Ascension
    assert sending_window(at(2028, 6, 3, 12)) == at(2028, 6, 6, 9)  # Whit Monday


def test_a_custom_sending_window():
    opens, closes = dt.time(8, 30), dt.time(17)
    assert sending_window(at(2026, 11, 30, 8, 30), opens, closes) == at(2026, 11, 30, 8, 30)
    assert sending_window(at(2026, 11, 30, 17), opens, closes) == at(2026, 12, 1, 8, 30)


def test_the_sending_window_always_answers_the_first_open_moment():
    start = at(2026, 1, 1, 0, 17)
    for n in range(0, 3 * 365 * 24, 5):
        moment = start + dt.timedelta(hours=n)
        due = sending_window(moment)
        local = due.astimezone(AMSTERDAM)
        assert due >= moment and is_working_day(local.date())
        assert dt.time(9) <= local.time() < dt.time(20)
        assert due == moment or local.time() == dt.time(9)
        assert working_days_between(moment.astimezone(AMSTERDAM).date(), local.date()) <= 1


# The time zone


def test_the_dst_weekends_keep_the_wall_clock():
    spring = add_working_days(at(2026, 3, 27, 10), 1)  # clocks go forward on Sun 29 March
    assert spring == at(2026, 3, 30, 10) and spring.utcoffset() == dt.timedelta(hours=2)
    autumn = add_working_days(at(2026, 10, 23, 10), 1)  # and back on Sun 25 October
    assert autumn == at(2026, 10, 26, 10) and autumn.utcoffset() == dt.timedelta(hours=1)
    opens = sending_window(at(2026, 3, 28, 22))
    assert opens == at(2026, 3, 30, 9) and opens.utcoffset() == dt.timedelta(hours=2)
    assert opens == dt.datetime(2026, 3, 30, 7, tzinfo=dt.UTC)


def test_a_moment_in_another_zone_is_judged_by_the_calendar_zone():
    moment = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # 01:30 CET, before the change
    assert add_working_days(moment, 1) == at(2026, 3, 30, 1, 30)
    assert add_working_days(moment, 1).utcoffset() == dt.timedelta(hours=2)


def test_the_time_zone_is_a_parameter():
    christmas_eve_utc = dt.datetime(2026, 12, 24, 23, 30, tzinfo=dt.UTC)
    # In Amsterdam it is already Christmas (00:30); in New York still Christmas Eve (18:30).
    assert Calendar().sending_window(christmas_eve_utc) == at(2026, 12, 28, 9)
    assert Calendar(tz=NEW_YORK).sending_window(christmas_eve_utc) == christmas_eve_utc
    assert sending_window(christmas_eve_utc, tz=NEW_YORK) == christmas_eve_utc
    assert add_working_days(christmas_eve_utc, 1, tz=NEW_YORK) == at(
        2026, 12, 28, 18, 30, tz=NEW_YORK
    )
    assert Calendar(tz=NEW_YORK).add_working_days(christmas_eve_utc, 1) == at(
        2026, 12, 28, 18, 30, tz=NEW_YORK
    )
    # New York moves its clocks on 8 March 2026, three weeks before Amsterdam.
    friday = at(2026, 3, 6, 10, tz=NEW_YORK)
    assert Calendar(tz=NEW_YORK).add_working_days(friday, 1).utcoffset() == dt.timedelta(hours=-4)


def test_naive_moments_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        sending_window(dt.datetime(2026, 11, 30, 10))
    with pytest.raises(ValueError, match="no time zone"):
        Calendar().add_working_days(dt.datetime(2026, 11, 30, 10), 1)
