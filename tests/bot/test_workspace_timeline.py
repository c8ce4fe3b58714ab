"""Urgency on the timeline: who wrote first is not chased, a near report date says why,
and demo cases get a timeline like imported ones."""

import pytest

from bot import demo
from bot.config import load_settings
from bot.outreach.alerts import alert_text
from bot.runtime import open_runtime
from storage.cases import get_case
from tests.world import at, opened

SAM = "+31622334455"


@pytest.fixture
async def world(tmp_path):
    async with opened(tmp_path, SMTP_HOST="127.0.0.1", SMTP_FROM="voorzorg@example.org") as w:
        yield w


def row(ref, report="2027-01-29"):
    return f"{ref},Sam,{SAM},Venlo,{report},PI Roermond,nl\n"


async def test_someone_who_writes_before_the_first_message_is_not_chased(world):
    await world.cohort(row("ZM-1"), at(2026, 12, 12, 21, 30))  # Saturday night: waits
    await world.say(SAM, "ZM hallo, ik kreeg een brief", at(2026, 12, 13, 11))
    for text in ("ja", "ja", "ja", "ja", "ja", "ja", "ja", "ja", "ja", "ja", "ja", "ja"):
        await world.say(SAM, text, at(2026, 12, 13, 11, 5))
    await world.days(at(2026, 12, 14, 9), at(2026, 12, 29, 12))
    outcomes = await world.outcomes("ZM-1")
    assert ("outreach", "cancelled: they wrote first") in outcomes
    assert not [o for o in outcomes if o[0] == "reminder" and o[1].startswith("sent")]
    reasons = [e[1] for e in await world.escalations("ZM-1")]
    assert "no_response" not in reasons


async def test_an_early_escalation_says_how_many_working_days_are_left(world):
    await world.cohort(row("ZM-1", report="2026-12-24"), at(2026, 12, 14, 10))
    await world.tick(at(2026, 12, 14, 10))
    assert (await world.escalations("ZM-1"))[0][1] == "report_soon"
    alerts = await world.messages("ZM-1", audience="staff", full=True)
    assert "Reden: meldt zich over 8 werkdagen." in alerts[0][1]
    case = await get_case(world.rt.db, world.rt.vault, reference="ZM-1")
    assert "meldt zich over 8 werkdagen" in alert_text(
        world.rt, case, "report_soon", 1, at(2026, 12, 14, 10)
    )


async def test_demo_cases_get_a_timeline(tmp_path):
    settings = load_settings(db=str(tmp_path / "d.db"), environ={"VOORZORG_SECRET_KEY": "d" * 40})
    async with open_runtime(settings) as rt:
        assert await demo.seed(rt, at(2026, 12, 14, 10)) == 3
        kinds = await rt.db.fetchall(
            "SELECT kind, count(*) FROM scheduled_events GROUP BY kind ORDER BY kind"
        )
        assert [tuple(k) for k in kinds] == [("outreach", 3), ("purge", 3)]
