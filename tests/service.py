"""Voorzorg's web app wired to fake providers, for end-to-end tests.

`App` runs the app in this process: its lifespan starts the service's loops (writer,
processor, sender, scheduler), requests go straight to the app, and the real Twilio SDK
and python-telegram-bot talk HTTP to the fake providers. `Served` runs the same app under
uvicorn in a thread, for a real browser. `Running` is the real `voorzorg serve` process,
for what only a process shows: start-up, SIGTERM, kill -9.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import anyio.from_thread
import httpx
from anyio.from_thread import BlockingPortal
from twilio.request_validator import RequestValidator

from bot.channels.fakes import FakeTelegram, FakeTwilio, ServerThread, free_port
from bot.clock import Clock, FakeClock
from bot.config import load_settings
from bot.web.app import create_app
from storage.inbox import inbox_path
from tests.cli import EXAMPLES, NOW, VOORZORG, File, Step, command, environment, prepare, voorzorg

AUTH_TOKEN = "fake-auth-token-0123456789"
TELEGRAM_SECRET = "telegram-webhook-secret"
COHORT = """reference,first_name,phone,municipality,report_date,prison,language
ZM-1,Sam,06 22334455,Venlo,2027-01-14,PI Roermond,nl
ZM-2,Alex,,Roermond,2027-01-21,PI Roermond,en
"""
# Half an hour before the cohort is imported (NOW): the outreach is not due yet, so the
# only messages are answers to what the tests send.
BEFORE_OUTREACH = dt.datetime.fromisoformat("2026-12-01T09:00:00+01:00")
ADDRESSES = ("VOORZORG_PUBLIC_URL", "TWILIO_API_URL", "TELEGRAM_API_URL")
ORGANISATIONS = command("org", "load", str(EXAMPLES / "organisations.yaml"))
IMPORT_COHORT = command("import", File("cohort.csv", COHORT), "--now", NOW)


class Files:
    """Reading the database and the inbox beside a running app, as an operator would."""

    db: Path

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db, timeout=10) as conn:
            return conn.execute(sql, params).fetchall()

    def stored(self) -> list[str]:
        """Provider keys of every arrival kept: waiting in the inbox or taken in."""
        keys = set(self.query("SELECT provider_key FROM inbound"))
        inbox = inbox_path(self.db)
        if inbox.exists():
            with sqlite3.connect(inbox, timeout=10) as conn:
                keys |= set(conn.execute("SELECT provider_key FROM arrivals").fetchall())
        return sorted(key for (key,) in keys)

    def wait_processed(self, timeout: float = 10.0) -> bool:
        """Wait until every arrival kept is processed (or failed for good)."""
        deadline = time.monotonic() + timeout
        while True:
            done = self.query("SELECT provider_key FROM inbound WHERE processed_at IS NOT NULL")
            if {key for (key,) in done} == set(self.stored()):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)

    def wait_until(self, sql: str, expected, *params, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.query(sql, *params)
            if got == expected or time.monotonic() > deadline:
                return got
            time.sleep(0.02)


class Service(Files):
    """A database with the example organisations and a two-person cohort (and whatever
    `setup` adds), and the helpers to talk to the app like the providers and staff do.
    Subclasses say how the app runs."""

    url: str
    http: httpx.Client | InProcessClient

    def __init__(
        self,
        tmp: Path,
        twilio: FakeTwilio | None,
        telegram: FakeTelegram | None,
        cohort: bool = True,
        setup: tuple[Step, ...] = (),
        **env: str,
    ):
        self.tmp = tmp
        self.db = tmp / "var" / "voorzorg.db"
        self.env = environment(
            {
                "VOORZORG_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
                "VOORZORG_PUBLIC_URL": self.url,
            }
        )
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
        self.env.update(env)
        self.clients: list[httpx.Client | InProcessClient] = []
        steps = (ORGANISATIONS, *([IMPORT_COHORT] if cohort else []), *setup)
        # Where the app and the fakes listen does not change what the setup writes.
        setup_env = {k: v for k, v in self.env.items() if k not in ADDRESSES}
        prepare(self.db, steps, setup_env)

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        """The `voorzorg` command on the same database (in this process)."""
        done = voorzorg(self.db, *args, stdin=stdin, env=self.env)
        assert done.returncode == 0, done.stderr
        return done

    def session(self) -> httpx.Client | InProcessClient:
        """A new browser session: its own cookies, no redirects followed."""
        raise NotImplementedError

    def close_sessions(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()

    def sms(self, sender: str, body: str, sid: str, **extra: str) -> httpx.Response:
        """A signed inbound SMS as Twilio posts it; a short test sid like `SM1` becomes a
        well-formed one (always the same for the same short sid)."""
        if not re.fullmatch(r"(SM|MM)[0-9a-f]{32}", sid):
            sid = "SM" + hashlib.md5(sid.encode()).hexdigest()
        params = {
            "AccountSid": "AC" + "0" * 32,
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
        return self.http.post(path, data=params, headers={"X-Twilio-Signature": signature})

    def telegram(self, update: dict, secret: str = TELEGRAM_SECRET) -> httpx.Response:
        return self.http.post(
            "/webhooks/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        )


class App(Service):
    """The app in this process, on a fake clock that stays where it is put.

    A thread runs an event loop (anyio's blocking portal) that holds the app's lifespan, so
    the service's loops run there; requests go in through httpx's `ASGITransport` on that
    same loop, from the test's thread.
    """

    url = "http://testserver"

    def __init__(self, *args, clock: Clock | None = None, **env: str):
        # Unpaced: pacing has a test of its own (test_sender), here it would only wait.
        env.setdefault("VOORZORG_SMS_PER_SECOND", "1000")
        super().__init__(*args, **env)
        self.clock = clock or FakeClock(BEFORE_OUTREACH)

    def start(self) -> App:
        settings = load_settings(db=str(self.db), environ=self.env)
        self.app = create_app(settings, self.clock)
        with contextlib.ExitStack() as stack:
            self.portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
            lifespan = self.app.router.lifespan_context(self.app)
            stack.enter_context(self.portal.wrap_async_context_manager(lifespan))
            self._running = stack.pop_all()
        self.http = self.session()
        return self

    def stop(self) -> None:
        self.close_sessions()
        self._running.close()  # the service finishes its work and stops; the loop ends

    def session(self) -> InProcessClient:
        client = InProcessClient(self.portal, self.app, self.url)
        self.clients.append(client)
        return client


class InProcessClient:
    """A browser session for the in-process app: httpx's async client on the app's loop,
    called from synchronous tests. Its own cookies; redirects are not followed."""

    def __init__(self, portal: BlockingPortal, app, url: str):
        self.portal = portal
        transport = httpx.ASGITransport(app, client=("127.0.0.1", 50000))
        self.client = httpx.AsyncClient(transport=transport, base_url=url)

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        return self.portal.call(functools.partial(self.client.request, method, url, **kwargs))

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self.portal.call(self.client.aclose)


class Served(App):
    """The app under uvicorn in a thread of this process, for a real browser."""

    def __init__(self, *args, **kwargs):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(*args, **kwargs)

    def start(self) -> Served:
        app = create_app(load_settings(db=str(self.db), environ=self.env), self.clock)
        self._server = ServerThread(app, self.port, log_config=None, lifespan="on").start()
        self.http = self.session()
        return self

    def stop(self) -> None:
        self.close_sessions()
        self._server.stop()  # the service finishes its work and stops

    def session(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, follow_redirects=False)
        self.clients.append(client)
        return client


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class Running(Service):
    """`voorzorg serve` in a subprocess; survives kill -9 and restart on the same database."""

    def __init__(self, *args, **kwargs):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(*args, **kwargs)
        self.log = self.tmp / "serve.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Running:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [VOORZORG, "--db", str(self.db), "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as under a service manager
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    self.http = self.session()
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited early:\n{self.log.read_text()}")
            time.sleep(0.05)
        raise RuntimeError(f"serve did not come up:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM, group: bool = False) -> int:
        """Signal `serve` (with `group`, its whole process group: the worker too, as a
        service manager or Ctrl-C does) and wait for it to exit."""
        assert self.process is not None
        self.close_sessions()
        if group:
            os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)
        return self.process.wait(timeout=20)

    def workers(self) -> list[int]:
        """Process ids of `serve`'s worker processes, from /proc (Linux); not the helper
        process multiprocessing starts beside them (its resource tracker)."""
        assert self.process is not None
        children = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                children += [int(pid) for pid in task.read_text().split()]
        return [pid for pid in children if b"spawn_main" in _cmdline(pid)]

    def session(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=10)
        self.clients.append(client)
        return client
