"""Timers are rows: due events are claimed and run once, by `serve` or `voorzorg tick`.

An event is claimed by setting `done_at` in the same transaction as its effects, so two
ticks at once (or a tick twice) run nothing twice, and a crash loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosqlite

from bot.clock import Clock
from bot.runtime import Runtime
from storage.db import fetchall

log = logging.getLogger("voorzorg.scheduler")
BATCH = 100


@dataclass(frozen=True)
class Event:
    id: int
    case_id: int | None
    kind: str
    due_at: dt.datetime
    payload: dict


@dataclass(frozen=True)
class Postpone:
    """Not now (quiet hours): run the event again at `until`."""

    until: dt.datetime


Handler = Callable[[aiosqlite.Connection, Runtime, Event, dt.datetime], Awaitable["str | Postpone"]]


async def schedule(
    tx: aiosqlite.Connection, case_id: int | None, kind: str, due: dt.datetime, **payload
) -> None:
    await tx.execute(
        "INSERT INTO scheduled_events (case_id, kind, due_at, payload) VALUES (?, ?, ?, ?)",
        (case_id, kind, due.astimezone(dt.UTC).isoformat(), json.dumps(payload)),
    )


async def cancel(
    tx: aiosqlite.Connection, case_id: int, kinds: tuple[str, ...], now: dt.datetime, why: str
) -> None:
    marks = ",".join("?" * len(kinds))
    await tx.execute(
        f"""UPDATE scheduled_events SET done_at = ?, outcome = ?
            WHERE case_id = ? AND done_at IS NULL AND kind IN ({marks})""",
        (now.isoformat(), f"cancelled: {why}", case_id, *kinds),
    )


async def tick(rt: Runtime, handlers: dict[str, Handler], now: dt.datetime) -> Counter:
    """Run everything due at `now`; returns outcomes counted by kind and outcome."""
    counts: Counter = Counter()
    last_id = 0
    while True:
        rows = await rt.db.fetchall(
            """SELECT * FROM scheduled_events WHERE done_at IS NULL AND due_at <= ? AND id > ?
               ORDER BY id LIMIT ?""",
            (now.isoformat(), last_id, BATCH),
        )
        if not rows:
            return counts
        last_id = rows[-1]["id"]
        async with rt.db.transaction() as tx:
            for row in rows:
                event = Event(
                    row["id"],
                    row["case_id"],
                    row["kind"],
                    dt.datetime.fromisoformat(row["due_at"]),
                    json.loads(row["payload"]),
                )
                outcome = await _run(tx, rt, handlers, event, now)
                counts[(event.kind, outcome.split(":")[0])] += 1


async def _run(tx, rt: Runtime, handlers: dict[str, Handler], event: Event, now) -> str:
    claimed = await tx.execute(
        """UPDATE scheduled_events SET done_at = ?, outcome = 'running'
           WHERE id = ? AND done_at IS NULL""",
        (now.isoformat(), event.id),
    )
    if claimed.rowcount == 0:
        return "taken"  # another tick got it first
    handler = handlers.get(event.kind)
    if handler is None:
        outcome: str | Postpone = f"dropped: no handler for {event.kind}"
    else:
        await tx.execute("SAVEPOINT event")
        try:
            outcome = await handler(tx, rt, event, now)
            await tx.execute("RELEASE event")
        except Exception as exc:
            await tx.execute("ROLLBACK TO event")
            await tx.execute("RELEASE event")
            log.exception("event %s (%s) failed", event.id, event.kind)
            outcome = f"failed: {type(exc).__name__}"
    if isinstance(outcome, Postpone):
        await tx.execute(
            "UPDATE scheduled_events SET done_at = NULL, outcome = NULL, due_at = ? WHERE id = ?",
            (outcome.until.astimezone(dt.UTC).isoformat(), event.id),
        )
        return "postponed"
    await tx.execute("UPDATE scheduled_events SET outcome = ? WHERE id = ?", (outcome, event.id))
    return outcome


async def pending(tx: aiosqlite.Connection, case_id: int, kind: str) -> list:
    return await fetchall(
        tx,
        "SELECT * FROM scheduled_events WHERE case_id = ? AND kind = ? AND done_at IS NULL",
        (case_id, kind),
    )


class SchedulerLoop:
    """`serve`'s scheduler: a tick every `interval` seconds."""

    def __init__(
        self,
        rt: Runtime,
        clock: Clock,
        handlers: dict[str, Handler],
        interval: float = 30.0,
        after=None,
    ):
        self.rt = rt
        self.clock = clock
        self.handlers = handlers
        self.interval = interval
        self.after = after or (lambda: None)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if await tick(self.rt, self.handlers, self.clock.now()):
                    self.after()
            except Exception:
                log.exception("tick failed; next one in %ss", self.interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
