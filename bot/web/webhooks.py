"""Provider webhooks: check who is calling, store what they carry, answer once it is safe."""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.channels.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.channels.twilio import STATUS_CALLBACK_PATH, signature_ok
from bot.outreach.inbound import Arrival
from bot.outreach.sender import apply_status

log = logging.getLogger("voorzorg.webhooks")

MAX_BODY_BYTES = 64 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
INBOUND_PATH = "/webhooks/twilio"


class BadRequest(Exception):
    def __init__(self, status: int, reason: str):
        self.status = status
        self.reason = reason


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BadRequest(413, "body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
        return dict(
            parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
        )
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(400, "malformed form body") from None


def refuse(exc: BadRequest, route: str) -> Response:
    log.warning("%s: %d %s", route, exc.status, exc.reason)  # never the body: personal data
    return Response(exc.reason, status_code=exc.status, media_type="text/plain")


async def signed_form(request: Request, path: str) -> dict[str, str]:
    """The form fields of a Twilio webhook, once its signature checks out."""
    params = form(await read_body(request))
    app = request.app.state.voorzorg
    signature = request.headers.get("x-twilio-signature", "")
    if not signature_ok(app.rt.settings, path, params, signature):
        raise BadRequest(403, "bad signature")
    return params


async def twilio_inbound(request: Request) -> Response:
    app = request.app.state.voorzorg
    try:
        params = await signed_form(request, INBOUND_PATH)
        sid, sender = params.get("MessageSid"), params.get("From")
        if not sid or not sender:
            raise BadRequest(400, "MessageSid and From are required")
    except BadRequest as exc:
        return refuse(exc, "twilio inbound")
    text = params.get("Body", "")
    media = int(params.get("NumMedia", "0") or 0) > 0
    arrival = Arrival(
        channel="whatsapp" if sender.startswith("whatsapp:") else "sms",
        provider_key=sid,
        sender=sender,
        kind="media" if media and not text.strip() else "text",
        text=text,
    )
    await app.store(arrival)
    return Response(EMPTY_TWIML, media_type="text/xml")


async def twilio_status(request: Request) -> Response:
    app = request.app.state.voorzorg
    try:
        params = await signed_form(request, STATUS_CALLBACK_PATH)
        sid, status = params.get("MessageSid"), params.get("MessageStatus")
        if not sid or not status:
            raise BadRequest(400, "MessageSid and MessageStatus are required")
    except BadRequest as exc:
        return refuse(exc, "twilio status")
    known = await apply_status(
        app.rt, "sms", sid, status, params.get("ErrorCode") or None, app.clock.now()
    )
    if not known:
        log.info("twilio status for a message we did not send")
    return Response(status_code=204)


async def telegram_update(request: Request) -> Response:
    app = request.app.state.voorzorg
    expected = app.rt.settings.telegram_webhook_secret or ""
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return refuse(BadRequest(403, "bad secret token"), "telegram")
    try:
        update = json.loads(await read_body(request))
        arrival = arrival_from_update(update)
    except BadRequest as exc:
        return refuse(exc, "telegram")
    except (ValueError, TypeError, AttributeError, KeyError):
        return refuse(BadRequest(400, "malformed update"), "telegram")
    if arrival is not None:
        await app.store(arrival)
    return JSONResponse({"ok": True})


def arrival_from_update(update: dict) -> Arrival | None:
    """The part of a Telegram update we act on; None for updates that carry no message."""
    update_id = update["update_id"]
    if not isinstance(update_id, int):
        raise BadRequest(400, "update_id must be a number")
    key = str(update_id)
    if (query := update.get("callback_query")) is not None:
        chat = query["message"]["chat"]["id"]
        return Arrival(
            "telegram",
            key,
            str(chat),
            "button",
            str(query.get("data", "")),
            button_id=str(query["id"]),
        )
    if (message := update.get("edited_message")) is not None:
        return Arrival("telegram", key, str(message["chat"]["id"]), "edited")
    if (message := update.get("message")) is not None:
        chat = str(message["chat"]["id"])
        if isinstance(message.get("text"), str):
            replied = (message.get("reply_to_message") or {}).get("message_id")
            return Arrival(
                "telegram",
                key,
                chat,
                "text",
                message["text"],
                reply_to=str(replied) if replied is not None else None,
            )
        return Arrival("telegram", key, chat, "media")
    return None


ROUTES = [
    (INBOUND_PATH, twilio_inbound),
    (STATUS_CALLBACK_PATH, twilio_status),
    (TELEGRAM_PATH, telegram_update),
]
