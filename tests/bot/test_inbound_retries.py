"""An arrival whose processing fails is tried again with backoff, then answered: the
person hears that a staff member will look at it and the contact person is alerted.
Never dropped without a word."""

import pytest

from bot.channels.base import Arrival
from bot.clock import FakeClock
from bot.outreach import processing
from bot.outreach.processing import RETRY_SECONDS, Processor
from bot.runtime import open_runtime
from tests.bot.inprocess import settings_for
from tests.world import World, at

SAM = "+31622334455"


@pytest.fixture
async def world(tmp_path):
    async with open_runtime(settings_for(tmp_path)) as rt:
        w = World(rt)
        await w.load_organisations()
        await w.cohort("ZM-1,Sam,06 22334455,Venlo,2027-01-14,,nl\n", at(2026, 12, 1, 9))
        yield w


async def arrive(w: World, clock: FakeClock, text: str) -> Processor:
    await w.store(Arrival("sms", "SM" + "a" * 32, SAM, "text", text), now=clock.now())
    return await w.processor(clock)


async def test_a_failing_arrival_is_retried_then_answered_and_escalated(world, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("a bug in this turn")

    monkeypatch.setattr(processing.turns, "receive", broken)
    clock = FakeClock(at(2026, 12, 1, 10))
    processor = await arrive(world, clock, "ja")
    for delay in RETRY_SECONDS:
        await processor.process_pending()
        row = await world.rt.db.fetchone("SELECT processed_at, attempts, error FROM inbound")
        assert row["processed_at"] is None and row["error"] == "RuntimeError"
        await processor.process_pending()  # not due yet: nothing happens
        assert (await world.rt.db.fetchone("SELECT attempts FROM inbound"))[0] == row["attempts"]
        clock.advance(seconds=delay)
    await processor.process_pending()
    row = await world.rt.db.fetchone("SELECT processed_at, attempts FROM inbound")
    assert row["processed_at"] is not None and row["attempts"] == len(RETRY_SECONDS) + 1
    messages = await world.messages("ZM-1", full=True)
    assert messages[-1][1] == (
        "Sorry, wij konden uw bericht niet lezen. Een medewerker kijkt ernaar."
    )
    assert [e[1] for e in await world.escalations("ZM-1")] == ["unreadable"]
