"""Import, tick and send at scale: a cohort of 100,000 cases with pending events.

    .venv/bin/python bench/scheduler.py [--cases 100000] [--sending 5000]

(a quick check: --cases 2000 --sending 500)

Imports the cohort through the real import path, inline as `voorzorg import` runs (every
case gets its outreach and purge events), then times one tick when nothing is due, and one
tick in which `--sending` outreach events are due (two messages each: 10,000 messages into
the outbox). Then the sender delivers those messages through the real Twilio SDK to the
fake Twilio in a process of its own (`bench/sender.py`) at a pace that allows 5,000 a
second, and sends two seconds' worth at 100 a second to show the pace kept. Last, the
process's peak RSS. (No tracemalloc: it slowed the tick it measured about threefold.)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sender import UNLIMITED, deliver, delivered, fake_twilio, queue

from bot.clock import FakeClock
from bot.config import load_settings
from bot.outreach import timeline
from bot.outreach.cohort import import_cohort
from bot.outreach.importing import parse_organisations
from bot.outreach.scheduler import tick
from bot.runtime import Runtime, open_runtime
from storage.organisations import save_organisation

ROOT = Path(__file__).resolve().parent.parent
AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = dt.datetime(2026, 12, 14, 9, 0, tzinfo=AMS)


async def load_organisations(rt: Runtime) -> None:
    """The example organisations (Venlo and its neighbours), as `voorzorg org load` does."""
    data = (ROOT / "examples" / "organisations.yaml").read_bytes()
    async with rt.db.transaction() as tx:
        for _, org in parse_organisations(data, {}).items:
            await save_organisation(tx, org, "2026-01-01T00:00:00+00:00")


def rows(start: int, count: int) -> bytes:
    lines = ["reference,first_name,phone,municipality,report_date,prison,language"]
    lines += [
        f"ZM-{i:07d},Naam,+316{20000000 + i},Venlo,2027-01-29,,nl"
        for i in range(start, start + count)
    ]
    return ("\n".join(lines) + "\n").encode()


async def timed_tick(rt, now: dt.datetime) -> tuple[float, float, dict]:
    """(seconds, CPU seconds, what ran): on a shared machine the CPU time says more."""
    started, cpu = time.perf_counter(), time.process_time()
    counts = await tick(rt, timeline.HANDLERS, now.astimezone(dt.UTC))
    return time.perf_counter() - started, time.process_time() - cpu, dict(counts)


async def main(cases: int, sending: int) -> None:
    with fake_twilio() as twilio, tempfile.TemporaryDirectory() as tmp:
        environ = {"VOORZORG_SECRET_KEY": "x" * 40, **twilio}
        settings = load_settings(db=f"{tmp}/v.db", environ=environ)
        async with open_runtime(settings, inline=True) as rt:
            await load_organisations(rt)
            started, cpu = time.perf_counter(), time.process_time()
            await import_cohort(rt, rows(0, sending), MONDAY.astimezone(dt.UTC))
            await import_cohort(
                rt,
                rows(sending, cases - sending),
                (MONDAY + dt.timedelta(hours=3)).astimezone(dt.UTC),
            )
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"import of {cases:,} cases: {elapsed:.1f} s ({cpu:.1f} s CPU)")
            pending = await rt.db.fetchone(
                "SELECT count(*) FROM scheduled_events WHERE done_at IS NULL"
            )
            print(f"pending events: {pending[0]:,}")

            idle = await timed_tick(rt, MONDAY - dt.timedelta(hours=1))
            print(f"tick, nothing due: {idle[0] * 1000:.1f} ms  {idle[2]}")
            busy = await timed_tick(rt, MONDAY + dt.timedelta(hours=1))
            (queued,) = await rt.db.fetchone("SELECT count(*) FROM outbox")
            print(f"tick, {queued:,} messages: {busy[0]:.1f} s ({busy[1]:.1f} s CPU)  {busy[2]}")

            clock = FakeClock(MONDAY + dt.timedelta(hours=1))  # when the tick queued them
            print(delivered(*await deliver(rt, settings, UNLIMITED, clock)))
            await queue(rt, 200)  # due now
            sent, elapsed, _ = await deliver(rt, settings, 100.0)
            print(f"sender at a pace of 100/s: {sent:,} messages in {elapsed:.2f} s")
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"process peak RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--sending", type=int, default=5_000)
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.sending))
