"""The app in this process (Starlette's TestClient runs its lifespan: writer, processor,
sender, scheduler), wired to the fake providers, on a real SQLite file and a fake clock.

Small on purpose: for the delivery tests only, next to the shared harness.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings
from pathlib import Path

from twilio.request_validator import RequestValidator

from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.runtime import open_runtime
from bot.web.app import create_app
from tests.service import Files
from tests.world import World

with warnings.catch_warnings():
    # Starlette 1.x warns on import that its TestClient wants `httpx2`; the shared harness
    # is moving off TestClient, this file keeps it until then.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ACCOUNT = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token-0123456789"
BOT_TOKEN = "4242:fake-bot-token-abcdef"
TELEGRAM_SECRET = "telegram-webhook-secret-0123"
SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
PUBLIC_URL = "https://voorzorg.example.nl"
OUR_NUMBER = "+3197010000000"
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
_sids = iter(range(1, 10**9))


def sid() -> str:
    """A well-formed Twilio MessageSid, new each time."""
    return f"SM{next(_sids):032x}"


def settings_for(tmp: Path, twilio=None, telegram=None, **env: str) -> Settings:
    environ = {"VOORZORG_SECRET_KEY": SECRET_KEY, "VOORZORG_PUBLIC_URL": PUBLIC_URL, **env}
    if twilio is not None:
        environ |= {
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM": OUR_NUMBER,
            "TWILIO_API_URL": twilio.url,
        }
    if telegram is not None:
        environ |= {
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_URL": telegram.url,
        }
    return load_settings(db=str(tmp / "v.db"), environ=environ)


def prepare(settings: Settings, cohort: str, organisations: str | None = None) -> None:
    """Organisations and a cohort in the database, as `org load` and `import` leave them."""

    async def run() -> None:
        async with open_runtime(settings) as rt:
            world = World(rt)
            await world.load_organisations(organisations)
            await world.cohort(cohort, NOW)

    asyncio.run(run())


class InProcess(Files):
    """The app on a fake clock; requests go straight in, providers are the fakes."""

    def __init__(self, settings: Settings, clock: FakeClock | None = None):
        self.settings = settings
        self.db = settings.db_path
        self.clock = clock or FakeClock(NOW)
        self.client = TestClient(create_app(settings, self.clock))

    def __enter__(self) -> InProcess:
        self.client.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.client.__exit__(*exc)

    def twilio_post(self, path: str, params: dict[str, str], query: str = "", signature=None):
        url = PUBLIC_URL + path + (f"?{query}" if query else "")
        if signature is None:
            signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        target = path + (f"?{query}" if query else "")
        return self.client.post(target, data=params, headers={"X-Twilio-Signature": signature})

    def sms(self, sender: str, body: str, **extra: str):
        params = {
            "AccountSid": ACCOUNT,
            "MessageSid": sid(),
            "From": sender,
            "To": OUR_NUMBER,
            "Body": body,
            "NumMedia": "0",
            **extra,
        }
        return self.twilio_post("/webhooks/twilio", params)

    def telegram(self, update: dict):
        return self.client.post(
            "/webhooks/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        )
