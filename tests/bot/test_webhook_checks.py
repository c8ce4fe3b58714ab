"""Twilio webhooks: signed over the URL as Twilio called it, every value counted, and only
well-formed fields accepted (a signed request cannot be reshaped into a new message)."""

import hashlib
import json
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from tests.bot.inprocess import (
    ACCOUNT,
    AUTH_TOKEN,
    OUR_NUMBER,
    PUBLIC_URL,
    InProcess,
    prepare,
    settings_for,
    sid,
)

SAM = "+31622334455"
COHORT = "ZM-1,Sam,06 22334455,Venlo,2027-01-14,PI Roermond,nl\n"


@pytest.fixture
def app(tmp_path, twilio):
    settings = settings_for(tmp_path, twilio)
    prepare(settings, COHORT)
    with InProcess(settings) as running:
        yield running


def inbound(**overrides: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT,
        "MessageSid": sid(),
        "From": SAM,
        "To": OUR_NUMBER,
        "Body": "Ja",
        "NumMedia": "0",
        **overrides,
    }


def stored(app) -> int:
    return len(app.stored())


def test_a_signature_over_a_url_with_a_query_string_is_accepted(app):
    assert app.twilio_post("/webhooks/twilio", inbound(), query="org=venlo").status_code == 200
    assert stored(app) == 1


def test_a_signature_made_without_the_query_string_is_refused(app):
    params = inbound()
    without_query = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/webhooks/twilio", params
    )
    response = app.twilio_post("/webhooks/twilio", params, "org=venlo", signature=without_query)
    assert response.status_code == 403
    assert stored(app) == 0


def test_repeated_keys_are_signed_and_checked_with_every_value(app):
    pairs = [*inbound().items(), ("MediaUrl0", "https://a.example/1")]
    pairs.append(("MediaUrl0", "https://a.example/2"))
    url = PUBLIC_URL + "/webhooks/twilio"

    class Multi:  # how Twilio signs: every value of a repeated key
        def __iter__(self):
            return iter(dict.fromkeys(k for k, _ in pairs))

        def getall(self, key):
            return [v for k, v in pairs if k == key]

    body = urlencode(pairs)
    form = {"content-type": "application/x-www-form-urlencoded"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, Multi())
    headers = {"X-Twilio-Signature": signature, **form}
    assert app.client.post("/webhooks/twilio", content=body, headers=headers).status_code == 200
    assert stored(app) == 1
    collapsed = RequestValidator(AUTH_TOKEN).compute_signature(url, dict(pairs))
    headers = {"X-Twilio-Signature": collapsed, **form}
    assert app.client.post("/webhooks/twilio", content=body, headers=headers).status_code == 403


def test_a_json_body_is_checked_by_its_hash(app):
    body = json.dumps(inbound())
    query = "bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
    url = f"{PUBLIC_URL}/webhooks/twilio?{query}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, {})
    headers = {"X-Twilio-Signature": signature, "content-type": "application/json"}
    ok = app.client.post(f"/webhooks/twilio?{query}", content=body, headers=headers)
    assert ok.status_code == 200
    changed = body.replace('"Ja"', '"Nee"')
    forged = app.client.post(f"/webhooks/twilio?{query}", content=changed, headers=headers)
    assert forged.status_code == 403
    assert stored(app) == 1


def test_moving_a_value_into_the_message_sid_does_not_make_a_new_message(app):
    """The signature joins keys and values: `MessageSid=SMx` + `NumMedia=0` signs the same
    as `MessageSid=SMxNumMedia0`. A replay reshaped that way must not count as new."""
    params = inbound()
    assert app.twilio_post("/webhooks/twilio", params).status_code == 200
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/webhooks/twilio", params
    )
    reshaped = {k: v for k, v in params.items() if k != "NumMedia"}
    reshaped["MessageSid"] = params["MessageSid"] + "NumMedia0"
    again = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/webhooks/twilio", reshaped
    )
    assert again == signature  # the attack: still validly signed
    response = app.twilio_post("/webhooks/twilio", reshaped, signature=signature)
    assert response.status_code == 400
    assert stored(app) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"MessageSid": "SM1"},
        {"MessageSid": "SM" + "G" * 32},
        {"AccountSid": "AC" + "9" * 32},
        {"AccountSid": ""},
        {"From": ""},
        {"To": ""},
        {"From": "+31 6 abc"},
        {"NumMedia": "abc"},
    ],
)
def test_malformed_fields_are_refused_with_400(app, overrides):
    params = {k: v for k, v in inbound(**overrides).items() if v != ""}
    assert app.twilio_post("/webhooks/twilio", params).status_code == 400
    assert stored(app) == 0


def test_status_callbacks_need_a_known_status_and_a_numeric_error_code(app):
    base = {"AccountSid": ACCOUNT, "MessageSid": sid(), "MessageStatus": "delivered"}
    assert app.twilio_post("/webhooks/twilio/status", base).status_code == 204
    for bad in ({"MessageStatus": "exploded"}, {"ErrorCode": "x1"}, {"MessageSid": "SMx"}):
        assert app.twilio_post("/webhooks/twilio/status", base | bad).status_code == 400
