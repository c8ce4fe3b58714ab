"""Delivery against how the providers behave: cron delivery, WhatsApp's 24 hours (templates
or SMS), permanent failures escalated the same day, numbers that cannot get texts.

The real Twilio SDK talks to the fake Twilio; a real SQLite file; the clock is fake.
"""

import json

import pytest

from bot.channels.twilio import TwilioChannel
from bot.clock import FakeClock
from bot.outreach import turns
from bot.outreach.inbound import Arrival
from bot.outreach.sender import Sender, apply_status
from bot.runtime import open_runtime
from storage.cases import get_case
from tests.bot.inprocess import settings_for
from tests.cli import EXAMPLES, voorzorg
from tests.world import World, at

SAM = "+31622334455"
TEMPLATE_SID = "HX" + "a" * 32
WITH_TEMPLATES = (
    (EXAMPLES / "organisations.yaml")
    .read_text()
    .replace(
        "    address: Stadskantoor, Venlo\n",
        "    address: Stadskantoor, Venlo\n"
        f"    whatsapp_templates: {{nudge: {{nl: {TEMPLATE_SID}}}}}\n",
    )
)


@pytest.fixture
async def world(tmp_path, twilio):
    clock = FakeClock(at(2026, 12, 1, 10))
    twilio.now = clock.now
    settings = settings_for(tmp_path, twilio, VOORZORG_WHATSAPP_IS_SMS="true")
    async with open_runtime(settings) as rt:
        w = World(rt)
        await w.load_organisations(WITH_TEMPLATES)
        await w.cohort("ZM-1,Sam,06 22334455,Venlo,2027-01-14,,nl\n", clock.now())
        channels = {
            name: TwilioChannel(settings, name, messages_per_second=1000)
            for name in ("sms", "whatsapp")
        }
        w.clock = clock
        w.sender = Sender(rt, channels, clock)
        yield w
        for channel in channels.values():
            await channel.close()


async def whatsapp_from_sam(w: World, text: str) -> None:
    """Sam writes on WhatsApp (stored like a webhook, processed like the service does)."""
    w._sids += 1
    arrival = Arrival("whatsapp", f"SMwa{w._sids}", f"whatsapp:{SAM}", "text", text)
    await w.deliver(arrival, clock=w.clock)


async def nudge(w: World) -> None:
    case = await get_case(w.rt.db, w.rt.vault, reference="ZM-1")
    async with w.rt.db.transaction() as tx:
        assert await turns.remind(tx, w.rt, case, "nudge", w.clock.now())


async def statuses(w: World) -> list[tuple]:
    rows = await w.rt.db.fetchall(
        "SELECT channel, status, purpose, content_sid FROM outbox WHERE audience = 'person' "
        "ORDER BY id"
    )
    return [tuple(r) for r in rows]


async def test_within_24_hours_whatsapp_gets_free_text(world, twilio):
    await whatsapp_from_sam(world, "hallo")
    await world.sender.send_due()
    assert [m["To"] for m in twilio.messages] == [f"whatsapp:{SAM}"] * 2
    assert all("ContentSid" not in m for m in twilio.messages)


async def test_after_24_hours_the_template_goes_and_the_rest_waits_for_the_answer(world, twilio):
    await whatsapp_from_sam(world, "hallo")
    await world.sender.send_due()
    twilio.requests.clear()
    world.clock.advance(hours=49)
    await nudge(world)
    await world.sender.send_due()
    (template,) = twilio.messages
    assert template["ContentSid"] == TEMPLATE_SID
    assert json.loads(template["ContentVariables"]) == {"1": "Gemeente Venlo", "2": "Sam"}
    assert template["To"] == f"whatsapp:{SAM}"
    assert (await statuses(world))[-2:] == [
        ("whatsapp", "queued", "nudge", TEMPLATE_SID),
        ("whatsapp", "held", None, None),
    ]
    await whatsapp_from_sam(world, "ok")  # the answer opens the window
    await world.sender.send_due()
    assert len(twilio.messages) == 2
    assert "ContentSid" not in twilio.messages[1]  # the held question, as free text
    assert (await statuses(world))[-1][:2] == ("whatsapp", "queued")
    assert len(await statuses(world)) == 4  # "ok" opened the window; it answered nothing


async def test_after_24_hours_without_a_template_the_message_goes_by_sms(world, twilio):
    await whatsapp_from_sam(world, "hallo")
    await world.sender.send_due()
    twilio.requests.clear()
    world.clock.advance(hours=25)
    case = await get_case(world.rt.db, world.rt.vault, reference="ZM-1")
    async with world.rt.db.transaction() as tx:  # reminder_1 has no template at Venlo
        await turns.remind(tx, world.rt, case, "reminder_1", world.clock.now())
    while await world.sender.send_due():
        pass
    assert [m["To"] for m in twilio.messages] == [SAM, SAM]
    assert [s[:2] for s in (await statuses(world))[-2:]] == [("sms", "queued")] * 2


async def test_a_permanent_whatsapp_error_falls_back_to_sms_and_escalates(world, twilio):
    await whatsapp_from_sam(world, "hallo")
    await world.sender.send_due()
    twilio.requests.clear()
    twilio.fail_next(400, code=63016)
    await nudge(world)
    while await world.sender.send_due():
        pass
    # Sam's two by SMS, and the contact person's alert (different people: either first)
    assert sorted(m["To"] for m in twilio.messages) == sorted([SAM, SAM, "+31612345678"])
    rows = await statuses(world)
    assert rows[2][:3] == ("whatsapp", "failed", "nudge")
    assert [r[:2] for r in rows[-2:]] == [("sms", "queued"), ("sms", "queued")]
    assert [e[1] for e in await world.escalations("ZM-1")] == ["unreachable"]


async def test_an_undelivered_first_message_escalates_the_same_working_day(world, twilio):
    await world.tick(at(2026, 12, 1, 10))  # the first message
    await world.sender.send_due()
    first = twilio.messages[0]
    moment = at(2026, 12, 1, 10, 5)
    await apply_status(world.rt, "sms", first["sid"], "undelivered", "30006", moment)
    [(when, reason, _line, contact)] = await world.escalations("ZM-1")
    assert (when, reason, contact) == ("Tue 01 Dec 10:05", "unreachable", "a.jansen@example.org")
    error = await world.rt.db.fetchone(
        "SELECT error FROM outbox WHERE provider_id = ?", (first["sid"],)
    )
    assert error[0] == "provider error 30006"
    await apply_status(world.rt, "sms", twilio.messages[1]["sid"], "failed", "30006", moment)
    assert len(await world.escalations("ZM-1")) == 1  # one alert while it is open


LANDLINES = (
    "ZM-10,Lou,010 123 4567,Venlo,2027-01-14,,nl\n"
    "ZM-11,Kim,0800 0123,Venlo,2027-01-14,,nl\n"
    "ZM-12,Jo,085 123 4567,Venlo,2027-01-14,,nl\n"
    "ZM-13,Ali,0900 1234567,Venlo,2027-01-14,,nl\n"
)


def test_numbers_that_cannot_get_texts_are_imported_with_a_warning_and_escalated(tmp_path):
    db = tmp_path / "v.db"
    cohort = tmp_path / "c.csv"
    cohort.write_text("reference,first_name,phone,municipality,report_date,prison,language\n")
    cohort.write_text(cohort.read_text() + LANDLINES)
    assert voorzorg(db, "org", "load", str(EXAMPLES / "organisations.yaml")).returncode == 0
    done = voorzorg(db, "import", str(cohort), "--now", "2026-12-01T10:00:00+01:00")
    assert done.returncode == 0, done.stderr
    warnings = done.stderr.splitlines()
    assert warnings[0].startswith("warning: line 2: phone of ZM-10 is a landline number")
    assert [w.split(" is a ")[1].split(" number")[0] for w in warnings] == [
        "landline",
        "toll-free",
        "VoIP",
        "premium-rate",
    ]
    export = json.loads(voorzorg(db, "case", "export", "ZM-10").stdout)
    assert [e["reason"] for e in export["escalations"]] == ["no_mobile"]
    ticked = voorzorg(db, "tick", "--now", "2026-12-01T10:00:00+01:00", "--no-send")
    assert ticked.stdout == "outreach: 4 waiting\n"  # nothing goes to a landline


def test_tick_delivers_through_twilio_and_a_second_tick_sends_nothing(tmp_path, twilio):
    db = tmp_path / "v.db"
    env = {
        "VOORZORG_SECRET_KEY": "k" * 40,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_FROM": "+3197010000000",
        "TWILIO_API_URL": twilio.url,
    }
    assert (
        voorzorg(db, "org", "load", str(EXAMPLES / "organisations.yaml"), env=env).returncode == 0
    )
    assert (
        voorzorg(
            db,
            "import",
            str(EXAMPLES / "cohort.csv"),
            "--now",
            "2026-12-01T09:00:00+01:00",
            env=env,
        ).returncode
        == 0
    )
    queued = voorzorg(db, "tick", "--now", "2026-12-01T10:00:00+01:00", "--no-send", env=env)
    assert "delivered" not in queued.stdout and twilio.messages == []
    done = voorzorg(db, "tick", "--now", "2026-12-01T10:00:00+01:00", env=env)
    assert done.returncode == 0, done.stderr
    sent = len(twilio.messages)
    assert sent >= 2 and f"delivered: {sent} queued" in done.stdout
    again = voorzorg(db, "tick", "--now", "2026-12-01T10:00:00+01:00", env=env)
    assert again.stdout == "nothing due\n" and len(twilio.messages) == sent
