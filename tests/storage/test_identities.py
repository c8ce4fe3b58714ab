"""Who is writing: a bound chat or number first, else the case with that phone number."""

import dataclasses
import datetime as dt

import pytest

from storage import identities, routes
from storage.cases import CaseInput, get_case, save_case
from storage.organisations import Organisation, save_organisation

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
SAM = CaseInput("ZM-1", "Sam", "Venlo", dt.date(2027, 1, 14), "+31622334455", None)
ALEX = CaseInput("ZM-2", "Alex", "Venlo", dt.date(2027, 1, 21), "+31611112222", None)
CHAT = "100200300"


@pytest.fixture
async def db(db, vault):
    async with db.transaction() as tx:
        await save_organisation(tx, Organisation("venlo", "Gemeente Venlo", "municipality"), "t")
        for data in (SAM, ALEX):
            await save_case(tx, vault, data, "venlo", NOW.isoformat())
    return db


async def sender(db, vault, channel: str, address: str, phone: str | None):
    async with db.transaction() as tx:
        found = await identities.case_of_sender(
            tx, vault, channel, vault.lookup_hash(address), phone
        )
    return found.reference if found else None


async def test_a_number_finds_its_case_and_an_unknown_one_nothing(db, vault):
    assert await sender(db, vault, "sms", SAM.phone, SAM.phone) == "ZM-1"
    assert await sender(db, vault, "sms", "+31600000000", "+31600000000") is None
    assert await sender(db, vault, "telegram", CHAT, None) is None


async def test_the_latest_report_date_wins_for_a_shared_number(db, vault):
    later = dataclasses.replace(SAM, reference="ZM-3", report_date=dt.date(2027, 3, 1))
    async with db.transaction() as tx:
        await save_case(tx, vault, later, "venlo", NOW.isoformat())
    assert await sender(db, vault, "sms", SAM.phone, SAM.phone) == "ZM-3"


async def test_a_binding_comes_before_the_number_until_it_is_dead(db, vault):
    alex = await get_case(db, vault, reference="ZM-2")
    async with db.transaction() as tx:
        await identities.bind(tx, vault, alex.id, "sms", SAM.phone, NOW)
        await identities.bind(tx, vault, alex.id, "telegram", CHAT, NOW)
    assert await sender(db, vault, "sms", SAM.phone, SAM.phone) == "ZM-2"
    assert await sender(db, vault, "telegram", CHAT, None) == "ZM-2"
    async with db.transaction() as tx:
        await routes.mark_dead(tx, vault, alex.id, "sms", SAM.phone, "30008", NOW)
    assert await sender(db, vault, "sms", SAM.phone, SAM.phone) == "ZM-1"
