"""SMS and WhatsApp through the official Twilio SDK (async client), and webhook checks."""

from __future__ import annotations

from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.base import Delivery, RecipientOptedOut, SendError
from bot.config import Settings

OPTED_OUT = 21610
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"


class TwilioChannel:
    """One async Twilio client for the process, shared by SMS and WhatsApp."""

    def __init__(self, settings: Settings, name: str, messages_per_second: float):
        self.name = name
        self.messages_per_second = messages_per_second
        self._settings = settings
        self._http = AsyncTwilioHttpClient(timeout=15)
        self._client = Client(
            settings.twilio_account_sid, settings.twilio_auth_token, http_client=self._http
        )
        self._client.api.base_url = settings.twilio_api_url

    async def send(
        self, address: str, text: str, choices: tuple[str, ...], outbox_id: int
    ) -> Delivery:
        s = self._settings
        sender = (
            {"messaging_service_sid": s.twilio_messaging_service_sid}
            if (s.twilio_messaging_service_sid)
            else {"from_": self._from()}
        )
        try:
            message = await self._client.messages.create_async(
                to=address, body=text, status_callback=s.public_url + STATUS_CALLBACK_PATH, **sender
            )
        except TwilioRestException as exc:
            raise _error(exc) from None
        except (OSError, TimeoutError) as exc:
            raise SendError(f"network: {type(exc).__name__}", retry=True) from None
        return Delivery(message.sid, message.status or "queued")

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
    if exc.status == 429 or exc.status >= 500:
        return SendError(f"twilio http {exc.status}", retry=True)
    return SendError(f"twilio {exc.code or exc.status}", retry=False)


def signature_ok(settings: Settings, path: str, params: dict[str, str], signature: str) -> bool:
    """Checked against our public URL, not whatever URL a proxy passed on."""
    if not settings.twilio_auth_token or not signature:
        return False
    validator = RequestValidator(settings.twilio_auth_token)
    return bool(validator.validate(settings.public_url + path, params, signature))
