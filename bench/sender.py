"""The sender against the fake Twilio: messages a second, and the pace it keeps.

    .venv/bin/python bench/sender.py [--messages 10000] [--pace 100]

Queues `--messages` SMS to as many people and delivers them with `voorzorg tick`'s sender
(`deliver_due`, SQLite inline) through the real Twilio SDK, over HTTP, to
`bot.channels.fakes.FakeTwilio`, with a pace that allows 5,000 a second; then sends two
seconds' worth at `--pace` a second and prints the rate reached. The fake runs in a process
of its own, as Twilio is not in ours (on the 2-core machine it has the other core).
`bench/scheduler.py` uses the same functions for the messages its tick queued.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.channels.fakes import FakeTwilio, free_port
from bot.channels.twilio import TwilioChannel
from bot.clock import Clock, SystemClock
from bot.config import Settings, load_settings
from bot.outreach.sender import deliver_due
from bot.runtime import Runtime, open_runtime
from storage.outbox import queue_message

UNLIMITED = 5000.0  # a pace that does not hold the sender back


def _serve(port: int, ready) -> None:
    FakeTwilio(port=port).start()
    ready.set()
    while True:
        time.sleep(3600)


@contextmanager
def fake_twilio() -> Iterator[dict[str, str]]:
    """The fake Twilio in a process of its own; yields the settings that point at it."""
    context = multiprocessing.get_context("spawn")
    port, ready = free_port(), context.Event()
    process = context.Process(target=_serve, args=(port, ready), daemon=True)
    process.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the fake Twilio did not start")
        yield {
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
            "TWILIO_AUTH_TOKEN": "token",
            "TWILIO_FROM": "+3197010000000",
            "TWILIO_API_URL": f"http://127.0.0.1:{port}",
        }
    finally:
        process.terminate()
        process.join(10)


async def deliver(
    rt: Runtime, settings: Settings, pace: float, clock: Clock | None = None
) -> tuple[int, float, float]:
    """Deliver every SMS due by `clock` at `pace` a second; (messages sent, seconds, CPU
    seconds of this process)."""
    channel = TwilioChannel(settings, "sms", messages_per_second=pace)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        tally = await deliver_due(rt, {"sms": channel}, clock or SystemClock())
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await channel.close()
    return sum(tally.values()), elapsed, cpu


async def queue(rt: Runtime, count: int, first: int = 0) -> None:
    now = dt.datetime.now(dt.UTC)
    async with rt.db.transaction() as tx:
        for n in range(first, first + count):
            phone = f"+316{30000000 + n}"
            await queue_message(tx, rt.vault, None, "sms", phone, f"Bericht {n}", (), now)


def delivered(sent: int, elapsed: float, cpu: float) -> str:
    per = f", {cpu / sent * 1000:.2f} ms CPU a message" if sent else ""
    return f"sender, {sent:,} messages: {sent / elapsed:,.0f}/s ({elapsed:.1f} s{per})"


async def main(messages: int, pace: float) -> None:
    with fake_twilio() as twilio, tempfile.TemporaryDirectory() as tmp:
        environ = {"VOORZORG_SECRET_KEY": "x" * 40, **twilio}
        settings = load_settings(db=f"{tmp}/v.db", environ=environ)
        async with open_runtime(settings, inline=True) as rt:
            await queue(rt, messages)
            print(delivered(*await deliver(rt, settings, UNLIMITED)))
            await queue(rt, int(pace * 2), first=messages)
            sent, elapsed, _ = await deliver(rt, settings, pace)
            print(f"sender at a pace of {pace:g}/s: {sent:,} messages in {elapsed:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--pace", type=float, default=100.0)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.pace))
