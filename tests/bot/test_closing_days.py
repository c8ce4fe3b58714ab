"""Organisations' own closing days move what they would otherwise send or plan."""

import datetime as dt

import pytest

from bot.outreach.importing import parse_organisations
from tests.world import at, opened

ORGANISATION = """
organisations:
  - id: venlo
    name: Gemeente Venlo
    kind: municipality
    municipalities: [Venlo]
    closing_days: [2026-12-24, "2026-12-31"]
    contacts:
      - {name: A. Jansen, email: a.jansen@example.org, phone: "+31612345678"}
"""


@pytest.fixture
async def world(tmp_path):
    async with opened(tmp_path, ORGANISATION) as w:
        yield w


async def test_no_first_message_on_a_closing_day(world):
    await world.cohort("ZM-1,Sam,+31622334455,Venlo,2027-02-18,,nl\n", at(2026, 12, 23, 21))
    await world.days(at(2026, 12, 23, 21), at(2026, 12, 28, 12))
    # 24 December is Venlo's closing day, 25 and 26 are public holidays, 27 is a Sunday.
    assert {when for when, _ in await world.messages("ZM-1")} == {"Mon 28 Dec 09:00"}


async def test_reminders_count_closing_days_out(world):
    await world.cohort("ZM-1,Sam,+31622334455,Venlo,2027-02-18,,nl\n", at(2026, 12, 29, 9))
    await world.days(at(2026, 12, 29, 9), at(2027, 1, 5, 12))
    # First message Tue 29; working days after it: Wed 30, (31 closed, 1 Jan holiday) Mon 4.
    assert list(dict.fromkeys(when for when, _ in await world.messages("ZM-1"))) == [
        "Tue 29 Dec 09:00",
        "Mon 04 Jan 09:00",
    ]


def test_a_closing_day_that_is_no_date_is_refused():
    broken = ORGANISATION.replace('"2026-12-31"', '"31-12-2026"')
    parsed = parse_organisations(broken.encode(), {})
    assert parsed.errors == ["organisations[1]: venlo: closing_days: '31-12-2026' is not a date"]


def test_closing_days_are_read_from_the_yaml():
    [(_, org)] = parse_organisations(ORGANISATION.encode(), {}).items
    assert org.closing_days == (dt.date(2026, 12, 24), dt.date(2026, 12, 31))
