"""Delivering the outbox, exactly once: each message is claimed ('sending', committed)
before the provider call and recorded right after it; paced per channel, retried with
backoff, failures kept visible and acted on.

Messages go out several at a time (`IN_FLIGHT` provider calls at once), each channel at
its own pace, claimed a group at a time in one commit: no more than each channel's pace
sends in `CLAIM_AHEAD`, and one message per person, whose next message is claimed only
once this one is recorded (so theirs arrive in order, and what one came to, a template
sent or a dead route, counts for the next). Results that come in together are recorded in
one transaction.

A message found 'sending' after a crash (or a timed-out call) is not sent again blindly:
Twilio is asked what it accepted (its message list, by recipient and time) and that is
recorded. Telegram cannot be asked; see `_ask_provider`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import socket
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosqlite

from bot.channels.base import Channel, Delivery
from bot.clock import Clock, idle
from bot.errors import (
    RecipientGone,
    RecipientOptedOut,
    RecipientUnreachable,
    SendError,
    SendOutcomeUnknown,
)
from bot.outreach import delivery, whatsapp
from bot.runtime import Runtime
from storage import cases, outbox
from storage.db import savepoint

log = logging.getLogger("voorzorg.sender")

BACKOFF_SECONDS = (5, 30, 120, 600, 1800)  # then the message is failed
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
# A claimed message is in doubt once its sender has been quiet this long: longer than any
# provider call may take (Twilio's client gives up after 15 s).
CHECK_AFTER = dt.timedelta(seconds=60)
HOST = socket.gethostname()
IN_FLIGHT = 32  # provider calls at once, over all channels
CLAIM_AHEAD = 0.25  # seconds: a group claims what each channel's pace sends in this time


@dataclass(frozen=True)
class Attempt:
    """What one try at sending came to; recorded in its own transaction."""

    row: sqlite3.Row
    status: str  # a provider status; "failed"; "pending" or "sending" (in doubt) to retry
    provider_id: str | None = None
    error: str | None = None
    retry_at: dt.datetime | None = None
    opt_out: bool = False
    unreachable: bool = False  # this address cannot get messages on this channel
    content_sid: str | None = None  # the WhatsApp template it went as
    reroute: bool = False  # not sent: WhatsApp's window is closed, SMS instead


def _claimer() -> str:
    """Who claims: host and process (to see whether it still lives), and this sender."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claimer_is_dead(claimer: str | None) -> bool:
    """Whether the process that claimed a message is gone (same host, pid not running).

    Unknown claimers (another host, this very process) count as alive: their messages
    are settled once they have been quiet for `CHECK_AFTER`.
    """
    if not claimer:
        return False
    host, _, rest = claimer.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Sender:
    def __init__(
        self,
        rt: Runtime,
        channels: dict[str, Channel],
        clock: Clock,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        in_flight: int = IN_FLIGHT,
    ):
        self.rt = rt
        self.channels = channels
        self.clock = clock
        self.sleep = sleep  # pacing waits; a test passes its own
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self.claimer = _claimer()
        self._next_slot: dict[str, float] = {}
        self.in_flight = in_flight
        self._calls = asyncio.Semaphore(in_flight)  # provider calls under way
        self._refused: set[tuple[int, str]] = set()  # (case, channel) opted out at the carrier
        self._to_record: list[tuple[Attempt, asyncio.Future]] = []
        self._recording = False
        self.tally: Counter = Counter()  # statuses recorded, for `voorzorg tick` to print

    async def run(self, stop: asyncio.Event) -> None:
        self.stopping = stop
        while not stop.is_set():
            try:
                sent = await self.send_due()
            except Exception:
                log.exception("sending failed; retrying")
                sent = 0
            if sent:
                continue
            await idle(self.wake, stop, seconds=1.0)

    async def send_due(self, limit: int = 200) -> int:
        """Settle messages in doubt, then send what is due (up to `limit`); returns how
        many were handled.

        A group is claimed once every call of the group before it is under way; a
        recipient with a message under way waits until it is recorded.
        """
        handled = await self.settle_in_doubt()
        waiting = list(await outbox.due(self.rt.db, self.clock.now(), limit))
        busy: set[tuple] = set()  # recipients with a message under way
        freed = asyncio.Event()
        try:
            async with asyncio.TaskGroup() as tasks:
                while waiting and not self.stopping.is_set():  # stopping: the rest waits
                    group, waiting = self._next_group(waiting, busy)
                    if not group:
                        freed.clear()
                        await freed.wait()
                        continue
                    now = self.clock.now()
                    ids = [row["id"] for row in group]
                    # Fresh rows: another sender (serve, tick) may have taken some, and
                    # what was recorded before may have cancelled or moved others.
                    claimed = await outbox.claim(
                        self.rt.db, ids, self.claimer, now, now + CHECK_AFTER
                    )
                    under_way = []
                    for row in claimed:
                        busy.add(_recipient(row))
                        under_way.append(asyncio.Event())
                        tasks.create_task(self._send_one(row, under_way[-1], busy, freed))
                    for started in under_way:
                        await started.wait()
                    handled += len(claimed)
        except ExceptionGroup as failed:  # the database: every message failed alike
            raise failed.exceptions[0] from None
        return handled

    def _next_group(
        self, waiting: list[sqlite3.Row], busy: set[tuple]
    ) -> tuple[list[sqlite3.Row], list[sqlite3.Row]]:
        """The messages to claim now, and those that wait: per channel what its pace
        sends in `CLAIM_AHEAD` (at least one), no more than `in_flight` in all, and one
        message per recipient, none for a recipient with one under way, so that a
        person's messages go in order, each after what the one before came to (a failure
        that sends the rest another way, a template the rest waits for).

        So a claimed message's call starts within a step of its channel's pace and one
        provider call (the group before it still under way): long before `CHECK_AFTER`,
        when another sender would take it for one in doubt."""
        room: dict[str, int] = {}
        group, later, seen = [], [], set(busy)
        for row in waiting:
            if row["channel"] not in room:
                channel = self.channels.get(row["channel"])
                pace = channel.messages_per_second if channel else len(waiting)
                room[row["channel"]] = max(1, int(pace * CLAIM_AHEAD))
            recipient = _recipient(row)
            full = len(group) >= self.in_flight
            if full or recipient in seen or not room[row["channel"]]:
                later.append(row)
            else:
                room[row["channel"]] -= 1
                group.append(row)
            seen.add(recipient)
        return group, later

    async def _send_one(
        self, row: sqlite3.Row, started: asyncio.Event, busy: set[tuple], freed: asyncio.Event
    ) -> None:
        """Send (`started` is set once the provider call begins, or the try ended
        without one) and record; then the recipient's next message may go."""
        try:
            attempt = await self.attempt(row, started)
        finally:
            started.set()
        try:
            await self._record_soon(attempt)
        finally:
            busy.discard(_recipient(row))
            freed.set()

    async def _record_soon(self, attempt: Attempt) -> None:
        """Record the attempt together with the others that came in meanwhile (one
        transaction for all of them); returns once it is committed."""
        done = asyncio.get_running_loop().create_future()
        self._to_record.append((attempt, done))
        if not self._recording:
            self._recording = True
            try:
                while self._to_record:
                    await asyncio.sleep(0)  # let the answers that have come in join
                    batch, self._to_record = self._to_record, []
                    try:
                        await self.record_many([a for a, _ in batch])
                    except Exception as exc:
                        for _, waiter in batch:
                            waiter.set_exception(exc)
                    else:
                        for _, waiter in batch:
                            waiter.set_result(None)
            finally:
                self._recording = False
        await done

    async def settle_in_doubt(self) -> int:
        """Messages left 'sending' by a dead sender or a timed-out call: ask, then act."""
        now = self.clock.now()
        settled = 0
        for row in await outbox.in_doubt(self.rt.db):
            quiet = dt.datetime.fromisoformat(row["next_attempt_at"]) <= now
            if not (quiet or claimer_is_dead(row["claimed_by"])):
                continue
            claimed = await outbox.reclaim(self.rt.db, row, self.claimer, now, now + CHECK_AFTER)
            if claimed is None:
                continue
            try:
                found = await self._ask_provider(claimed)
            except SendError as exc:
                why = f"cannot ask the provider yet: {exc.reason}"
                later = now + CHECK_AFTER
                await self.record_many([Attempt(claimed, "sending", error=why, retry_at=later)])
                continue
            if found is not None:
                log.info("outbox %s: the provider had accepted it; recorded", row["id"])
                attempt = Attempt(claimed, found.status, provider_id=found.provider_id)
            else:
                attempt = await self.attempt(claimed)
            await self.record_many([attempt])
            settled += 1
        return settled

    async def _ask_provider(self, row: sqlite3.Row) -> Delivery | None:
        """What the provider accepted of this message, if it can tell.

        Twilio lists messages by recipient and time. Telegram's Bot API cannot list what a
        bot sent, so a Telegram message in doubt is sent again: at least once. The window
        is the few milliseconds of one call, and for a person under stress an answer that
        comes twice is better than a question that never comes (the conversation waits
        for a reply to it). E-mail and the sandbox are resent too.
        """
        channel = self.channels.get(row["channel"])
        accepted = getattr(channel, "accepted", None)
        if accepted is None or not row["sending_at"]:
            return None
        vault = self.rt.vault
        found = await accepted(
            vault.open(row["address"], "outbox.address") or "",
            vault.open(row["body"], "outbox.body") or "",
            dt.datetime.fromisoformat(row["sending_at"]),
        )
        ids = [d.provider_id for d in found]
        known = await outbox.known_provider_ids(self.rt.db, row["channel"], ids)
        return next((d for d in found if d.provider_id not in known), None)

    async def attempt(self, row: sqlite3.Row, started: asyncio.Event | None = None) -> Attempt:
        """One try; any unexpected error fails this message only, with the reason.
        `started` is set when the provider call begins."""
        try:
            return await self._attempt(row, started or asyncio.Event())
        except Exception as exc:
            log.error("outbox %s: unexpected %s", row["id"], type(exc).__name__, exc_info=True)
            return Attempt(row, "failed", error=f"unexpected {type(exc).__name__}: {exc}"[:200])

    async def _attempt(self, row: sqlite3.Row, started: asyncio.Event) -> Attempt:
        if (row["case_id"], row["channel"]) in self._refused:
            return Attempt(row, "failed", error="recipient opted out at the carrier")
        channel = self.channels.get(row["channel"])
        if channel is None:
            return Attempt(row, "failed", error=f"no channel {row['channel']!r} configured")
        vault = self.rt.vault
        address = vault.open(row["address"], "outbox.address") or ""
        plan = await whatsapp.plan(self.rt, row, self.clock.now())
        if plan.hold:
            return Attempt(row, "held", error=plan.why)
        if plan.reroute:
            return Attempt(row, "pending", error=plan.why, reroute=True)
        await self._pace(channel)
        try:
            async with self._calls:
                started.set()
                if (template := plan.template) is not None:
                    sent = await channel.send_template(  # type: ignore[attr-defined]
                        address, template.content_sid, template.variables, row["id"]
                    )
                    sid = template.content_sid
                    return Attempt(row, sent.status, sent.provider_id, content_sid=sid)
                choices = tuple(json.loads(vault.open(row["choices"], "outbox.choices") or "[]"))
                text = vault.open(row["body"], "outbox.body") or ""
                sent = await channel.send(address, text, choices, row["id"])
        except RecipientOptedOut as exc:
            return Attempt(row, "failed", error=exc.reason, opt_out=True)
        except (RecipientGone, RecipientUnreachable) as exc:
            return Attempt(row, "failed", error=exc.reason, unreachable=True)
        except SendError as exc:
            return self._retry_or_fail(row, exc)
        return Attempt(row, sent.status, provider_id=sent.provider_id)

    async def _pace(self, channel: Channel) -> None:
        now = time.monotonic()
        slot = max(now, self._next_slot.get(channel.name, now))
        self._next_slot[channel.name] = slot + 1.0 / channel.messages_per_second
        if slot > now:
            await self.sleep(slot - now)

    def _retry_or_fail(self, row: sqlite3.Row, exc: SendError) -> Attempt:
        attempts = row["attempts"] + 1
        if not exc.retry or attempts >= MAX_ATTEMPTS:
            return Attempt(row, "failed", error=exc.reason)
        delay = exc.retry_after or BACKOFF_SECONDS[attempts - 1]
        later = self.clock.now() + dt.timedelta(seconds=delay)
        # A dropped response may hide an accepted message: it stays in doubt, and the
        # provider is asked before it is sent again.
        status = "sending" if isinstance(exc, SendOutcomeUnknown) else "pending"
        return Attempt(row, status, error=exc.reason, retry_at=later)

    async def record_many(self, attempts: list[Attempt]) -> None:
        """What the attempts came to, and what each means for its case, in one
        transaction. One whose consequences fail to apply is left 'sending' (logged): the
        provider is asked about it once it has been quiet for `CHECK_AFTER`."""
        now = self.clock.now()
        recorded = []
        async with self.rt.db.transaction() as tx:
            for a in attempts:
                try:
                    async with savepoint(tx, "attempt"):
                        await self._record(tx, a, now)
                except Exception:
                    log.exception("outbox %s: recording %s failed", a.row["id"], a.status)
                    continue
                recorded.append(a)
        for a in recorded:
            self.tally[a.status] += 1
            if a.error:
                log.warning("outbox %s %s: %s", a.row["id"], a.status, a.error)
            if a.status in ("failed", "pending"):
                self.wake.set()  # a fallback may have been queued

    async def _record(self, tx: aiosqlite.Connection, a: Attempt, now: dt.datetime) -> None:
        """One attempt's outcome and its consequences for the case, inside `tx`."""
        row = a.row
        if a.reroute:
            await delivery.reroute_whatsapp(tx, self.rt, row, a.error or "", now)
        elif a.status == "held":
            await delivery.hold_for_template(tx, self.rt, row, a.error or "", now)
        else:
            await outbox.record_attempt(
                tx, row["id"], a.status, a.provider_id, a.error, a.retry_at, now, a.content_sid
            )
            if a.provider_id:
                for status, code in await outbox.take_early_statuses(tx, a.provider_id):
                    await _apply_status(
                        tx, self.rt, row["channel"], a.provider_id, status, code, now
                    )
        if a.opt_out and row["case_id"]:
            self._refused.add((row["case_id"], row["channel"]))
            await cases.opt_out(tx, row["case_id"], now)
        elif a.status == "failed" and row["case_id"]:
            await delivery.failed_for_good(
                tx, self.rt, row, a.error or "failed", now, dead_route=a.unreachable
            )


def _recipient(row: sqlite3.Row) -> tuple:
    """Whose turn a message waits for: the person's (their case), else its address's."""
    if row["audience"] == "person" and row["case_id"] is not None:
        return ("case", row["case_id"])
    if row["address_hash"] is not None:
        return ("address", row["channel"], row["address_hash"])
    return ("message", row["id"])


async def deliver_due(rt: Runtime, channels: dict[str, Channel], clock: Clock) -> Counter:
    """Send everything the outbox may send now, then stop (`voorzorg tick`); returns the
    messages' new statuses, counted. Safe next to a running `serve`: each message is
    claimed before it is sent."""
    sender = Sender(rt, channels, clock)
    while await sender.send_due():
        pass
    return sender.tally


async def apply_status(
    rt: Runtime,
    channel: str,
    provider_id: str,
    status: str,
    error_code: str | None,
    now: dt.datetime,
) -> bool:
    """A provider's delivery status; False when no message has that id yet (the status is
    kept, and applied when the sender records the id: a quick callback is not lost)."""
    async with rt.db.transaction() as tx:
        known = await _apply_status(tx, rt, channel, provider_id, status, error_code, now)
        if not known:
            await outbox.keep_early_status(tx, provider_id, status, error_code, now)
    return known


async def _apply_status(
    tx: aiosqlite.Connection,
    rt: Runtime,
    channel: str,
    provider_id: str,
    status: str,
    error_code: str | None,
    now: dt.datetime,
) -> bool:
    """Apply one status inside `tx`.

    `failed` or `undelivered` is a permanent failure: the route is dead, the message goes
    by another channel if there is one, and a first contact or reminder escalates.
    """
    channels = (channel, "whatsapp") if channel == "sms" else (channel,)
    error = f"provider error {error_code}" if error_code else None
    row, moved = await outbox.advance_status(tx, channels, provider_id, status, error, now)
    if row is None:
        return False
    if error_code == "21610" and row["case_id"]:
        await cases.opt_out(tx, row["case_id"], now)
    elif moved and status in ("failed", "undelivered") and row["case_id"]:
        reason = f"{status}" + (f" (provider error {error_code})" if error_code else "")
        await delivery.failed_for_good(tx, rt, row, reason, now, dead_route=True)
    return True
