"""A timer whose handler fails is tried again with backoff, then the contact person hears
of it; a script version that does not render for a real name falls back to the last one
that does."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.outreach import timeline
from bot.outreach.scheduler import schedule, tick
from storage import scripts as store
from storage.cases import get_case
from tests.world import World, at, opened

OPENING = "{{ sender }}: Hallo {{ first_name }}. Wij zijn het team Voorzorg."


@pytest.fixture
async def world(tmp_path):
    async with opened(tmp_path, SMTP_HOST="127.0.0.1", SMTP_FROM="voorzorg@example.org") as w:
        await w.cohort("ZM-1,Sam,+31622334455,Venlo,2027-01-29,,nl\n", at(2026, 12, 14, 9, 30))
        yield w


async def failing(tx, rt, event, now):
    raise ValueError("the handler broke")


async def test_a_failing_timer_is_retried_with_backoff_then_escalated(world):
    handlers = {**timeline.HANDLERS, "boom": failing}
    case = await get_case(world.rt.db, world.rt.vault, reference="ZM-1")
    start = at(2026, 12, 14, 10)  # a Monday
    async with world.rt.db.transaction() as tx:
        await schedule(tx, case.id, "boom", start)
    moments = [
        start,
        start + dt.timedelta(minutes=5),
        start + dt.timedelta(minutes=35),
        start + dt.timedelta(hours=2, minutes=35),
        at(2026, 12, 15, 12, 35),  # the next working day
    ]
    seen = []
    for moment in moments:
        counts = await tick(world.rt, handlers, moment.astimezone(dt.UTC))
        seen.append({k: n for k, n in counts.items() if k[0] in ("boom", "timer_failed")})
    assert seen == [
        {("boom", "retrying"): 1},
        {("boom", "retrying"): 1},
        {("boom", "retrying"): 1},
        {("boom", "retrying"): 1},
        {("boom", "failed"): 1, ("timer_failed", "escalated"): 1},
    ]
    assert ("boom", "failed: ValueError (5 tries)") in await world.outcomes("ZM-1")
    assert (await world.escalations("ZM-1"))[-1][1:] == ("timer_failed", 1, "a.jansen@example.org")
    alert = (await world.messages("ZM-1", audience="staff", full=True))[-1][1]
    assert "een geplande stap (bericht, herinnering) lukte ook na herhalen niet" in alert
    assert "Sam" not in alert


async def test_before_its_time_a_retry_does_not_run(world):
    handlers = {**timeline.HANDLERS, "boom": failing}
    case = await get_case(world.rt.db, world.rt.vault, reference="ZM-1")
    start = at(2026, 12, 14, 10)
    async with world.rt.db.transaction() as tx:
        await schedule(tx, case.id, "boom", start)
    await tick(world.rt, handlers, start.astimezone(dt.UTC))
    later = (start + dt.timedelta(minutes=4)).astimezone(dt.UTC)
    counts = await tick(world.rt, handlers, later)
    assert ("boom", "retrying") not in counts


async def publish(world: World, source: str) -> int:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    draft = await store.draft(world.rt.db, "intake", "admin@example.org", now)
    await store.save_draft(
        world.rt.db, "intake", source, draft["revision"], "admin@example.org", now
    )
    number = await store.publish(world.rt.db, "intake", None, "admin@example.org", now)
    await world.rt.reload("intake")
    return number


async def test_a_version_that_does_not_render_falls_back_to_the_last_that_does(world):
    original = world.rt.published["intake"]
    broken = original.source.replace(
        "Hallo {{ first_name }}. Wij", "Hallo {{ first_name[3] }}. Wij", 1
    )  # fine for Quirijn, an error for Sam
    assert broken != original.source
    number = await publish(world, broken)
    assert number > original.version
    counts = await world.tick(at(2026, 12, 14, 9, 30))
    assert counts[("outreach", "sent")] == 1
    first = (await world.messages("ZM-1"))[0][1]
    assert first.startswith("Gemeente Venlo: Hallo Sam. Wij zijn het team Voorzorg.")
    state = await world.rt.db.fetchone("SELECT script_version FROM conversations")
    assert state["script_version"] == original.version
