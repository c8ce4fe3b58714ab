"""E-mail to contact persons over SMTP, with an async client."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from bot.channels.base import Delivery
from bot.config import Settings
from bot.errors import SendError


class EmailChannel:
    name = "email"

    def __init__(self, settings: Settings, messages_per_second: float = 5.0):
        self.settings = settings
        self.messages_per_second = messages_per_second

    async def send(
        self, address: str, text: str, choices: tuple[str, ...], outbox_id: int
    ) -> Delivery:
        message = EmailMessage()
        message["From"] = str(self.settings.smtp_from)
        message["To"] = address
        message["Subject"] = text.split("\n", 1)[0][:120]
        message["Message-ID"] = (
            f"<voorzorg-{outbox_id}@{self.settings.public_url.split('//')[-1].split('/')[0].split(':')[0]}>"
        )
        message.set_content(text)
        try:
            await aiosmtplib.send(
                message, hostname=self.settings.smtp_host, port=self.settings.smtp_port, timeout=15
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"smtp refused recipient: {exc}", retry=False) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendError(f"smtp: {type(exc).__name__}", retry=True) from None
        return Delivery(message["Message-ID"], "sent")

    async def close(self) -> None:
        return None
