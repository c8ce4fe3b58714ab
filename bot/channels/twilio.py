"""SMS and WhatsApp through the official Twilio SDK (async client).

This module owns everything Twilio: the inbound and status webhooks with their signature
check, sending, and what Twilio's errors mean for us.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from collections.abc import Iterator

import aiohttp
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.base import Arrival, Delivery
from bot.config import Settings
from bot.errors import (
    BadRequest,
    RecipientOptedOut,
    RecipientUnreachable,
    SendError,
    SendOutcomeUnknown,
)
from bot.web.context import service_of
from bot.web.forms import form_pairs, read_body, refuse

log = logging.getLogger("voorzorg.twilio")
# The SDK's async client logs every request and response at INFO, eleven lines a message
# (its headers too): noise in the log and, a thousand times a second, real time. Its own
# logger is not among `bot.logs.CHATTY_CLIENTS`, so the channel gives it a quiet one.
SDK_LOG = logging.getLogger("voorzorg.twilio.sdk")
SDK_LOG.setLevel(logging.WARNING)

OPTED_OUT = 21610
# Errors that say this address cannot get messages on this channel: the message goes by
# another channel if the person has one, and a first contact or reminder escalates.
UNREACHABLE = {
    21211: "invalid 'To' number",
    21214: "'To' number cannot be reached",
    21612: "cannot route to this number",
    21614: "'To' is not a mobile number (a landline?)",
    63003: "no WhatsApp on this number",
    63016: "outside WhatsApp's 24 hours and not a template",
    63024: "invalid WhatsApp recipient",
    63032: "WhatsApp cannot deliver to this user",
    63049: "WhatsApp did not deliver this message",
}
LIST_LIMIT = 50
CLOCK_SKEW = dt.timedelta(minutes=2)  # between our clock and Twilio's
INBOUND_PATH = "/webhooks/twilio"
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-f]{32}$")
ADDRESS = re.compile(r"^(whatsapp:)?\+[1-9][0-9]{6,14}$")
STATUSES = frozenset(
    {"accepted", "scheduled", "queued", "sending", "sent", "delivered", "undelivered", "failed"}
    | {"read", "receiving", "received", "canceled", "partially_delivered"}
)
# Fields Twilio sends at most once; a repeat is a forgery or a broken proxy.
SINGLE = ("AccountSid", "MessageSid", "From", "To", "Body", "NumMedia", "MessageStatus")


class FormFields:
    """A form's (key, value) pairs with repeated keys kept, as Twilio signed them: the
    validator iterates the keys and reads every value of a key with `getall`."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for k, _ in self.pairs))

    def getall(self, key: str) -> list[str]:
        return [v for k, v in self.pairs if k == key]

    def single(self) -> dict[str, str]:
        """One value per key; 400 when a field Twilio sends once comes twice."""
        doubled = [k for k in SINGLE if len(self.getall(k)) > 1]
        if doubled:
            raise BadRequest(400, f"{doubled[0]} given more than once")
        return dict(self.pairs)


def signature_ok(settings: Settings, url: str, params: FormFields | str, signature: str) -> bool:
    """Checked against the URL as Twilio called it (our public URL, the path and the
    query string), every form value included; a JSON body by its `bodySHA256`."""
    if not settings.twilio_auth_token or not signature:
        return False
    if isinstance(params, str) and "bodySHA256=" not in url:
        return False  # a JSON body is signed only through its hash in the URL
    validator = RequestValidator(settings.twilio_auth_token)
    return bool(validator.validate(url, params, signature))


def called_url(settings: Settings, request: Request, path: str) -> str:
    """What Twilio signed: the public URL it was given, with this request's query."""
    query = request.url.query
    return settings.public_url + path + (f"?{query}" if query else "")


async def signed_form(request: Request, path: str) -> dict[str, str]:
    """The fields of a Twilio webhook (a form, or JSON signed by hash), once its signature
    and account check out."""
    settings = service_of(request).settings
    body = await read_body(request)
    url = called_url(settings, request, path)
    signature = request.headers.get("x-twilio-signature", "")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(400, "the JSON body is not UTF-8") from None
        if not signature_ok(settings, url, text, signature):
            raise BadRequest(403, "bad signature")
        params = _json_fields(text)
    else:
        fields = FormFields(form_pairs(body))
        if not signature_ok(settings, url, fields, signature):
            raise BadRequest(403, "bad signature")
        params = fields.single()
    if params.get("AccountSid") != settings.twilio_account_sid:
        raise BadRequest(400, "AccountSid is missing or not ours")
    return params


def _json_fields(text: str) -> dict[str, str]:
    """A signed JSON body as fields: a flat object of strings (and numbers)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest(400, "malformed JSON body") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in data.values()
    ):
        raise BadRequest(400, "the JSON body must be a flat object")
    return {str(k): str(v) for k, v in data.items()}


def _message_sid(params: dict[str, str]) -> str:
    sid = params.get("MessageSid", "")
    if not MESSAGE_SID.match(sid):
        raise BadRequest(400, "MessageSid must be SM or MM and 32 hexadecimal digits")
    return sid


def arrival_from_form(params: dict[str, str]) -> Arrival:
    """An inbound SMS or WhatsApp message as Twilio posts it: well-formed ids only."""
    sid = _message_sid(params)
    sender, to = params.get("From", ""), params.get("To", "")
    if not ADDRESS.match(sender) or not ADDRESS.match(to):
        raise BadRequest(400, "From and To must be phone numbers (E.164)")
    text = params.get("Body", "")
    num_media = params.get("NumMedia") or "0"
    if not num_media.isdigit() or len(num_media) > 3:
        raise BadRequest(400, "NumMedia must be a number")
    media = int(num_media) > 0
    return Arrival(
        channel="whatsapp" if sender.startswith("whatsapp:") else "sms",
        provider_key=sid,
        sender=sender,
        kind="media" if media and not text.strip() else "text",
        text=text,
    )


def status_from_form(params: dict[str, str]) -> tuple[str, str, str | None]:
    """(MessageSid, MessageStatus, ErrorCode) of a status callback, checked."""
    sid = _message_sid(params)
    state = params.get("MessageStatus", "")
    if state not in STATUSES:
        raise BadRequest(400, "MessageStatus is missing or unknown")
    error_code = params.get("ErrorCode") or None
    if error_code is not None and not (error_code.isdigit() and len(error_code) <= 6):
        raise BadRequest(400, "ErrorCode must be a number")
    return sid, state, error_code


async def receive(request: Request) -> Response:
    """POST /webhooks/twilio: a message from a person (or a contact person)."""
    try:
        arrival = arrival_from_form(await signed_form(request, INBOUND_PATH))
    except BadRequest as exc:
        return refuse(exc, "twilio inbound")
    await service_of(request).store(arrival)
    return Response(EMPTY_TWIML, media_type="text/xml")


async def status(request: Request) -> Response:
    """POST /webhooks/twilio/status: how far a message we sent got."""
    try:
        sid, state, error_code = status_from_form(await signed_form(request, STATUS_CALLBACK_PATH))
    except BadRequest as exc:
        return refuse(exc, "twilio status")
    service = service_of(request)
    if not await service.record_status("sms", sid, state, error_code):
        log.info("twilio status for a message we did not send")
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route(INBOUND_PATH, receive, methods=["POST"]),
        Route(STATUS_CALLBACK_PATH, status, methods=["POST"]),
    ]


class TwilioChannel:
    """One async Twilio client for the process, shared by SMS and WhatsApp."""

    def __init__(
        self, settings: Settings, name: str, messages_per_second: float, timeout: float = 15
    ):
        self.name = name
        self.messages_per_second = messages_per_second
        self._settings = settings
        self._timeout = timeout  # the SDK's async client does not apply its own timeout
        self._http = AsyncTwilioHttpClient(timeout=timeout, logger=SDK_LOG)
        self._client = Client(
            settings.twilio_account_sid, settings.twilio_auth_token, http_client=self._http
        )
        self._client.api.base_url = settings.twilio_api_url

    async def send(
        self, address: str, text: str, choices: tuple[str, ...], outbox_id: int
    ) -> Delivery:
        return await self._create(to=address, body=text)

    async def send_template(
        self, address: str, content_sid: str, variables: dict[str, str], outbox_id: int
    ) -> Delivery:
        """An approved WhatsApp template (Content API): for after the 24-hour window."""
        return await self._create(
            to=address, content_sid=content_sid, content_variables=json.dumps(variables)
        )

    async def _create(self, **fields: str) -> Delivery:
        s = self._settings
        sender = (
            {"messaging_service_sid": s.twilio_messaging_service_sid}
            if (s.twilio_messaging_service_sid)
            else {"from_": self._from()}
        )
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._client.messages.create_async(
                    status_callback=s.public_url + STATUS_CALLBACK_PATH, **sender, **fields
                )
        except TwilioRestException as exc:
            raise _error(exc) from None
        except (OSError, TimeoutError, aiohttp.ClientError) as exc:
            # The request may have reached Twilio: the sender asks before sending again.
            raise SendOutcomeUnknown(f"network: {type(exc).__name__}") from None
        return Delivery(message.sid, message.status or "queued")

    async def accepted(self, address: str, text: str, since: dt.datetime) -> list[Delivery]:
        """Messages Twilio accepted to this address from `since` on with this body, newest
        first: what a send whose answer was lost came to."""
        try:
            async with asyncio.timeout(self._timeout):
                found = await self._client.messages.list_async(
                    to=address, date_sent_after=since - dt.timedelta(days=1), limit=LIST_LIMIT
                )
        except TwilioRestException as exc:
            raise _error(exc) from None
        except (OSError, TimeoutError, aiohttp.ClientError) as exc:
            raise SendError(f"network: {type(exc).__name__}", retry=True) from None
        earliest = since - CLOCK_SKEW
        return [
            Delivery(m.sid, m.status or "queued")
            for m in found
            if m.body == text and (m.date_created is None or m.date_created >= earliest)
        ]

    def _from(self) -> str:
        sender = self._settings.twilio_from or ""
        if self.name == "whatsapp" and not sender.startswith("whatsapp:"):
            return f"whatsapp:{sender}"
        return sender

    async def close(self) -> None:
        await self._http.close()


def _error(exc: TwilioRestException) -> SendError:
    if exc.code == OPTED_OUT:
        return RecipientOptedOut(f"twilio {exc.code}: recipient opted out")
    if exc.code in UNREACHABLE:
        return RecipientUnreachable(f"twilio {exc.code}: {UNREACHABLE[exc.code]}")
    if exc.status == 429 or exc.status >= 500:
        return SendError(f"twilio http {exc.status}", retry=True)
    return SendError(f"twilio {exc.code or exc.status}", retry=False)
