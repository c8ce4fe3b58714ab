"""Which transports the outbox uses: the providers that are set up, else the sandbox."""

from __future__ import annotations

from bot.channels.base import SANDBOX_CHANNELS, Channel, SandboxChannel
from bot.channels.email import EmailChannel
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.twilio import TwilioChannel
from bot.config import Settings


async def open_channels(settings: Settings) -> dict[str, Channel]:
    """The transports for the outbox: the providers that are set up, else the sandbox."""
    s = settings
    channels: dict[str, Channel] = {name: SandboxChannel(name) for name in SANDBOX_CHANNELS}
    for name in ("sms", "whatsapp"):
        channels[name] = (
            TwilioChannel(s, name, s.sms_per_second)
            if s.twilio_enabled and not s.sandbox
            else SandboxChannel(name)
        )
    if s.smtp_host and s.smtp_from:
        channels["email"] = EmailChannel(s)
    if s.telegram_enabled and not s.sandbox:
        bot = make_bot(s)
        await bot.initialize()
        channels["telegram"] = TelegramChannel(bot)
    else:
        channels["telegram"] = SandboxChannel("telegram")
    return channels
