"""SMS and WhatsApp end to end: signed webhooks in, the real Twilio SDK out to a fake."""

from tests.service import App

SAM = "+31622334455"
ACCOUNT = "AC" + "0" * 32  # Twilio sends its AccountSid with every webhook


def test_a_known_number_gets_the_opening_and_the_conversation_goes_on(service, twilio):
    assert service.sms(SAM, "hallo", "SM1").status_code == 200
    opening = twilio.wait_for(2)
    assert [m["To"] for m in opening] == [SAM, SAM]
    assert opening[0]["Body"].startswith("Gemeente Venlo: Hallo Sam.")
    assert opening[1]["Body"].startswith("Eerst een vraag. Bent u Sam?")
    assert opening[0]["StatusCallback"] == service.url + "/webhooks/twilio/status"
    assert opening[0]["From"] == "+3197010000000"
    service.sms(SAM, "ja", "SM2")
    replies = twilio.wait_for(5)
    assert replies[2]["Body"].startswith("Dank u, Sam.")


def test_the_webhook_answers_only_after_storing(service):
    sid = "SM" + "1" * 32
    response = service.sms(SAM, "hallo", sid)
    assert response.headers["content-type"].startswith("text/xml")
    assert service.stored() == [sid]


def test_forged_and_missing_signatures_are_refused(service, twilio):
    params = {"MessageSid": "SM9", "From": SAM, "Body": "STOP"}
    assert service.post_twilio("/webhooks/twilio", params, signature="forged").status_code == 403
    unsigned = service.http.post("/webhooks/twilio", data=params)
    assert unsigned.status_code == 403
    signed_for_other_url = service.post_twilio("/webhooks/twilio/status", params)
    assert signed_for_other_url.status_code == 400  # status webhook needs MessageStatus
    assert service.stored() == []


def test_the_same_message_sid_three_times_is_processed_once(service, twilio):
    for _ in range(3):
        assert service.sms(SAM, "hallo", "SM-dup").status_code == 200
    twilio.wait_for(2)
    assert service.wait_until("SELECT count(*) FROM outbox", [(2,)]) == [(2,)]
    assert len(service.stored()) == 1


def test_an_unknown_number_is_asked_for_the_invite_code_and_nothing_else(service, twilio):
    service.sms("+31611112222", "hoi wie is dit", "SM1")
    (reply,) = twilio.wait_for(1)
    assert reply["To"] == "+31611112222"
    assert reply["Body"] == (
        "Voorzorg: wij kennen dit nummer nog niet. Stuur de code uit uw brief.\n\n"
        "Voorzorg: we do not know this number yet. Please send the code from your letter."
    )
    code = service.cli("case", "export", "ZM-2").stdout.split('"invite_code": "')[1][:6]
    service.sms("+31611112222", code.lower(), "SM2")
    replies = twilio.wait_for(3)
    assert replies[1]["Body"].startswith("Steunpunt Limburg: Hello Alex.")


def test_wrong_codes_lock_out_after_five_tries(service, twilio):
    for n in range(7):
        service.sms("+31611113333", "ABCDEF", f"SM{n}")
    twilio.wait_for(5)
    assert service.wait_processed()
    bodies = [m["Body"] for m in twilio.messages]
    assert len(bodies) == 5
    assert bodies[0].startswith("Voorzorg: deze code kennen wij niet.")
    assert bodies[-1].startswith("Voorzorg: te veel pogingen. Bel het nummer op uw brief.")


def test_whatsapp_is_a_separate_identity_unless_configured(service, twilio):
    service.sms(f"whatsapp:{SAM}", "hallo", "SM1")
    (reply,) = twilio.wait_for(1)
    assert reply["To"] == f"whatsapp:{SAM}"
    assert reply["From"] == "whatsapp:+3197010000000"
    assert reply["Body"].startswith("Voorzorg: wij kennen dit nummer nog niet.")


def test_delivery_statuses_only_move_forward(service, twilio):
    service.sms(SAM, "hallo", "SM1")
    first, _ = twilio.wait_for(2)
    recorded = "SELECT count(*) FROM outbox WHERE provider_id = ?"
    assert service.wait_until(recorded, [(1,)], first["sid"]) == [(1,)]  # we know our sid
    status = "/webhooks/twilio/status"
    assert (
        service.post_twilio(
            status,
            {"AccountSid": ACCOUNT, "MessageSid": first["sid"], "MessageStatus": "delivered"},
        ).status_code
        == 204
    )
    assert (
        service.post_twilio(
            status, {"AccountSid": ACCOUNT, "MessageSid": first["sid"], "MessageStatus": "sent"}
        ).status_code
        == 204
    )
    assert service.query("SELECT status FROM outbox WHERE provider_id = ?", first["sid"]) == [
        ("delivered",)
    ]
    never = {"AccountSid": ACCOUNT, "MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}
    unknown = service.post_twilio(status, never)
    assert unknown.status_code == 204


def test_carrier_opt_out_marks_the_case(service, twilio):
    twilio.fail_next(400, code=21610)
    service.sms(SAM, "hallo", "SM1")
    opted_out = "SELECT opted_out FROM cases WHERE reference = 'ZM-1'"
    assert service.wait_until(opted_out, [(1,)]) == [(1,)]
    failed = "SELECT count(*) FROM outbox WHERE status = 'failed'"
    assert service.wait_until(failed, [(2,)]) == [(2,)]
    assert twilio.messages == []  # the second message was not even tried
    assert service.query("SELECT status, error FROM outbox ORDER BY id LIMIT 1") == [
        ("failed", "twilio 21610: recipient opted out")
    ]


def test_stop_by_sms_opts_out_and_start_comes_back(service, twilio):
    service.sms(SAM, "hallo", "SM1")
    twilio.wait_for(2)
    service.sms(SAM, "STOPPEN", "SM2", OptOutType="STOP")
    confirm = twilio.wait_for(3, To=SAM)[2]
    assert "U krijgt geen berichten meer van ons" in confirm["Body"]
    assert service.query("SELECT opted_out FROM cases WHERE reference = 'ZM-1'") == [(1,)]
    alert = twilio.wait_for(1, To="+31612345678")[0]  # the contact person hears of it
    assert alert["Body"].startswith("Voorzorg: actie nodig voor ZM-1 (Venlo).")
    assert "Reden: wil geen berichten meer." in alert["Body"] and "Sam" not in alert["Body"]
    service.sms(SAM, "START", "SM3", OptOutType="START")
    assert "Welkom terug" in twilio.wait_for(4, To=SAM)[3]["Body"]
    assert service.wait_until("SELECT opted_out FROM cases WHERE reference = 'ZM-1'", [(0,)]) == [
        (0,)
    ]


def test_media_without_text_gets_a_polite_ask_for_text(service, twilio):
    service.sms(SAM, "hallo", "SM1")
    twilio.wait_for(2)
    service.sms(SAM, "", "SM2", NumMedia="1", MediaUrl0="https://example.invalid/x.jpg")
    assert twilio.wait_for(3)[2]["Body"] == (
        "Stuur uw antwoord als tekst. Foto's, stickers en spraakberichten kunnen wij niet lezen."
    )


def test_bad_bodies_get_clear_answers(service):
    url = "/webhooks/twilio"
    bad_utf8 = service.http.post(
        url,
        content=b"Body=%FF%FE&From=%2B31622334455&MessageSid=SMx",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert bad_utf8.status_code == 400
    huge = service.http.post(
        url,
        content=b"Body=" + b"x" * 100_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 413
    assert service.stored() == []


def test_five_thousand_characters_are_taken_in(service, twilio):
    service.sms(SAM, "hallo", "SM1")
    twilio.wait_for(2)
    assert service.sms(SAM, "x" * 5000, "SM2").status_code == 200
    assert "Sorry, dat begreep ik niet." in twilio.wait_for(3)[2]["Body"]


def test_whatsapp_can_be_configured_as_the_same_person(tmp_path, twilio):
    running = App(tmp_path, twilio, None, VOORZORG_WHATSAPP_IS_SMS="true").start()
    try:
        running.sms(f"whatsapp:{SAM}", "hallo", "SM1")
        first, _ = twilio.wait_for(2)
        assert first["To"] == f"whatsapp:{SAM}"
        assert first["Body"].startswith("Gemeente Venlo: Hallo Sam.")
    finally:
        running.stop()


def test_a_messaging_service_can_be_the_sender(tmp_path, twilio):
    running = App(tmp_path, twilio, None, TWILIO_MESSAGING_SERVICE_SID="MG" + "2" * 32)
    running.env.pop("TWILIO_FROM")
    running.start()
    try:
        running.sms(SAM, "hallo", "SM1")
        first, _ = twilio.wait_for(2)
        assert first["MessagingServiceSid"] == "MG" + "2" * 32
        assert "From" not in first
    finally:
        running.stop()
