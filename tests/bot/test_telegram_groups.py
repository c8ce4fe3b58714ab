"""Telegram: only private chats are served; an invite code belongs to one chat and ends
with the report date; callbacks, captions, contacts, locations and voice notes each get
an answer that helps. python-telegram-bot talks to the fake Bot API."""

import datetime as dt
import itertools
import logging
import time

import pytest

from bot.clock import FakeClock
from bot.logs import BOT_TOKEN as TOKEN_PATTERN
from tests.bot.inprocess import (
    AUTH_TOKEN,
    BOT_TOKEN,
    SECRET_KEY,
    TELEGRAM_SECRET,
    InProcess,
    prepare,
    settings_for,
)

_updates = itertools.count(1000)
COHORT = (
    "ZM-1,Sam,06 22334455,Venlo,2027-01-14,PI Roermond,nl\n"
    "ZM-2,Alex,,Roermond,2027-01-21,PI Roermond,en\n"
)


def update(chat: int, chat_type: str = "private", **message) -> dict:
    return {
        "update_id": next(_updates),
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": chat, "type": chat_type, "title": "x"},
            "from": {"id": 42, "is_bot": False, "first_name": "X"},
            **message,
        },
    }


@pytest.fixture
def app(tmp_path, twilio, telegram):
    settings = settings_for(tmp_path, twilio, telegram)
    prepare(settings, COHORT)
    with InProcess(settings) as running:
        yield running


def sent_to(telegram, chat: int, count: int = 1, timeout: float = 10.0) -> list[dict]:
    """Wait for `count` messages to a chat (the fake records ids as sent: text or number)."""
    deadline = time.monotonic() + timeout
    while len(telegram.sent(chat)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return telegram.sent(chat)


def code(app, reference: str) -> str:
    return app.query("SELECT invite_code FROM cases WHERE reference = ?", reference)[0][0]


def processed(app) -> None:
    assert app.wait_processed()


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
def test_a_start_code_in_a_group_binds_nothing_and_sends_nothing(app, telegram, chat_type):
    response = app.telegram(update(-100123, chat_type, text=f"/start {code(app, 'ZM-2')}"))
    assert response.status_code == 200
    assert app.stored() == []
    assert app.query("SELECT count(*) FROM channel_identities") == [(0,)]
    assert telegram.sent() == []


def test_a_second_chat_claiming_the_code_is_refused_and_reported(app, telegram):
    invite = code(app, "ZM-2")
    app.telegram(update(700001, text=f"/start {invite}"))
    assert telegram.wait_for(2, method="sendMessage")
    app.telegram(update(700002, text=f"/start {invite}"))
    (refusal,) = sent_to(telegram, 700002)
    assert "already in use" in refusal["text"] and "al in gebruik" in refusal["text"]
    processed(app)
    bound = app.query("SELECT count(*) FROM channel_identities WHERE channel = 'telegram'")
    assert bound == [(1,)]
    reasons = app.query("SELECT reason FROM escalations")
    assert reasons == [("code_claimed_twice",)]
    alert = sent_to(telegram, 100001)  # C. Smeets
    assert "uitnodigingscode" in alert[0]["text"]


def test_the_code_opens_nothing_after_the_report_date(tmp_path, twilio, telegram):
    settings = settings_for(tmp_path, twilio, telegram)
    prepare(settings, COHORT)
    after = FakeClock(dt.datetime(2027, 1, 22, 10, 0, tzinfo=dt.UTC))
    with InProcess(settings, after) as app:
        app.telegram(update(700003, text=f"/start {code(app, 'ZM-2')}"))
        (reply,) = telegram.wait_for(1, method="sendMessage")
        assert "deze code kennen wij niet" in reply["text"]
        assert app.query("SELECT count(*) FROM channel_identities") == [(0,)]


def bound_chat(app, telegram, chat: int) -> None:
    app.telegram(update(chat, text=f"/start {code(app, 'ZM-2')}"))
    sent_to(telegram, chat, 2)
    telegram.requests.clear()


def test_a_caption_is_read_as_text(app, telegram):
    bound_chat(app, telegram, 700004)
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    app.telegram(update(700004, photo=photo, caption="yes"))
    (reply,) = telegram.wait_for(1, method="sendMessage")
    assert "cannot read photos" not in reply["text"]
    assert app.query("SELECT count(*) FROM consent_events") == [(0,)]  # it was an answer


@pytest.mark.parametrize(
    "shared",
    [
        {"contact": {"phone_number": "+31600000000", "first_name": "Mo"}},
        {"location": {"latitude": 51.37, "longitude": 6.17}},
        {"voice": {"file_id": "v", "file_unique_id": "u", "duration": 3}},
    ],
)
def test_contacts_locations_and_voice_notes_get_a_way_to_a_person(app, telegram, shared):
    bound_chat(app, telegram, 700005)
    app.telegram(update(700005, **shared))
    (reply,) = telegram.wait_for(1, method="sendMessage")
    assert "Send HUMAN" in reply["text"]  # Alex reads English; the zvh has no phone
    assert "photos" not in reply["text"]


def test_a_callback_without_message_is_acknowledged(app, telegram):
    bound_chat(app, telegram, 700006)
    press = {
        "update_id": next(_updates),
        "callback_query": {
            "id": "cb-9",
            "data": "1",
            "chat_instance": "c",
            "from": {"id": 700006, "is_bot": False, "first_name": "X"},
        },
    }
    assert app.telegram(press).status_code == 200
    assert telegram.wait_for(1, method="answerCallbackQuery")


def test_no_token_or_key_reaches_the_log(app, telegram, caplog):
    """A full flow with every logger at DEBUG: httpx would log Telegram's URLs, which
    carry the bot token."""
    with caplog.at_level(logging.DEBUG):
        bound_chat(app, telegram, 700007)
        app.telegram(update(700007, text="yes"))
        telegram.wait_for(1, method="sendMessage")
        app.sms("+31622334455", "hallo")
        processed(app)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert text, "the flow logged nothing at all"
    for secret in (BOT_TOKEN, BOT_TOKEN.split(":")[1], AUTH_TOKEN, SECRET_KEY, TELEGRAM_SECRET):
        assert secret not in text
    assert not TOKEN_PATTERN.search(text)
