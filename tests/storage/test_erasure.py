"""Erasure leaves nothing of the person: not with the key, not in the file's bytes."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from bot.clock import FakeClock
from bot.outreach import retention
from bot.outreach.inbound import Arrival
from storage import casework
from storage.cases import get_case
from storage.export import case_export
from storage.report import monitoring
from tests.world import World, at, opened

NAME = "Quirijn"
PHONE = "+31622998877"
CHAT = "777001234"
SECRETS = (NAME, "622998877", CHAT, "Fenna", "Wilhelmina", "Tegelen", "Kerkstraat")


@pytest.fixture
async def world(tmp_path):
    async with opened(tmp_path) as w:
        yield w


async def telegram(world: World, text: str, now: dt.datetime, n: list[int] = [0]) -> None:  # noqa: B006
    n[0] += 1
    arrival = Arrival("telegram", str(9000 + n[0]), CHAT, "text", text)
    await world.deliver(arrival, clock=FakeClock(now.astimezone(dt.UTC)))


def sealed_columns(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    found = []
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for column in conn.execute(f"PRAGMA table_info({table})"):
            found.append((table, column[1]))
    return found


def everything_readable(path, vault) -> str:
    """Every cell of every table, sealed ones opened with the key, as one text."""
    texts = []
    with sqlite3.connect(path) as conn:
        for table, column in sealed_columns(conn):
            for (value,) in conn.execute(f'SELECT "{column}" FROM "{table}"'):
                if isinstance(value, bytes):
                    try:
                        value = vault.open(value, f"{table}.{column}")
                    except Exception:
                        value = value.decode("latin-1")
                texts.append(str(value))
    return "\n".join(texts)


async def test_erasure_leaves_nothing_of_the_person(world, tmp_path):
    day = at(2026, 12, 14, 10)
    await world.cohort(
        f"ZM-9,{NAME},{PHONE},Venlo,2027-01-29,PI Roermond,nl\n", at(2026, 12, 14, 9)
    )
    case = await get_case(world.rt.db, world.rt.vault, reference="ZM-9")
    await telegram(world, "/start WRONG9", day)  # a wrong try first, answered
    await telegram(world, f"/start {case.invite_code}", day)  # then the code: bound
    for text in ("ja", "ja", "ja", "1", "2", "Ik slaap bij mijn zus Fenna in Tegelen"):
        await telegram(world, text, day)
    await world.say(PHONE, "UITSTEL", day)
    await world.say(PHONE, "Mijn moeder Wilhelmina is ziek", day)
    async with world.rt.db.transaction() as tx:
        await casework.add_note(tx, world.rt.vault, case.id, None, "Kerkstraat 5 gebeld", day)
    before = everything_readable(world.rt.db.path, world.rt.vault)
    assert all(s in before for s in SECRETS), [s for s in SECRETS if s not in before]
    figures = await monitoring(world.rt.db, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    sealed_before = sealed_blobs(world.rt.db.path)

    async with world.rt.db.transaction() as tx:
        await retention.erase(tx, world.rt.vault, case.id, day, "on request", actor="test")
    await world.rt.db.checkpoint()

    after = everything_readable(world.rt.db.path, world.rt.vault)
    assert [s for s in SECRETS if s in after] == []
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("v.db"))
    assert [b for b in sealed_before if b in raw] == []  # secure_delete: overwritten
    assert await monitoring(world.rt.db, dt.date(2026, 12, 1), dt.date(2026, 12, 31)) == figures
    erased = await get_case(world.rt.db, world.rt.vault, reference="ZM-9")
    exported = await case_export(world.rt.db, world.rt.vault, erased, everything=True)
    assert [s for s in SECRETS if s in str(exported)] == []


def sealed_blobs(path) -> list[bytes]:
    """The sealed values of the person's rows, as stored (to look for in the raw file)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            """SELECT first_name FROM cases UNION ALL SELECT phone FROM cases
               UNION ALL SELECT body FROM inbound UNION ALL SELECT sender FROM inbound
               UNION ALL SELECT body FROM outbox UNION ALL SELECT address FROM outbox
               UNION ALL SELECT address FROM channel_identities
               UNION ALL SELECT note FROM answers UNION ALL SELECT note FROM escalations
               UNION ALL SELECT body FROM case_notes UNION ALL SELECT state FROM conversations"""
        ).fetchall()
    return [r[0] for r in rows if isinstance(r[0], bytes)]


async def test_a_strangers_messages_are_found_by_address_through_an_index(world):
    """Erasure finds the messages of no case (before the code bound the chat) by address;
    only those are indexed by it, so the rows of every conversation turn skip that index."""
    day = at(2026, 12, 14, 10)
    await world.cohort(f"ZM-9,{NAME},{PHONE},Venlo,2027-01-29,,nl\n", at(2026, 12, 14, 9))
    case = await get_case(world.rt.db, world.rt.vault, reference="ZM-9")
    await telegram(world, "/start WRONG9", day)  # a stranger yet: no case on these rows
    await telegram(world, f"/start {case.invite_code}", day)
    strangers = "SELECT count(*) FROM {} WHERE case_id IS NULL AND {} IS NOT NULL"
    assert (await world.rt.db.fetchone(strangers.format("inbound", "sender_hash")))[0] > 0
    assert (await world.rt.db.fetchone(strangers.format("outbox", "address_hash")))[0] > 0

    statements: list[str] = []
    async with world.rt.db.transaction() as tx:
        await tx.set_trace_callback(statements.append)
        await retention.erase(tx, world.rt.vault, case.id, day, "on request", actor="test")
        await tx.set_trace_callback(None)
    by_address = [s for s in statements if s.startswith("UPDATE") and "case_id IS NULL" in s]
    plans = {}
    for statement in by_address:
        rows = await world.rt.db.fetchall(f"EXPLAIN QUERY PLAN {statement}")
        plans[statement.split()[1]] = " ".join(row["detail"] for row in rows)
    assert "USING INDEX outbox_stranger_address" in plans["outbox"]
    assert "USING INDEX inbound_stranger_sender" in plans["inbound"]
    assert (await world.rt.db.fetchone(strangers.format("inbound", "sender_hash")))[0] == 0
    assert (await world.rt.db.fetchone(strangers.format("outbox", "address_hash")))[0] == 0
