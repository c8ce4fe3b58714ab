"""Appointments on a real SQLite file: free times from slots, capacity, cancelling."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from storage import appointments
from storage.cases import CaseInput, get_case, save_case
from storage.organisations import Organisation, Slot, save_organisation

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=AMS)
REPORT_DATE = dt.date(2027, 1, 14)
# Tuesdays 10:00-11:00 in two half hours, one place each.
VENLO = Organisation(
    "venlo",
    "Gemeente Venlo",
    "municipality",
    slots=(Slot(weekday=1, start="10:00", end="11:00", minutes=30, mode="phone"),),
)


@pytest.fixture
async def people(db, vault):
    """The ids of two cases of Venlo."""
    async with db.transaction() as tx:
        await save_organisation(tx, VENLO, "t")
        for reference in ("ZM-1", "ZM-2"):
            data = CaseInput(reference, "X", "Venlo", REPORT_DATE)
            await save_case(tx, vault, data, "venlo", "t")
    return [(await get_case(db, vault, reference=r)).id for r in ("ZM-1", "ZM-2")]


async def offers(db, now=MONDAY):
    async with db.transaction() as tx:
        return await appointments.free_offers(tx, "venlo", now.astimezone(dt.UTC), REPORT_DATE)


async def status(db, appointment_id):
    async with db.transaction() as tx:
        return await appointments.status_of(tx, appointment_id)


def local(offer) -> str:
    return offer.start.astimezone(AMS).strftime("%a %d %b %H:%M")


async def test_free_times_come_from_the_slots_on_working_days(db, people):
    free = await offers(db)
    assert [local(o) for o in free[:3]] == [
        "Tue 08 Dec 10:00",
        "Tue 08 Dec 10:30",
        "Tue 15 Dec 10:00",
    ]
    assert all(o.minutes == 30 and o.mode == "phone" for o in free)
    assert local(free[-1]) == "Tue 12 Jan 10:30"  # two working days before the report date


async def test_a_booked_time_is_taken_until_cancelled(db, people):
    sam, kim = people
    first = (await offers(db))[0]
    async with db.transaction() as tx:
        booked = await appointments.book(tx, sam, "venlo", first, MONDAY)
    assert first not in await offers(db)
    assert await status(db, booked) == ("booked", first.start)
    with pytest.raises(appointments.SlotTaken):
        async with db.transaction() as tx:
            await appointments.book(tx, kim, "venlo", first, MONDAY)
    async with db.transaction() as tx:
        await appointments.cancel_booked(tx, sam, MONDAY)
    assert first in await offers(db)
    assert await appointments.booked(db, sam) is None
    assert (await status(db, booked))[0] == "cancelled"


async def test_an_organisation_without_slots_offers_nothing(db, people):
    async with db.transaction() as tx:
        await save_organisation(tx, Organisation("venlo", "Gemeente Venlo", "municipality"), "t")
    assert await offers(db) == ()
