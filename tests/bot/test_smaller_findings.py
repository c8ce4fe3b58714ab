"""Smaller findings: references with '/', the relay e-mail's subject, folded log floods,
and slow or too many connections to `serve`."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import time

import pytest

from bot import logs
from bot.channels import email
from bot.config import load_settings
from bot.outreach.importing import parse_cases
from tests.service import Running

HEADER = "reference,first_name,phone,municipality,report_date,prison,language\n"


def test_a_reference_with_a_slash_is_refused_at_import_with_one_line():
    data = (HEADER + "ZM/2026/17,Sam,,Venlo,2027-01-14,,nl\n").encode()
    parsed = parse_cases(data, {"venlo": "venlo"}, ("nl",), dt.date(2026, 12, 1))
    assert parsed.errors == [
        "line 2: reference 'ZM/2026/17' may hold only letters, digits and . _ -"
    ]


async def test_the_relay_e_mail_subject_is_never_the_persons_text(monkeypatch):
    """The relay's first line is fixed (see test_handoff); e-mail makes it the subject."""
    sent = []

    async def fake_send(message, **_):
        sent.append(message)

    monkeypatch.setattr(email.aiosmtplib, "send", fake_send)
    settings = load_settings(
        environ={
            "VOORZORG_SECRET_KEY": "m" * 40,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_FROM": "voorzorg@example.org",
        }
    )
    relayed = "Voorzorg: bericht over ZM-1\nIk heb schulden bij de Belastingdienst"
    await email.EmailChannel(settings).send("a.jansen@example.org", relayed, (), 7)
    assert sent[0]["Subject"] == "Voorzorg: bericht over ZM-1"


def test_a_flood_of_the_same_record_is_logged_once_with_a_count():
    now = [0.0]
    folding = logs.RepeatFilter(window=60, clock=lambda: now[0])
    records = []

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", logging.ERROR, "x", 1, msg, None, None)

    for _ in range(1000):
        r = record("Exception in ASGI application")
        if folding.filter(r):
            records.append(r.getMessage())
    assert folding.filter(record("something else"))
    now[0] = 61.0
    r = record("Exception in ASGI application")
    assert folding.filter(r)
    records.append(r.getMessage())
    assert records == [
        "Exception in ASGI application",
        "Exception in ASGI application (and 999 more like it in the last 60 s)",
    ]


@pytest.fixture
def slow_server(tmp_path):
    running = Running(tmp_path, twilio=None, telegram=None, VOORZORG_SANDBOX="1")  # chosen
    yield running
    if running.process and running.process.poll() is None:
        running.stop()


def test_a_client_that_never_finishes_its_headers_is_cut_off(slow_server):
    """Slowloris: uvicorn has no header timeout of its own; serve adds one (10 s)."""
    slow_server.start()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=30) as sock:
        sock.sendall(b"POST /webhooks/twilio HTTP/1.1\r\nHost: x\r\n")
        while time.monotonic() - started < 25:  # a byte now and then, never the end
            try:
                sock.sendall(b"X")
                if sock.recv(1, socket.MSG_DONTWAIT) == b"":
                    break  # closed by the server
            except BlockingIOError:
                pass
            except OSError:
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - started
    assert elapsed < 20
    assert "too slow sending its headers" in slow_server.log.read_text()
