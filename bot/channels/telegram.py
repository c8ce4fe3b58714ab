"""Telegram through python-telegram-bot, used as a transport only (no handlers, no state).

This module owns everything Telegram: the webhook (secret token check), polling for local
development, one parser from `telegram.Update` to an `Arrival` shared by both, sending
with buttons, and answering button presses.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot.channels.base import Arrival, Delivery
from bot.config import Settings
from bot.errors import BadRequest, RecipientGone, SendError
from bot.web.context import service_of
from bot.web.forms import read_body, refuse

log = logging.getLogger("voorzorg.telegram")

WEBHOOK_PATH = "/webhooks/telegram"
UPDATES = ["message", "edited_message", "callback_query"]


def make_bot(settings: Settings) -> Bot:
    return Bot(
        str(settings.telegram_bot_token),
        base_url=f"{settings.telegram_api_url}/bot",
        base_file_url=f"{settings.telegram_api_url}/file/bot",
        request=HTTPXRequest(connection_pool_size=8),
    )


def keyboard(choices: tuple[str, ...]) -> InlineKeyboardMarkup | None:
    """One button per option; a press sends the option's number, like typing it."""
    if not choices:
        return None
    rows = [
        [InlineKeyboardButton(f"{n}. {label}"[:64], callback_data=str(n))]
        for n, label in enumerate(choices, 1)
    ]
    return InlineKeyboardMarkup(rows)


def parse_update(update: Update) -> Arrival | None:
    """The part of an update we act on; None for updates we do not serve.

    Only private chats are served: a group, supergroup or channel is ignored (nothing
    stored, nothing sent, nothing bound), so a `/start CODE` there binds no one. Webhook
    and polling both build a `telegram.Update` and come through here.
    """
    key = str(update.update_id)
    if (query := update.callback_query) is not None:
        if query.message is not None and query.message.chat.type != ChatType.PRIVATE:
            return None
        # A press on a message we can no longer see comes without `message`: it is the
        # presser's own private chat with the bot.
        chat = query.message.chat.id if query.message is not None else query.from_user.id
        return Arrival(
            "telegram", key, _chat_id(chat), "button", query.data or "", button_id=query.id
        )
    if (message := update.edited_message) is not None:
        if message.chat.type != ChatType.PRIVATE:
            return None
        return Arrival("telegram", key, _chat_id(message.chat.id), "edited")
    if (message := update.message) is not None:
        if message.chat.type != ChatType.PRIVATE:
            return None
        return _message_arrival(key, message)
    return None


def _message_arrival(key: str, message: Message) -> Arrival:
    chat = _chat_id(message.chat.id)
    text = message.text if message.text is not None else message.caption
    if text is not None:
        replied = message.reply_to_message
        reply_to = str(replied.message_id) if replied is not None else None
        return Arrival("telegram", key, chat, "text", text, reply_to=reply_to)
    shared = (message.contact, message.location, message.venue, message.voice, message.audio)
    if any(shared) or message.video_note:
        return Arrival("telegram", key, chat, "unreadable")  # needs a person, not a photo tip
    return Arrival("telegram", key, chat, "media")


def _chat_id(value: object) -> str:
    """Telegram chat ids are integers; anything else is a forged or broken update."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(400, "chat id must be a number")
    return str(value)


def update_from_json(body: bytes, bot: Bot | None) -> Update:
    """A webhook body as a `telegram.Update`; 400 for anything that is not one."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise BadRequest(400, "update_id must be a number")
        return Update.de_json(data, bot)
    except BadRequest:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        raise BadRequest(400, "malformed update") from None


async def receive(request: Request) -> Response:
    """POST /webhooks/telegram: check the secret token, store the update's message."""
    service = service_of(request)
    expected = service.settings.telegram_webhook_secret or ""
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return refuse(BadRequest(403, "bad secret token"), "telegram")
    channel = service.channels.get("telegram")
    try:
        update = update_from_json(await read_body(request), getattr(channel, "bot", None))
        arrival = parse_update(update)
    except BadRequest as exc:
        return refuse(exc, "telegram")
    if arrival is not None:
        await service.store(arrival)
    return JSONResponse({"ok": True})


def routes() -> list[Route]:
    return [Route(WEBHOOK_PATH, receive, methods=["POST"])]


class TelegramChannel:
    name = "telegram"

    def __init__(self, bot: Bot, messages_per_second: float = 25.0):
        self.bot = bot
        self.messages_per_second = messages_per_second

    async def send(
        self, address: str, text: str, choices: tuple[str, ...], outbox_id: int
    ) -> Delivery:
        if not address.lstrip("-").isdigit():
            raise SendError(f"telegram: {address!r} is no chat id", retry=False)
        try:
            message = await self.bot.send_message(
                chat_id=int(address), text=text, reply_markup=keyboard(choices)
            )
        except Forbidden as exc:
            raise RecipientGone(f"telegram 403: {exc.message}") from None
        except RetryAfter as exc:
            seconds = exc.retry_after
            wait = seconds if isinstance(seconds, int | float) else seconds.total_seconds()
            raise SendError("telegram 429", retry=True, retry_after=float(wait)) from None
        except (TimedOut, NetworkError) as exc:
            raise SendError(f"telegram network: {exc.message}", retry=True) from None
        except TelegramError as exc:
            raise SendError(f"telegram: {exc.message}", retry=False) from None
        return Delivery(str(message.message_id), "sent")

    async def answer_button(self, callback_query_id: str) -> None:
        # The spinner on the button times out by itself; the answer counts either way.
        with contextlib.suppress(TelegramError):
            await self.bot.answer_callback_query(callback_query_id)

    async def register_webhook(self, settings: Settings) -> None:
        await self.bot.set_webhook(
            url=settings.public_url + WEBHOOK_PATH,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=UPDATES,
        )

    async def poll(self, store: Callable[[Arrival], Awaitable[None]], stop: asyncio.Event) -> None:
        """Local development without a public URL: fetch updates instead of receiving them."""
        await self.bot.delete_webhook()
        offset = None
        while not stop.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=10, allowed_updates=UPDATES
                )
            except Exception:
                log.exception("telegram polling failed; retrying")
                await asyncio.sleep(5)
                continue
            for update in updates:
                offset = update.update_id + 1
                try:
                    arrival = parse_update(update)
                except BadRequest as exc:
                    log.warning("telegram poll: %s", exc.reason)
                    continue
                if arrival is not None:
                    await store(arrival)

    async def close(self) -> None:
        await self.bot.shutdown()
