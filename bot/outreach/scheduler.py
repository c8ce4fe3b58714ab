"""Timers are rows: due events are claimed and run once, by `serve` or `voorzorg tick`.

An event is claimed in the same transaction as its effects, so two ticks at once (or a
tick twice) run nothing twice, and a crash loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import aiosqlite

from bot.clock import Clock
from bot.runtime import Runtime
from storage import events
from storage.db import savepoint

log = logging.getLogger("voorzorg.scheduler")
T = TypeVar("T")
BATCH = 100
RETRY_AFTER = (dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2))
# ...and a last try on the next working day; after that the contact person hears of it
FAILED_KIND = "timer_failed"  # the timer that tells the contact person


@dataclass(frozen=True)
class Event:
    id: int
    case_id: int | None
    kind: str
    due_at: dt.datetime
    payload: dict
    attempts: int = 0  # how often its handler failed before


class Result(enum.StrEnum):
    """What running an event came to, as counted by `tick`."""

    SENT = "sent"
    ESCALATED = "escalated"
    PURGED = "purged"
    WAITING = "waiting"  # nothing to do yet (no channel until the letter's code is used)
    DROPPED = "dropped"  # no longer makes sense; the detail says why
    FAILED = "failed"
    RETRYING = "retrying"  # the handler failed; it runs again later (`RETRY_AFTER`)
    POSTPONED = "postponed"
    TAKEN = "taken"  # another tick ran it


@dataclass(frozen=True)
class Done:
    """An event's result and, for people reading the row, why."""

    result: Result
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.result}: {self.detail}" if self.detail else str(self.result)


def sent(detail: str) -> Done:
    return Done(Result.SENT, detail)


def dropped(detail: str) -> Done:
    return Done(Result.DROPPED, detail)


@dataclass(frozen=True)
class Postpone:
    """Not now (outside the sending window): run the event again at `until`."""

    until: dt.datetime


Handler = Callable[[aiosqlite.Connection, Runtime, Event, dt.datetime], Awaitable[Done | Postpone]]


async def schedule(
    tx: aiosqlite.Connection, case_id: int | None, kind: str, due: dt.datetime, **payload
) -> None:
    await events.schedule(tx, case_id, kind, due, payload)


async def cancel(
    tx: aiosqlite.Connection, case_id: int, kinds: tuple[str, ...], now: dt.datetime, why: str
) -> None:
    await events.cancel(tx, case_id, kinds, now, why)


async def tick(rt: Runtime, handlers: dict[str, Handler], now: dt.datetime) -> Counter:
    """Run everything due at `now`; returns results counted by (kind, result).

    Events run in id order, `BATCH` to a transaction; one due in the meantime (a timer an
    event planned for now) runs in the same tick. Reads made through `once` (an
    organisation's rules) are made once per tick.
    """
    counts: Counter = Counter()
    last_id = 0
    with reading_once():
        while ids := await events.due_ids(rt.db, now, last_id):
            last_id = ids[-1]
            for start in range(0, len(ids), BATCH):
                rows = await events.due_by_ids(rt.db, now, ids[start : start + BATCH])
                async with rt.db.transaction() as tx:
                    for row in rows:
                        event = Event(
                            row["id"],
                            row["case_id"],
                            row["kind"],
                            dt.datetime.fromisoformat(row["due_at"]),
                            json.loads(row["payload"]),
                            row["attempts"],
                        )
                        result = await _run(tx, rt, handlers, event, now)
                        counts[(event.kind, str(result))] += 1
    if any(result == Result.PURGED for _, result in counts):
        await rt.db.checkpoint()  # erased data leaves the WAL too
    return counts


_read_once: ContextVar[dict[Hashable, Any] | None] = ContextVar("read_once", default=None)


@contextlib.contextmanager
def reading_once() -> Iterator[None]:
    """Within the block (a tick, an import), `once` reads each thing one time."""
    token = _read_once.set({})
    try:
        yield
    finally:
        _read_once.reset(token)


async def once(key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
    """`read()`, or what it gave before for `key` within `reading_once` (outside it, a
    fresh read every time)."""
    cache = _read_once.get()
    if cache is None:
        return await read()
    if key not in cache:
        cache[key] = await read()
    return cache[key]


async def _run(tx, rt: Runtime, handlers: dict[str, Handler], event: Event, now) -> Result:
    if not await events.claim(tx, event.id, now):
        return Result.TAKEN
    handler = handlers.get(event.kind)
    if handler is None:
        done: Done | Postpone = dropped(f"no handler for {event.kind}")
    else:
        try:
            async with savepoint(tx, "event"):
                done = await handler(tx, rt, event, now)
        except Exception as exc:
            log.exception("event %s (%s) failed", event.id, event.kind)
            return await _failed(tx, rt, event, type(exc).__name__, now)
    if isinstance(done, Postpone):
        await events.postpone(tx, event.id, done.until)
        return Result.POSTPONED
    await events.finish(tx, event.id, str(done))
    return done.result


async def _failed(tx, rt: Runtime, event: Event, reason: str, now: dt.datetime) -> Result:
    """Try a failed event again later; after the last try, give up and plan a timer
    that tells the case's contact person why (that one is not escalated in turn)."""
    tries = event.attempts + 1
    if tries <= len(RETRY_AFTER) + 1:
        due = now + RETRY_AFTER[tries - 1] if tries <= len(RETRY_AFTER) else None
        due = due or rt.calendar.add_working_days(now, 1)
        await events.retry(tx, event.id, due, tries, f"retry {tries}: {reason}")
        return Result.RETRYING
    await events.finish(tx, event.id, f"failed: {reason} ({tries} tries)")
    if event.case_id is not None and event.kind != FAILED_KIND:
        await schedule(tx, event.case_id, FAILED_KIND, now, timer=event.kind, reason=reason)
    return Result.FAILED


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
