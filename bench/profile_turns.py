"""Where one conversation turn's time goes, in-process (no web server, no HTTP).

    .venv/bin/python bench/profile_turns.py [--turns 3000] [--rounds 1] [--body ja]
                                            [--top 25] [--pyinstrument]

Imports `--turns` cases, stores one arrival per case ("ja", like a webhook would:
InboundWriter, one group commit) and runs `Processor.process_pending` until none is left,
three times over fresh cases:

1. timed: wall time per turn, CPU of the event-loop thread, time the aiosqlite worker
   thread spends inside SQLite, round trips to that thread (calls of
   `aiosqlite.Connection._execute`) and SQL statements per turn;
2. under cProfile: the cost per turn by part (sealing, rendering, engine, ...) and the
   top functions (cProfile adds overhead, so compare the parts with each other);
3. under pyinstrument, with --pyinstrument (pip install pyinstrument).

`--rounds 2` makes every case answer twice (the second turn of a conversation).
Durable SQLite (WAL, synchronous=FULL) in a temporary directory, as `serve` uses it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import io
import pstats
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.channels.base import Arrival
from bot.clock import FakeClock
from bot.config import load_settings
from bot.outreach.cohort import import_cohort
from bot.outreach.importing import parse_organisations
from bot.outreach.inbound import InboundWriter
from bot.outreach.processing import BATCH, Processor
from bot.runtime import Runtime, open_runtime
from storage.organisations import save_organisation

ROOT = Path(__file__).resolve().parent.parent
AMS = ZoneInfo("Europe/Amsterdam")
IMPORTED = dt.datetime(2026, 12, 14, 9, 0, tzinfo=AMS)  # a Monday
NOW = IMPORTED + dt.timedelta(hours=2)
HEADER = "reference,first_name,phone,municipality,report_date,prison,language"

# Parts of a turn: (label, file suffix, function names); cumulative time of those entry
# points. Indented parts are inside the part above them (measured with print_callers).
PARTS = [
    (
        "waiting in epoll for the aiosqlite thread",
        "~",
        {"<method 'poll' of 'select.epoll' objects>"},
    ),
    (
        "GIL hand-off to the thread (put_nowait)",
        "~",
        {"<method 'put_nowait' of '_queue.SimpleQueue' objects>"},
    ),
    (
        "engine: begin/reply/resume/remind",
        "conversations/engine.py",
        {"begin", "reply", "resume", "remind"},
    ),
    ("  rendering (constant, substituted, sandbox)", "conversations/render.py", {"render"}),
    ("  state to JSON", "conversations/state.py", {"to_json"}),
    ("turns.receive: a whole turn, minus its waits", "bot/outreach/turns.py", {"receive"}),
    ("  match_keyword (called by turns.receive)", "conversations/matching.py", {"match_keyword"}),
    ("sealing: Vault.seal + Vault.open", "storage/crypto.py", {"seal", "open"}),
    ("lookup hashes (HMAC-SHA256)", "storage/crypto.py", {"lookup_hash"}),
    ("SMS segments (queue_message)", "conversations/segments.py", {"count_segments"}),
    ("json.loads/dumps", "json/__init__.py", {"loads", "dumps"}),
]


@dataclass
class Counters:
    hops: Counter = field(default_factory=Counter)
    statements: list[str] = field(default_factory=list)  # as traced; grouped after timing
    sqlite_seconds: float = 0.0
    active: bool = False  # counting only while the timed pass processes


COUNTERS = Counters()


def instrument_aiosqlite() -> None:
    """Count every round trip to aiosqlite's worker thread and time the work done there."""
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        if not COUNTERS.active:
            return await original(self, fn, *args, **kwargs)
        COUNTERS.hops[getattr(fn, "__name__", "?")] += 1

        def timed():
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                COUNTERS.sqlite_seconds += time.perf_counter() - started

        return await original(self, timed)

    aiosqlite.Connection._execute = counted


def _statement(sql: str) -> None:
    """Keep the statement only: grouping it costs regular expressions over the values
    SQLite spells out (sealed blobs too), some 190 us a turn inside the timed pass."""
    if COUNTERS.active:
        COUNTERS.statements.append(sql)


def statement_counts() -> Counter:
    """The traced statements, values replaced, whitespace squeezed, first 90 characters."""
    counts: Counter = Counter()
    for sql in COUNTERS.statements:
        text = re.sub(r"\s+", " ", sql).strip()
        text = re.sub(r"'[^']*'|\b\d+\b", "?", text)  # values do not make a statement
        counts[text[:90]] += 1
    return counts


async def trace_statements(rt: Runtime) -> None:
    for conn in (rt.db._writer, rt.db._reader):
        await conn.set_trace_callback(_statement)


async def load_organisations(rt: Runtime) -> None:
    data = (ROOT / "examples" / "organisations.yaml").read_bytes()
    async with rt.db.transaction() as tx:
        for _, org in parse_organisations(data, {}).items:
            await save_organisation(tx, org, "2026-01-01T00:00:00+00:00")


def phone(i: int) -> str:
    return f"+316{20000000 + i}"


async def import_cases(rt: Runtime, first: int, count: int) -> None:
    lines = [HEADER] + [
        f"PT-{i:07d},Naam,{phone(i)},Venlo,2027-02-15,,nl" for i in range(first, first + count)
    ]
    await import_cohort(rt, ("\n".join(lines) + "\n").encode(), IMPORTED.astimezone(dt.UTC))


async def store(rt: Runtime, first: int, count: int, body: str, round_: int) -> None:
    """One arrival per case, committed to the inbox together like concurrent webhooks."""
    writer = InboundWriter(rt.inbox, rt.vault, lambda: None)
    task = asyncio.create_task(writer.run())
    at = (NOW + dt.timedelta(minutes=round_)).astimezone(dt.UTC).isoformat()
    await asyncio.gather(
        *(
            writer.store(Arrival("sms", f"SM{round_:08x}{i:024x}", phone(i), "text", body), at)
            for i in range(first, first + count)
        )
    )
    await writer.close()
    await task


async def process_all(rt: Runtime, round_: int) -> int:
    clock = FakeClock((NOW + dt.timedelta(minutes=round_, seconds=30)).astimezone(dt.UTC))
    processor = Processor(rt, clock)
    done = 0
    while n := await processor.process_pending(BATCH):
        done += n
    await processor.forget()
    return done


async def rounds(rt: Runtime, first: int, count: int, args, measure) -> float:
    """Stores and processes `args.rounds` messages per case; returns the seconds measured."""
    measured = 0.0
    for round_ in range(args.rounds):
        await store(rt, first, count, args.body, round_)
        measured += await measure(lambda r=round_: process_all(rt, r))
    return measured


def per_turn(seconds: float, turns: int) -> str:
    return f"{seconds / turns * 1e6:8,.0f} us"


async def timed_pass(rt: Runtime, first: int, args) -> None:
    turns = args.turns * args.rounds
    cpu = 0.0

    async def measure(run) -> float:
        nonlocal cpu
        COUNTERS.active = True
        started, started_cpu = time.perf_counter(), time.thread_time()
        try:
            done = await run()
        finally:
            COUNTERS.active = False
        cpu += time.thread_time() - started_cpu
        assert done == args.turns, f"processed {done}, expected {args.turns}"
        return time.perf_counter() - started

    queued = "SELECT count(*) FROM outbox WHERE audience = 'person'"
    before = (await rt.db.fetchone(queued))[0]
    wall = await rounds(rt, first, args.turns, args, measure)
    replies = (await rt.db.fetchone(queued))[0] - before
    print(f"\n{turns:,} turns ({args.body!r}, {args.rounds} per case), batches of {BATCH}")
    print(f"  wall time          {per_turn(wall, turns)}/turn  ({turns / wall:,.0f} turns/s)")
    print(f"  event-loop thread  {per_turn(cpu, turns)}/turn CPU")
    print(f"  in SQLite (worker) {per_turn(COUNTERS.sqlite_seconds, turns)}/turn")
    hops = sum(COUNTERS.hops.values())
    kinds = ", ".join(f"{k} {n / turns:.1f}" for k, n in COUNTERS.hops.most_common())
    print(f"  round trips to the aiosqlite thread: {hops / turns:.1f}/turn ({kinds})")
    print(f"  replies queued: {replies / turns:.2f}/turn")
    counts = statement_counts()
    statements = sum(counts.values())
    print(f"  SQL statements: {statements / turns:.1f}/turn; the most frequent, per turn:")
    for sql, n in counts.most_common(args.top):
        print(f"    {n / turns:5.2f}  {sql}")


def parts_table(stats: pstats.Stats, turns: int, wall: float) -> None:
    entries = stats.stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    print(f"  {'wall time under the profiler':45}{per_turn(wall, turns)}/turn")
    for label, suffix, names in PARTS:
        found = [
            (key, value)
            for key, value in entries.items()
            if key[0].endswith(suffix) and (names is None or key[2] in names)
        ]
        # cumulative time of the outermost calls only: skip recursive entries
        cumulative = sum(value[3] for _, value in found)
        calls = sum(value[1] for _, value in found)
        print(f"  {label:45}{per_turn(cumulative, turns)}/turn  {calls / turns:6.1f} calls/turn")
    print("  (coroutines count a call per resume; cProfile times only the event-loop thread)")


async def profiled_pass(rt: Runtime, first: int, args) -> None:
    turns = args.turns * args.rounds
    profiler = cProfile.Profile()

    async def measure(run) -> float:
        started = time.perf_counter()
        profiler.enable()
        try:
            await run()
        finally:
            profiler.disable()
        return time.perf_counter() - started

    wall = await rounds(rt, first, args.turns, args, measure)
    stats = pstats.Stats(profiler)
    print(f"\ncProfile, per turn (with the profiler's overhead), {turns:,} turns:")
    parts_table(stats, turns, wall)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
    print(f"\n  top {args.top} functions by own time (totals over {turns:,} turns):")
    body = out.getvalue().split("\n   ncalls", 1)[-1]
    print("   ncalls" + body.rstrip())


async def pyinstrument_pass(rt: Runtime, first: int, args) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled")

    async def measure(run) -> float:
        profiler.start()
        try:
            await run()
        finally:
            profiler.stop()
        return 0.0

    await rounds(rt, first, args.turns, args, measure)
    print(profiler.output_text(unicode=False, color=False, show_all=False))


async def main(args: argparse.Namespace) -> None:
    instrument_aiosqlite()
    passes = [timed_pass, profiled_pass] + ([pyinstrument_pass] if args.pyinstrument else [])
    with tempfile.TemporaryDirectory(prefix="voorzorg-profile-") as tmp:
        settings = load_settings(db=f"{tmp}/v.db", environ={"VOORZORG_SECRET_KEY": "x" * 40})
        async with open_runtime(settings, inline=args.inline) as rt:
            await load_organisations(rt)
            started = time.perf_counter()
            for n in range(len(passes)):
                await import_cases(rt, n * args.turns, args.turns)
            print(
                f"imported {len(passes) * args.turns:,} cases in "
                f"{time.perf_counter() - started:.1f} s"
            )
            # the first turn loads and compiles the script version (once per process)
            await import_cases(rt, len(passes) * args.turns, 10)
            await store(rt, len(passes) * args.turns, 10, args.body, 0)
            await process_all(rt, 0)
            await trace_statements(rt)
            for n, one_pass in enumerate(passes):
                await one_pass(rt, n * args.turns, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3000, help="cases, one turn each a round")
    parser.add_argument("--rounds", type=int, default=1, help="messages per case")
    parser.add_argument("--body", default="ja")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument(
        "--inline", action="store_true", help="SQLite on the loop thread, as the worker runs it"
    )
    asyncio.run(main(parser.parse_args()))
