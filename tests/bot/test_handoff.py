"""Contact persons answering alerts: the right case, the right organisation, in one batch."""

import datetime as dt

import pytest

from bot.channels.base import Arrival, SandboxChannel
from bot.clock import FakeClock
from bot.outreach import alerts
from bot.outreach.sender import Sender
from storage.cases import get_case
from tests.world import World, at, opened

TWO_ORGANISATIONS = """
organisations:
  - id: venlo
    name: Gemeente Venlo
    kind: municipality
    municipalities: [Venlo]
    contacts:
      - {name: A. Jansen, email: a.jansen@example.org, phone: "+31612345678",
         telegram_chat_id: 200001}
  - id: roermond
    name: Gemeente Roermond
    kind: municipality
    municipalities: [Roermond]
    contacts:
      - {name: D. Peters, email: d.peters@example.org, telegram_chat_id: 300001}
"""
NOW = at(2026, 12, 21, 10).astimezone(dt.UTC)


@pytest.fixture
async def world(tmp_path):
    async with opened(tmp_path, TWO_ORGANISATIONS) as w:
        await w.cohort(
            "ZM-1,Sam,+31622334455,Venlo,2027-01-29,,nl\n"
            "ZM-2,Alex,+31633445566,Roermond,2027-01-29,,nl\n",
            at(2026, 12, 14, 10),
        )
        yield w


async def alert(world: World, reference: str) -> None:
    """Escalate the case and deliver the alert (sandbox ids: `sandbox-<outbox id>`)."""
    rt = world.rt
    case = await get_case(rt.db, rt.vault, reference=reference)
    async with rt.db.transaction() as tx:
        await alerts.escalate(tx, rt, case, "asked_for_human", NOW)
    channels = {name: SandboxChannel(name) for name in ("sms", "telegram")}
    await Sender(rt, channels, FakeClock(NOW)).send_due()


async def deliver_together(world: World, *arrivals: Arrival) -> None:
    """Store the arrivals, then process them as one batch (one transaction)."""
    assert await world.deliver(*arrivals, clock=FakeClock(NOW)) == len(arrivals)


async def provider_id_of_alert(world: World, reference: str, channel: str) -> str:
    [row] = await world.rt.db.fetchall(
        """SELECT o.provider_id FROM outbox o JOIN cases c ON c.id = o.case_id
           WHERE c.reference = ? AND o.channel = ? AND o.audience = 'staff'""",
        (reference, channel),
    )
    return row["provider_id"]


async def test_a_takeover_by_the_first_message_of_a_batch_holds_for_the_second(world):
    await alert(world, "ZM-1")
    alert_id = await provider_id_of_alert(world, "ZM-1", "sms")
    await deliver_together(
        world,
        Arrival("sms", "SM1", "+31612345678", "text", "Ik bel u zo", reply_to=alert_id),
        Arrival("sms", "SM2", "+31622334455", "text", "ja dat ben ik"),
    )
    rt = world.rt
    case = await get_case(rt.db, rt.vault, reference="ZM-1")
    assert case.taken_over_by is not None
    staff = [text for _, text in await world.messages("ZM-1", audience="staff", full=True)]
    assert "Voorzorg: bericht over ZM-1\nja dat ben ik" in staff  # relayed to the contact
    person = [text for _, text in await world.messages("ZM-1", full=True)]
    assert person == ["Gemeente Venlo (A. Jansen): Ik bel u zo"]  # the bot said nothing


async def test_an_opt_out_by_the_first_message_of_a_batch_holds_for_the_second(world):
    await deliver_together(
        world,
        Arrival("sms", "SM1", "+31622334455", "text", "STOP"),
        Arrival("sms", "SM2", "+31622334455", "text", "STOP"),
    )
    rt = world.rt
    case = await get_case(rt.db, rt.vault, reference="ZM-1")
    assert case.opted_out
    escalations = await world.escalations("ZM-1")
    assert [reason for _, reason, _, _ in escalations] == ["opted_out"]


async def test_a_reply_to_another_organisations_alert_id_takes_over_nothing(world):
    """Telegram numbers messages per chat: the same id can be another contact's alert."""
    await alert(world, "ZM-1")  # Venlo's alert, in A. Jansen's chat
    venlo_alert = await provider_id_of_alert(world, "ZM-1", "telegram")
    await deliver_together(
        world,
        Arrival("telegram", "1", "300001", "text", "Ik neem het over", reply_to=venlo_alert),
    )
    rt = world.rt
    case = await get_case(rt.db, rt.vault, reference="ZM-1")
    assert case.taken_over_by is None
    assert [text for _, text in await world.messages("ZM-1")] == []  # nothing to the person


async def test_the_contact_who_got_the_telegram_alert_takes_over_by_replying_to_it(world):
    await alert(world, "ZM-1")  # Venlo's alert, in A. Jansen's chat 200001
    venlo_alert = await provider_id_of_alert(world, "ZM-1", "telegram")
    await deliver_together(
        world,
        Arrival("telegram", "1", "200001", "text", "Ik neem het over", reply_to=venlo_alert),
    )
    rt = world.rt
    case = await get_case(rt.db, rt.vault, reference="ZM-1")
    assert case.taken_over_by is not None
