"""Booking through the real turn path: free times, the last place, moving, reminders."""

import asyncio
import datetime as dt

import pytest

from storage.appointments import free_offers
from storage.cases import get_case
from tests.world import at, opened

ONE_PLACE = """
organisations:
  - id: venlo
    name: Gemeente Venlo
    kind: municipality
    municipalities: [Venlo]
    contacts:
      - {name: A. Jansen, email: a.jansen@example.org}
    slots:
      - {weekday: tuesday, from: "10:00", to: "10:30", minutes: 30, mode: phone}
      - {weekday: thursday, from: "13:00", to: "14:00", minutes: 60, mode: visit,
         place: Stadskantoor, capacity: 1}
"""
SAM, KIM = "+31622334455", "+31622334466"
INTAKE = ["ja", "ja", "ja", *["1"] * 7, "1"]  # up to the booking question


@pytest.fixture
async def world(tmp_path):
    async with opened(tmp_path, ONE_PLACE) as w:
        await w.cohort(
            f"ZM-1,Sam,{SAM},Venlo,2027-01-14,,nl\nZM-2,Kim,{KIM},Venlo,2027-01-14,,nl\n",
            at(2026, 12, 14, 9),
        )
        await w.tick(at(2026, 12, 14, 9))
        yield w


async def to_booking(world, phone, when):
    for text in INTAKE:
        await world.say(phone, text, when)


async def last(world, reference):
    return (await world.messages(reference))[-1][1]


async def offers(world, now):
    async with world.rt.db.transaction() as tx:
        return await free_offers(tx, "venlo", now.astimezone(dt.UTC), dt.date(2027, 1, 14))


async def test_offers_start_a_working_day_ahead_skip_holidays_and_stop_before_the_date(world):
    times = [
        o.start.astimezone(at(2026, 1, 1).tzinfo).strftime("%a %d %b %H:%M")
        for o in await offers(world, at(2026, 12, 21, 15))
    ]
    assert times[:4] == [
        "Tue 22 Dec 10:00",
        "Thu 24 Dec 13:00",
        "Tue 29 Dec 10:00",
        "Thu 31 Dec 13:00",
    ]
    assert times[-1] == "Tue 12 Jan 10:00"  # two working days before Thu 14 Jan


async def test_the_last_place_cannot_be_taken_twice(world):
    now = at(2026, 12, 21, 15)
    await to_booking(world, SAM, now)
    await to_booking(world, KIM, now)
    shown_to_kim = (await world.messages("ZM-2", full=True))[-1][1]
    assert "2 donderdag 24 december om 13:00, op bezoek (Stadskantoor)" in shown_to_kim
    await world.say(SAM, "2", now)  # Thursday 13:00, the only place
    assert (await last(world, "ZM-1")).startswith("Uw afspraak staat: donderdag 24 december")
    await world.say(KIM, "2", now)  # Kim saw the same list
    said = [m[1] for m in await world.messages("ZM-2")][-2:]
    assert said[0] == "Sorry, die tijd is net vergeven. Kies een andere tijd."
    assert not any(o.start.day == 24 for o in await offers(world, now))
    rows = await world.rt.db.fetchall("SELECT count(*) FROM appointments WHERE status = 'booked'")
    assert rows[0][0] == 1


async def test_two_people_at_once_never_overfill(world):
    now = at(2026, 12, 21, 15)
    await to_booking(world, SAM, now)
    await to_booking(world, KIM, now)
    await asyncio.gather(world.say(SAM, "2", now), world.say(KIM, "2", now))
    [(booked,)] = await world.rt.db.fetchall(
        "SELECT count(*) FROM appointments WHERE status = 'booked' AND slot_id = 2"
    )
    assert booked == 1


async def test_moving_keeps_the_old_time_until_a_new_one_is_booked_then_frees_it(world):
    now = at(2026, 12, 21, 15)
    await to_booking(world, SAM, now)
    await world.say(SAM, "2", now)
    assert not any(o.start.day == 24 for o in await offers(world, now))
    await world.say(SAM, "VERZET", now)
    assert not any(o.start.day == 24 for o in await offers(world, now))  # still theirs
    await world.say(SAM, "1", now)
    assert (await last(world, "ZM-1")).startswith("Uw afspraak staat: dinsdag 22 december om 10:00")
    assert any(o.start.day == 24 for o in await offers(world, now))  # free again
    await world.say(SAM, "afzeggen", now)
    assert [m[1] for m in await world.messages("ZM-1")][-2] == (
        "Uw afspraak is afgezegd. De tijd is weer vrij."
    )
    [(booked,)] = await world.rt.db.fetchall(
        "SELECT count(*) FROM appointments WHERE status = 'booked'"
    )
    assert booked == 0


async def test_appointment_reminders_the_working_day_before_and_that_morning(world):
    await to_booking(world, SAM, at(2026, 12, 21, 15))
    await world.say(SAM, "3", at(2026, 12, 21, 15))  # Tuesday 29 December 10:00
    await world.days(at(2026, 12, 21, 16), at(2026, 12, 30, 12))
    reminders = [m for m in await world.messages("ZM-1") if "een herinnering" in m[1]]
    assert [m[0] for m in reminders] == ["Mon 28 Dec 10:00", "Tue 29 Dec 09:00"]
    case = await get_case(world.rt.db, world.rt.vault, reference="ZM-1")
    assert case.status == "completed"


async def test_a_cancelled_appointment_gets_no_reminder(world):
    await to_booking(world, SAM, at(2026, 12, 21, 15))
    await world.say(SAM, "1", at(2026, 12, 21, 15))  # Tuesday 22 December 10:00
    await world.say(SAM, "afzeggen", at(2026, 12, 21, 16))
    await world.say(SAM, "5", at(2026, 12, 21, 16))  # no time fits: a person will call
    await world.days(at(2026, 12, 21, 17), at(2026, 12, 23, 12))
    assert not [m for m in await world.messages("ZM-1") if "een herinnering" in m[1]]
    reasons = [e[1] for e in await world.escalations("ZM-1")]
    assert "no_slot_fits" in reasons


async def test_postponement_is_a_task_for_a_person(world):
    await world.say(SAM, "ja", at(2026, 12, 14, 10))
    await world.say(SAM, "uitstel", at(2026, 12, 14, 10))
    await world.say(SAM, "Mijn moeder ligt in het ziekenhuis", at(2026, 12, 14, 10))
    said = [m[1] for m in await world.messages("ZM-1")]
    assert "Dat beslist een medewerker, niet deze bot." in "\n".join(said[-3:]) or any(
        "U vraagt om uitstel" in s for s in said
    )
    [row] = await world.rt.db.fetchall("SELECT reason, note FROM escalations")
    assert row["reason"] == "postponement"
    assert (
        world.rt.vault.open(row["note"], "escalations.note") == "Mijn moeder ligt in het ziekenhuis"
    )
    assert said[-1].startswith("Mogen wij uw antwoorden delen")  # and back to where they were
