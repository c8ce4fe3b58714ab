"""Telegram through python-telegram-bot, used as a transport only (no handlers, no state)."""

from __future__ import annotations

import contextlib

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot.channels.base import Delivery, RecipientGone, SendError
from bot.config import Settings

WEBHOOK_PATH = "/webhooks/telegram"


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


class TelegramChannel:
    name = "telegram"

    def __init__(self, bot: Bot, messages_per_second: float = 25.0):
        self.bot = bot
        self.messages_per_second = messages_per_second

    async def send(
        self, address: str, text: str, choices: tuple[str, ...], outbox_id: int
    ) -> Delivery:
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

    async def close(self) -> None:
        await self.bot.shutdown()
