"""Delivering the outbox, exactly once: each message is claimed ('sending', committed)
before the provider call and recorded in its own transaction right after it; paced per
channel, retried with backoff, failures kept visible and acted on.

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

log = logging.getLogger("voorzorg.sender")

BACKOFF_SECONDS = (5, 30, 120, 600, 1800)  # then the message is failed
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
# A claimed message is in doubt once its sender has been quiet this long: longer than any
# provider call may take (Twilio's client gives up after 15 s).
CHECK_AFTER = dt.timedelta(seconds=60)
HOST = socket.gethostname()


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
    ):
        self.rt = rt
        self.channels = channels
        self.clock = clock
        self.sleep = sleep  # pacing waits; a test passes its own
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self.claimer = _claimer()
        self._next_slot: dict[str, float] = {}
        self._refused: set[tuple[int, str]] = set()  # (case, channel) opted out at the carrier
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

    async def send_due(self, limit: int = 100) -> int:
        """Settle messages in doubt, then send what is due; returns how many were handled."""
        handled = await self.settle_in_doubt()
        for row in await outbox.due(self.rt.db, self.clock.now(), limit):
            if self.stopping.is_set():
                break  # shutting down: what is left stays pending for the next start
            now = self.clock.now()
            check_at = now + CHECK_AFTER
            claimed = await outbox.claim(self.rt.db, row["id"], self.claimer, now, check_at)
            if claimed is None:
                continue  # another sender (serve or tick) has it
            await self.record(await self.attempt(claimed))
            handled += 1
        return handled

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
                await self.record(Attempt(claimed, "sending", error=why, retry_at=later))
                continue
            if found is not None:
                log.info("outbox %s: the provider had accepted it; recorded", row["id"])
                attempt = Attempt(claimed, found.status, provider_id=found.provider_id)
            else:
                attempt = await self.attempt(claimed)
            await self.record(attempt)
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

    async def attempt(self, row: sqlite3.Row) -> Attempt:
        """One try; any unexpected error fails this message only, with the reason."""
        try:
            return await self._attempt(row)
        except Exception as exc:
            log.error("outbox %s: unexpected %s", row["id"], type(exc).__name__, exc_info=True)
            return Attempt(row, "failed", error=f"unexpected {type(exc).__name__}: {exc}"[:200])

    async def _attempt(self, row: sqlite3.Row) -> Attempt:
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
            if (template := plan.template) is not None:
                sent = await channel.send_template(  # type: ignore[attr-defined]
                    address, template.content_sid, template.variables, row["id"]
                )
                return Attempt(row, sent.status, sent.provider_id, content_sid=template.content_sid)
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

    async def record(self, a: Attempt) -> None:
        """What the attempt came to, and what it means for the case, in one transaction."""
        now = self.clock.now()
        row = a.row
        async with self.rt.db.transaction() as tx:
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
        self.tally[a.status] += 1
        if a.error:
            log.warning("outbox %s %s: %s", row["id"], a.status, a.error)
        if a.status in ("failed", "pending"):
            self.wake.set()  # a fallback may have been queued


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
