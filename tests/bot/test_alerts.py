"""Alerts reach contact persons by e-mail (a real SMTP server), Telegram and SMS."""

import datetime as dt
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from bot.channels.email import EmailChannel
from bot.channels.fakes import free_port
from bot.channels.recording import RecordingChannel
from bot.clock import FakeClock
from bot.outreach import alerts
from bot.outreach.inbound import Arrival
from bot.outreach.sender import Sender
from storage.cases import get_case
from tests.world import at, opened


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
async def world(tmp_path, smtp):
    controller, _ = smtp
    async with opened(
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(controller.port),
        SMTP_FROM="voorzorg@example.org",
        VOORZORG_PUBLIC_URL="https://voorzorg.example.org",
    ) as w:
        await w.cohort(
            "ZM-1,Sam,+31622334455,Venlo,2027-01-29,,nl\nZM-2,Alex,,Roermond,2027-01-29,,en\n",
            at(2026, 12, 14, 10),
        )
        yield w


async def test_an_escalation_is_mailed_without_personal_details(world, smtp):
    _, inbox = smtp
    rt = world.rt
    case = await get_case(rt.db, rt.vault, reference="ZM-1")
    now = at(2026, 12, 21, 10).astimezone(dt.UTC)
    async with rt.db.transaction() as tx:
        await alerts.escalate(tx, rt, case, "kind_check", now)
    sms = RecordingChannel("sms")
    channels = {"email": EmailChannel(rt.settings), "sms": sms}
    assert await Sender(rt, channels, FakeClock(now)).send_due() == 2  # e-mail and SMS
    [text] = sms.texts("+31612345678")  # the contact person's phone
    assert text.startswith("Voorzorg: actie nodig voor ZM-1 (Venlo).")
    assert "Sam" not in text and "22334455" not in text
    [(to, mail)] = inbox.messages
    assert to == ["a.jansen@example.org"]
    assert mail["Subject"] == "Voorzorg: actie nodig voor ZM-1 (Venlo)."
    body = mail.get_payload()
    assert "Reden: zorgt voor kinderen of anderen en wil hulp. Nog 39 dagen" in body
    assert "https://voorzorg.example.org/admin/cases/ZM-1" in body
    assert "Sam" not in body and "22334455" not in body


async def test_a_telegram_button_press_acknowledges(world):
    rt = world.rt
    case = await get_case(rt.db, rt.vault, reference="ZM-2")  # served by the safety house
    now = at(2026, 12, 21, 10).astimezone(dt.UTC)
    async with rt.db.transaction() as tx:
        await alerts.escalate(tx, rt, case, "asked_for_human", now)
    [row] = await rt.db.fetchall(
        "SELECT channel, choices FROM outbox WHERE audience = 'staff' AND channel = 'telegram'"
    )
    assert rt.vault.open(row["choices"], "outbox.choices") == '["Ik pak dit op"]'

    pressed = []

    async def on_button(button_id):
        pressed.append(button_id)

    press = Arrival("telegram", "u1", "100001", "button", "1", button_id="cb")
    await world.deliver(press, clock=FakeClock(now), on_button=on_button)
    [(acknowledged_at, by)] = await rt.db.fetchall(
        "SELECT acknowledged_at, acknowledged_by FROM escalations"
    )
    assert acknowledged_at is not None and by == "telegram:c.smeets@example.org"
    assert pressed == ["cb"]
    replies = await world.messages("ZM-2", audience="staff")
    assert replies[0][1].startswith("Voorzorg: actie nodig voor ZM-2 (Roermond).")
