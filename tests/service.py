"""A real `voorzorg serve` process, wired to fake providers, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from bot.channels.fakes import FakeTelegram, FakeTwilio, free_port
from tests.cli import EXAMPLES, NOW, VOORZORG

AUTH_TOKEN = "fake-auth-token-0123456789"
TELEGRAM_SECRET = "telegram-webhook-secret"
COHORT = """reference,first_name,phone,municipality,report_date,prison,language
ZM-1,Sam,06 22334455,Venlo,2027-01-14,PI Roermond,nl
ZM-2,Alex,,Roermond,2027-01-21,PI Roermond,en
"""


class Running:
    """`voorzorg serve` in a subprocess; survives kill -9 and restart on the same database."""

    def __init__(
        self, tmp: Path, twilio: FakeTwilio | None, telegram: FakeTelegram | None, **env: str
    ):
        self.db = tmp / "var" / "voorzorg.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("VOORZORG_", "TWILIO_", "TELEGRAM_", "SMTP_"))
            },
            "VOORZORG_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "VOORZORG_PUBLIC_URL": self.url,
            **env,
        }
        if twilio is not None:
            self.env.update(
                {
                    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                    "TWILIO_FROM": "+3197010000000",
                    "TWILIO_API_URL": twilio.url,
                }
            )
        if telegram is not None:
            self.env.update(
                {
                    "TELEGRAM_BOT_TOKEN": "4242:fake-token",
                    "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
                    "TELEGRAM_API_URL": telegram.url,
                }
            )
        self.log = tmp / "serve.log"
        self.clients: list[httpx.Client] = []
        self.process: subprocess.Popen | None = None
        cohort = tmp / "cohort.csv"
        cohort.write_text(COHORT)
        self.cli("org", "load", str(EXAMPLES / "organisations.yaml"))
        self.cli("import", str(cohort), "--now", NOW)

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        done = subprocess.run(
            [VOORZORG, "--db", str(self.db), *args],
            input=stdin,
            text=True,
            capture_output=True,
            env=self.env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done

    def start(self) -> Running:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [VOORZORG, "--db", str(self.db), "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited early:\n{self.log.read_text()}")
            time.sleep(0.05)
        raise RuntimeError(f"serve did not come up:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        for client in self.clients:
            client.close()
        self.process.send_signal(sig)
        return self.process.wait(timeout=20)

    def sms(self, sender: str, body: str, sid: str, **extra: str) -> httpx.Response:
        params = {
            "MessageSid": sid,
            "From": sender,
            "To": "+3197010000000",
            "Body": body,
            "NumMedia": "0",
            **extra,
        }
        return self.post_twilio("/webhooks/twilio", params)

    def post_twilio(self, path: str, params: dict[str, str], signature: str | None = None):
        if signature is None:
            signature = RequestValidator(AUTH_TOKEN).compute_signature(self.url + path, params)
        return httpx.post(self.url + path, data=params, headers={"X-Twilio-Signature": signature})

    def telegram(self, update: dict, secret: str = TELEGRAM_SECRET) -> httpx.Response:
        return httpx.post(
            self.url + "/webhooks/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        )

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db, timeout=10) as conn:
            return conn.execute(sql, params).fetchall()

    def wait_until(self, sql: str, expected, *params, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.query(sql, *params)
            if got == expected or time.monotonic() > deadline:
                return got
            time.sleep(0.05)
