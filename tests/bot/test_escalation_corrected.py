"""A corrected answer behind an open escalation: the contact person hears it may not hold."""

import datetime as dt

import pytest

from bot.outreach import alerts, effects, turns
from conversations.state import EscalationCorrected, Outcome, State
from storage import escalations
from storage.cases import get_case
from tests.world import World, at, opened

NOW = at(2026, 12, 21, 10).astimezone(dt.UTC)


@pytest.fixture
async def world(tmp_path):
    async with opened(tmp_path) as w:
        await w.cohort("ZM-1,Sam,+31622334455,Venlo,2027-01-29,,nl\n", at(2026, 12, 14, 10))
        yield w


async def correct(world: World, reason: str) -> None:
    rt = world.rt
    case = await get_case(rt.db, rt.vault, reference="ZM-1")
    async with rt.db.transaction() as tx:
        _, script = await turns.conversation(tx, rt, case)
        turn = effects.Turn(tx, rt, case, script, "sms", "+31622334455", NOW)
        outcome = Outcome(
            State(step=None, language="nl"), (), (EscalationCorrected(reason, "children", "ok"),)
        )
        await effects.apply(turn, outcome)


async def test_the_contact_person_hears_that_the_kind_check_changed(world):
    rt = world.rt
    case = await get_case(rt.db, rt.vault, reference="ZM-1")
    async with rt.db.transaction() as tx:
        escalation_id = await alerts.escalate(tx, rt, case, "kind_check", NOW)
    await correct(world, "kind_check")
    staff = [text for _, text in await world.messages("ZM-1", audience="staff", full=True)]
    assert staff[-1].startswith("Voorzorg: update voor ZM-1 (Venlo).")
    assert "'zorgt voor kinderen of anderen en wil hulp' geldt misschien niet meer" in staff[-1]
    row = await escalations.get(rt.db, escalation_id)
    assert row["acknowledged_at"] is None  # a person decides; nothing is withdrawn
    note = rt.vault.open(row["note"], "escalations.note")
    assert note.endswith("antwoord aangepast (children)")


async def test_a_correction_without_an_open_escalation_tells_no_one(world):
    await correct(world, "kind_check")
    assert await world.messages("ZM-1", audience="staff") == []
