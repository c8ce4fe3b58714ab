"""The inbox: a webhook's arrival waits there until the worker takes it into the database,
in the transaction of its turn. Taken twice (a crash between the turn and forgetting it),
redelivered later, or left unprocessed by an older Voorzorg: processed exactly once."""

import asyncio
import datetime as dt

import pytest

from bot.channels.base import Arrival
from bot.clock import FakeClock
from bot.outreach.processing import BATCH
from storage import inbound, inbox
from storage.cases import get_case
from tests.world import World, at, opened

SAM = "+31622334455"


@pytest.fixture
async def world(tmp_path):
    async with opened(tmp_path) as w:
        await w.cohort("ZM-1,Sam,06 22334455,Venlo,2027-01-14,,nl\n", at(2026, 12, 1, 9))
        yield w


def ja(key: str = "SM" + "b" * 32) -> Arrival:
    return Arrival("sms", key, SAM, "text", "ja")


async def replies(world: World) -> int:
    return len(await world.messages("ZM-1"))


async def test_an_arrival_taken_in_before_a_crash_is_not_processed_again(world):
    clock = FakeClock(at(2026, 12, 1, 10))
    await world.store(ja(), now=clock.now())
    assert await (await world.processor(clock)).process_pending() == 1
    answered = await replies(world)
    assert answered > 0
    # The worker died before forgetting it: the arrival is still in the inbox.
    assert await inbox.waiting(world.rt.inbox) == 1

    restarted = await world.processor(clock)
    assert await restarted.process_pending() == 1  # read, recognised, skipped
    assert await replies(world) == answered
    await restarted.forget()
    assert await inbox.waiting(world.rt.inbox) == 0
    rows = await world.rt.db.fetchall("SELECT provider_key FROM inbound")
    assert [tuple(row) for row in rows] == [(ja().provider_key,)]


async def test_after_a_restart_arrivals_taken_in_before_get_no_second_turn(world, monkeypatch):
    """Up to a thousand arrivals wait in the inbox to be forgotten: after a restart they
    are recognised in one look-up, their turns not run again (and so cannot fail again)."""
    clock = FakeClock(at(2026, 12, 1, 10))
    await world.store(ja(), ja("SM" + "c" * 32), now=clock.now())
    assert await (await world.processor(clock)).process_pending() == 2
    answered = await replies(world)

    restarted = await world.processor(clock)
    turns = []
    monkeypatch.setattr(restarted, "_handle", lambda *a: turns.append(a) or 1 / 0)
    assert await restarted.process_pending() == 2
    assert turns == []
    assert await replies(world) == answered
    rows = await world.rt.db.fetchall("SELECT error, processed_at IS NOT NULL FROM inbound")
    assert [tuple(row) for row in rows] == [(None, 1), (None, 1)]


async def test_a_redelivery_after_the_arrival_left_the_inbox_is_ignored(world):
    clock = FakeClock(at(2026, 12, 1, 10))
    await world.deliver(ja(), clock=clock)
    answered = await replies(world)
    assert await inbox.waiting(world.rt.inbox) == 0

    clock.advance(seconds=60)
    await world.deliver(ja(), clock=clock)  # Twilio tries again: same MessageSid
    assert await replies(world) == answered
    assert await inbox.waiting(world.rt.inbox) == 0


async def test_a_row_an_older_voorzorg_left_unprocessed_is_processed_after_the_upgrade(world):
    """Before the inbox, webhooks wrote to `inbound` directly; such a row is not lost."""
    clock = FakeClock(at(2026, 12, 1, 10))
    await world.store(ja(), now=clock.now())
    arrival = (await inbox.after(world.rt.inbox, 0, 1))[0]
    async with world.rt.db.transaction() as tx:
        await tx.execute(
            """INSERT INTO inbound (channel, provider_key, sender, sender_hash, body,
                   received_at) VALUES (?, ?, ?, ?, ?, ?)""",
            tuple(arrival)[1:],
        )
    async with world.rt.inbox.transaction() as tx:
        await inbox.forget(tx, arrival["id"])

    assert await (await world.processor(clock)).process_pending() == 1
    [(processed_at,)] = await world.rt.db.fetchall("SELECT processed_at FROM inbound")
    assert dt.datetime.fromisoformat(processed_at) == clock.now()
    assert await replies(world) > 0


async def test_other_loops_run_between_batches_while_a_backlog_is_processed(tmp_path):
    """The worker runs SQLite inline, so a statement never yields to the event loop: the
    processor must, between batches, or the sender and scheduler wait for the backlog."""
    async with opened(tmp_path, inline=True) as world:
        people = range(3 * BATCH)
        rows = "".join(f"ZM-{n},P,06 2233{n:04d},Venlo,2027-01-14,,nl\n" for n in people)
        await world.cohort(rows, at(2026, 12, 1, 9))
        clock = FakeClock(at(2026, 12, 1, 10))
        arrivals = [Arrival("sms", f"SM{n:032d}", f"+3162233{n:04d}", "text", "ja") for n in people]
        await world.store(*arrivals, now=clock.now())
        processor = await world.processor(clock)
        stop = asyncio.Event()
        seen: list[int] = []

        async def another_loop() -> None:
            while not stop.is_set():
                seen.append(processor.taken)
                await asyncio.sleep(0)

        drained = asyncio.Event()
        processor.after = lambda: processor.taken == len(arrivals) and drained.set()
        other = asyncio.create_task(another_loop())
        running = asyncio.create_task(processor.run(stop))
        await drained.wait()
        stop.set()
        await asyncio.gather(running, other)
    assert any(0 < taken < len(arrivals) for taken in seen)


async def test_an_arrival_is_written_processed_once_and_a_second_write_is_refused(world):
    """The turn's transaction records a fresh arrival processed in one write; the same
    provider key again (a restart, a redelivery) is refused, so the caller undoes its turn."""
    clock = FakeClock(at(2026, 12, 1, 10))
    await world.store(ja(), now=clock.now())
    [arrival] = await inbox.after(world.rt.inbox, 0, 1)
    case = await get_case(world.rt.db, world.rt.vault, reference="ZM-1")
    async with world.rt.db.transaction() as tx:
        assert await inbound.take_processed(tx, arrival, case.id, clock.now()) is True
        assert await inbound.take_processed(tx, arrival, None, clock.now()) is False
    rows = await world.rt.db.fetchall("SELECT provider_key, case_id, processed_at FROM inbound")
    assert [tuple(row) for row in rows] == [(ja().provider_key, case.id, clock.now().isoformat())]


async def test_a_batch_reads_its_organisation_once_for_all_its_turns(tmp_path):
    """Nothing else writes while a batch holds the write lock: one read of the municipality
    serves every turn of the batch."""
    async with opened(tmp_path) as world:
        people = range(3)
        rows = "".join(f"ZM-{n},P,06 2233{n:04d},Venlo,2027-01-14,,nl\n" for n in people)
        await world.cohort(rows, at(2026, 12, 1, 9))
        clock = FakeClock(at(2026, 12, 1, 10))
        arrivals = [Arrival("sms", f"SM{n:032d}", f"+3162233{n:04d}", "text", "ja") for n in people]
        await world.store(*arrivals, now=clock.now())
        statements: list[str] = []
        await world.rt.db._writer.set_trace_callback(statements.append)
        assert await (await world.processor(clock)).process_pending() == 3
        await world.rt.db._writer.set_trace_callback(None)
        reads = [s for s in statements if s.startswith("SELECT * FROM organisations")]
        assert len(reads) == 1
        assert [len(await world.messages(f"ZM-{n}")) for n in people] == [2, 2, 2]
