"""Cases on a real SQLite file: sealed personal data, import semantics, look-ups, flags."""

import dataclasses
import datetime as dt

import pytest

from storage import cases
from storage.cases import INVITE_ALPHABET, INVITE_LENGTH, CaseInput, get_case, save_case
from storage.organisations import Contact, Organisation, save_organisation

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
SAM = CaseInput("ZM-1", "Sam", "Venlo", dt.date(2027, 1, 14), "+31622334455", "PI Roermond")


@pytest.fixture
async def db(db):
    async with db.transaction() as tx:
        await save_organisation(tx, Organisation("venlo", "Gemeente Venlo", "municipality"), "t")
    return db


async def save(db, vault, data: CaseInput) -> str:
    async with db.transaction() as tx:
        return await save_case(tx, vault, data, "venlo", NOW.isoformat())


async def test_a_case_is_created_then_unchanged_then_updated(db, vault):
    assert await save(db, vault, SAM) == "created"
    assert await save(db, vault, SAM) == "unchanged"
    moved = dataclasses.replace(SAM, report_date=dt.date(2027, 2, 11))
    assert await save(db, vault, moved) == "updated"
    case = await get_case(db, vault, reference="ZM-1")
    assert (case.first_name, case.phone, case.prison) == ("Sam", "+31622334455", "PI Roermond")
    assert (case.report_date, case.status, case.opted_out) == (moved.report_date, "new", False)


async def test_new_cases_get_invite_codes_that_no_other_case_has(db, vault, monkeypatch):
    await save(db, vault, SAM)
    taken = (await get_case(db, vault, reference="ZM-1")).invite_code
    draws = iter([[taken, "AAAAAA", "AAAAAA"], ["BBBBBB", "CCCCCC"]])
    monkeypatch.setattr(cases, "new_invite_codes", lambda count: next(draws))
    rows = [(dataclasses.replace(SAM, reference=f"ZM-{n}"), "venlo") for n in (2, 3, 4)]
    async with db.transaction() as tx:
        ids = await cases.insert_cases(tx, vault, rows, NOW.isoformat())
    codes = [(await get_case(db, vault, case_id=i)).invite_code for i in ids]
    assert codes == ["AAAAAA", "BBBBBB", "CCCCCC"]  # the taken one and the double skipped


async def test_personal_data_is_sealed_in_the_file(db, vault):
    await save(db, vault, SAM)
    [row] = await db.fetchall("SELECT first_name, phone, phone_hash, prison FROM cases")
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
    for secret in (b"Sam", b"622334455", b"PI Roermond"):
        assert secret not in stored


async def test_a_case_is_found_by_reference_id_and_invite_code(db, vault):
    await save(db, vault, SAM)
    case = await get_case(db, vault, reference="ZM-1")
    assert len(case.invite_code) == INVITE_LENGTH and set(case.invite_code) <= set(INVITE_ALPHABET)
    assert await get_case(db, vault, case_id=case.id) == case
    assert await get_case(db, vault, invite_code=case.invite_code) == case
    assert await get_case(db, vault, reference="ZM-404") is None


async def test_opting_out_and_in_and_taking_over(db, vault):
    assert not await cases.any_case(db)
    await save(db, vault, SAM)
    assert await cases.any_case(db)
    case_id = (await get_case(db, vault, reference="ZM-1")).id
    async with db.transaction() as tx:
        await cases.opt_out(tx, case_id, NOW)
        assert (await get_case(tx, vault, case_id=case_id)).opted_out  # seen inside the tx
    assert (await get_case(db, vault, case_id=case_id)).opted_out  # committed
    async with db.transaction() as tx:
        await cases.opt_in(tx, case_id, NOW)
    assert not (await get_case(db, vault, case_id=case_id)).opted_out


async def test_a_contact_person_holds_the_case_they_took_over(db, vault):
    await save(db, vault, SAM)
    case_id = (await get_case(db, vault, reference="ZM-1")).id
    org = Organisation(
        "venlo", "Gemeente Venlo", "municipality", contacts=(Contact("K", "k@x.nl"),)
    )
    async with db.transaction() as tx:
        await save_organisation(tx, org, "t")
    [(contact_id,)] = await db.fetchall("SELECT id FROM contacts")
    async with db.transaction() as tx:
        await cases.set_taken_over(tx, case_id, contact_id, NOW)
        assert await cases.held_by(tx, contact_id) == case_id
    assert (await get_case(db, vault, case_id=case_id)).taken_over_by == contact_id
    async with db.transaction() as tx:
        await cases.set_taken_over(tx, case_id, None, NOW)
        assert await cases.held_by(tx, contact_id) is None


async def test_a_contact_person_holding_two_cases_holds_the_one_taken_over_last(db, vault):
    await save(db, vault, SAM)
    await save(db, vault, dataclasses.replace(SAM, reference="ZM-2", phone="+31622334466"))
    sam, other = [(await get_case(db, vault, reference=r)).id for r in ("ZM-1", "ZM-2")]
    org = Organisation(
        "venlo", "Gemeente Venlo", "municipality", contacts=(Contact("K", "k@x.nl"),)
    )
    async with db.transaction() as tx:
        await save_organisation(tx, org, "t")
    [(contact_id,)] = await db.fetchall("SELECT id FROM contacts")
    later = NOW + dt.timedelta(hours=1)
    async with db.transaction() as tx:
        await cases.set_taken_over(tx, other, contact_id, NOW)
        await cases.set_taken_over(tx, sam, contact_id, later)
        assert await cases.held_by(tx, contact_id) == sam
        await cases.set_status(tx, other, "in_conversation", later + dt.timedelta(minutes=5))
        assert await cases.held_by(tx, contact_id) == sam


async def test_a_status_set_again_is_no_change(db, vault):
    await save(db, vault, SAM)
    case_id = (await get_case(db, vault, reference="ZM-1")).id
    later = NOW + dt.timedelta(hours=1)
    async with db.transaction() as tx:
        await cases.set_status(tx, case_id, "in_conversation", NOW)
        await cases.set_status(tx, case_id, "in_conversation", later)
    [(status, updated_at)] = await db.fetchall("SELECT status, updated_at FROM cases")
    assert (status, dt.datetime.fromisoformat(updated_at)) == ("in_conversation", NOW)


async def test_every_audit_line_is_kept(db, vault):
    async with db.transaction() as tx:
        await cases.audit(tx, "cli", "org_load", None, NOW.isoformat(), "2 created")
    rows = await db.fetchall("SELECT actor, action, case_id, detail FROM audit_log")
    assert [tuple(r) for r in rows] == [("cli", "org_load", None, "2 created")]
