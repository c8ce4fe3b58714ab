"""Telegram end to end: python-telegram-bot talking to a fake Bot API, updates posted in."""

import itertools

import pytest

CHAT = 555001
_updates = itertools.count(1)


def message(text=None, chat=CHAT, **extra):
    body = {
        "message_id": 1,
        "date": 0,
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "X"},
        **extra,
    }
    if text is not None:
        body["text"] = text
    return {"update_id": next(_updates), "message": body}


def press(data, chat=CHAT, query_id="cb-1"):
    return {
        "update_id": next(_updates),
        "callback_query": {
            "id": query_id,
            "data": data,
            "chat_instance": "c",
            "from": {"id": chat, "is_bot": False, "first_name": "X"},
            "message": {"message_id": 9, "date": 0, "chat": {"id": chat, "type": "private"}},
        },
    }


def code_of(service, reference):
    return service.cli("case", "export", reference).stdout.split('"invite_code": "')[1][:6]


@pytest.fixture
def bound(service, telegram):
    """Sam's Telegram chat, bound with the deep link from the letter."""
    assert service.telegram(message(f"/start {code_of(service, 'ZM-1')}")).status_code == 200
    telegram.wait_for(2, method="sendMessage")
    return service


def test_the_webhook_is_registered_with_its_secret_on_start(service, telegram):
    (hook,) = telegram.wait_for(1, method="setWebhook")
    assert hook["url"] == service.url + "/webhooks/telegram"
    assert hook["secret_token"] == "telegram-webhook-secret"


def test_a_wrong_secret_is_refused(service):
    assert service.telegram(message("hallo"), secret="wrong").status_code == 403
    assert service.telegram(message("hallo"), secret="").status_code == 403
    assert service.stored() == []


def test_start_with_the_code_binds_the_chat_and_shows_buttons(bound, telegram):
    opening, question = telegram.sent(CHAT)
    assert opening["text"].startswith("Gemeente Venlo: Hallo Sam.")
    buttons = question["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in buttons] == ["1", "2", "3", "4"]
    assert buttons[0][0]["text"] == "1. Ja, dat ben ik"


def test_a_button_press_answers_like_typing_and_is_acknowledged(bound, telegram):
    bound.telegram(press("1", query_id="cb-77"))
    replies = telegram.wait_for(5, method="sendMessage")
    assert replies[2]["text"].startswith("Dank u, Sam.")
    (answer,) = telegram.wait_for(1, method="answerCallbackQuery")
    assert answer["callback_query_id"] == "cb-77"


def test_typed_text_works_as_well_as_buttons(bound, telegram):
    bound.telegram(message("JA!"))
    assert telegram.wait_for(3, method="sendMessage")[2]["text"].startswith("Dank u, Sam.")


def test_a_sticker_or_photo_gets_a_polite_ask_for_text(bound, telegram):
    bound.telegram(
        message(
            sticker={
                "file_id": "x",
                "file_unique_id": "y",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        )
    )
    assert telegram.wait_for(3, method="sendMessage")[2]["text"].startswith(
        "Stuur uw antwoord als tekst."
    )


def test_an_edited_message_is_not_taken_as_a_new_answer(bound, telegram):
    edited = message("nee")
    edited["edited_message"] = edited.pop("message")
    bound.telegram(edited)
    assert telegram.wait_for(3, method="sendMessage")[2]["text"] == (
        "U heeft een bericht veranderd. Stuur uw antwoord als nieuw bericht."
    )


def test_a_wrong_code_is_neutral_and_repeated_tries_lock_out(service, telegram):
    for _ in range(6):
        service.telegram(message("/start ZZZZZZ", chat=777))
    assert service.wait_processed()
    texts = [m["text"] for m in telegram.wait_for(5, method="sendMessage")]
    assert texts[0].startswith("Voorzorg: deze code kennen wij niet.")
    assert texts[4].startswith("Voorzorg: te veel pogingen.")
    assert len(telegram.sent(777)) == 5


def test_the_same_update_twice_is_processed_once(service, telegram):
    update = message(f"/start {code_of(service, 'ZM-2')}")
    service.telegram(update)
    service.telegram(update)
    telegram.wait_for(2, method="sendMessage")
    assert service.wait_until("SELECT count(*) FROM outbox", [(2,)]) == [(2,)]


def test_malformed_updates_get_400(service):
    headers = {"X-Telegram-Bot-Api-Secret-Token": "telegram-webhook-secret"}
    url = "/webhooks/telegram"
    assert service.http.post(url, content=b"{not json", headers=headers).status_code == 400
    assert service.http.post(url, json={"message": {}}, headers=headers).status_code == 400


def test_a_blocked_bot_falls_back_to_sms(service, telegram, twilio):
    telegram.fail_next(403, "Forbidden: bot was blocked by the user")
    telegram.fail_next(403, "Forbidden: bot was blocked by the user")
    service.telegram(message(f"/start {code_of(service, 'ZM-1')}"))
    texts = [m["Body"] for m in twilio.wait_for(2)]
    assert texts[0].startswith("Gemeente Venlo: Hallo Sam.")
    assert all(m["To"] == "+31622334455" for m in twilio.messages)
    assert service.query("SELECT dead FROM channel_identities WHERE channel = 'telegram'") == [(1,)]
