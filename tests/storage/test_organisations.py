"""Organisations on a real SQLite file: created, unchanged or updated with what they own."""

import dataclasses
import datetime as dt

from storage import organisations
from storage.organisations import Contact, Organisation, Slot, municipality_key, save_organisation

ZVH = Organisation(
    "zvh",
    "Zorg- en Veiligheidshuis",
    "safety_house",
    province="Limburg",
    municipalities=("Sittard-Geleen", "'s-Hertogenbosch"),
    contacts=(Contact("C. Smeets", "c.smeets@example.org", telegram_chat_id=100001),),
    slots=(Slot(weekday=3, start="13:00", end="14:00", minutes=60, mode="visit", place="Huis"),),
    closing_days=(dt.date(2026, 12, 31), dt.date(2026, 12, 24)),
)


async def save(db, org: Organisation) -> str:
    async with db.transaction() as tx:
        return await save_organisation(tx, org, "2026-12-01T09:00:00+00:00")


async def test_created_then_unchanged_then_updated(db):
    assert await save(db, ZVH) == "created"
    assert await save(db, ZVH) == "unchanged"
    assert await save(db, dataclasses.replace(ZVH, phone="+31881234567")) == "updated"
    row = await organisations.get_organisation(db, "zvh")
    assert (row["name"], row["province"], row["phone"]) == (
        "Zorg- en Veiligheidshuis",
        "Limburg",
        "+31881234567",
    )
    assert await organisations.get_organisation(db, "nope") is None


async def test_municipalities_are_looked_up_by_a_forgiving_key(db):
    await save(db, ZVH)
    served = await organisations.served_municipalities(db)
    assert served == {"sittard-geleen": "zvh", "'s-hertogenbosch": "zvh"}
    assert municipality_key(" SITTARD-GELEEN ") in served
    assert municipality_key("’s-Hertogenbosch") in served


async def test_a_contact_keeps_its_row_when_updated_and_leaves_when_dropped(db):
    await save(db, ZVH)
    [(before,)] = await db.fetchall("SELECT id FROM contacts")
    renamed = Contact("C. Smeets-Peters", "c.smeets@example.org", phone="+31612345678")
    new = Contact("D. Peters", "d.peters@example.org", backup=True)
    await save(db, dataclasses.replace(ZVH, contacts=(renamed, new)))
    rows = await db.fetchall("SELECT id, name, phone, backup FROM contacts ORDER BY email")
    assert tuple(rows[0]) == (before, "C. Smeets-Peters", "+31612345678", 0)
    assert [r["name"] for r in rows] == ["C. Smeets-Peters", "D. Peters"]
    await save(db, dataclasses.replace(ZVH, contacts=(new,)))
    assert [r["name"] for r in await db.fetchall("SELECT name FROM contacts")] == ["D. Peters"]


async def test_closing_days_come_back_as_dates_in_order(db):
    await save(db, ZVH)
    assert await organisations.closing_days(db, "zvh") == (
        dt.date(2026, 12, 24),
        dt.date(2026, 12, 31),
    )
    assert await organisations.closing_days(db, "nope") == ()
