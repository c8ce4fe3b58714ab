"""Delivering the outbox: paced per channel, retried with backoff, failures kept visible."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.channels.base import Channel
from bot.clock import Clock, idle
from bot.errors import RecipientGone, RecipientOptedOut, SendError
from bot.runtime import Runtime
from storage import cases, identities, outbox
from storage.outbox import queue_message

log = logging.getLogger("voorzorg.sender")

BACKOFF_SECONDS = (5, 30, 120, 600, 1800)  # then the message is failed
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1


@dataclass(frozen=True)
class Attempt:
    """What one try at sending came to; recorded together with the others of its batch."""

    row: sqlite3.Row
    status: str  # a provider status, "failed", or "pending" to retry at `retry_at`
    provider_id: str | None = None
    error: str | None = None
    retry_at: dt.datetime | None = None
    opt_out: bool = False
    gone: bool = False


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
        self._next_slot: dict[str, float] = {}

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
        """Send what is due, then record every result in one transaction."""
        rows = await outbox.due(self.rt.db, self.clock.now(), limit)
        if not rows:
            return 0
        attempts: list[Attempt] = []
        refused: set[tuple[int, str]] = set()  # (case, channel) the carrier says opted out
        for row in rows:
            if self.stopping.is_set():
                break  # shutting down: what is left stays pending for the next start
            if (row["case_id"], row["channel"]) in refused:
                attempts.append(Attempt(row, "failed", error="recipient opted out at the carrier"))
                continue
            attempt = await self.attempt(row)
            if attempt.opt_out:
                refused.add((row["case_id"], row["channel"]))
            attempts.append(attempt)
        now = self.clock.now()
        async with self.rt.db.transaction() as tx:
            for attempt in attempts:
                await self._record(tx, attempt, now)
        for a in attempts:
            if a.error:
                log.warning("outbox %s %s: %s", a.row["id"], a.status, a.error)
        return len(attempts)

    async def attempt(self, row: sqlite3.Row) -> Attempt:
        vault = self.rt.vault
        channel = self.channels.get(row["channel"])
        if channel is None:
            return Attempt(row, "failed", error=f"no channel {row['channel']!r} configured")
        await self._pace(channel)
        choices = tuple(json.loads(vault.open(row["choices"], "outbox.choices") or "[]"))
        try:
            delivery = await channel.send(
                vault.open(row["address"], "outbox.address") or "",
                vault.open(row["body"], "outbox.body") or "",
                choices,
                row["id"],
            )
        except RecipientOptedOut as exc:
            return Attempt(row, "failed", error=exc.reason, opt_out=True)
        except RecipientGone as exc:
            return Attempt(row, "failed", error=exc.reason, gone=True)
        except SendError as exc:
            return self._retry_or_fail(row, exc)
        return Attempt(row, delivery.status, provider_id=delivery.provider_id)

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
        return Attempt(row, "pending", error=exc.reason, retry_at=later)

    async def _record(self, tx, a: Attempt, now: dt.datetime) -> None:
        await outbox.record_attempt(
            tx, a.row["id"], a.status, a.provider_id, a.error, a.retry_at, now
        )
        if a.opt_out and a.row["case_id"]:
            await cases.opt_out(tx, a.row["case_id"], now)
        if a.gone and a.row["case_id"]:
            await self._fall_back_to_sms(tx, a.row, now)

    async def _fall_back_to_sms(self, tx, row: sqlite3.Row, now: dt.datetime) -> None:
        vault = self.rt.vault
        address = vault.open(row["address"], "outbox.address") or ""
        await identities.mark_dead(tx, vault, row["case_id"], row["channel"], address)
        phone = await cases.phone_of(tx, vault, row["case_id"])
        if phone and row["channel"] != "sms":
            text = vault.open(row["body"], "outbox.body") or ""
            await queue_message(tx, vault, row["case_id"], "sms", phone, text, (), now)
            self.wake.set()


async def apply_status(
    rt: Runtime,
    channel: str,
    provider_id: str,
    status: str,
    error_code: str | None,
    now: dt.datetime,
) -> bool:
    """A provider's delivery status; False when we never sent that message."""
    channels = (channel, "whatsapp") if channel == "sms" else (channel,)
    error = f"provider error {error_code}" if error_code else None
    async with rt.db.transaction() as tx:
        row = await outbox.advance_status(tx, channels, provider_id, status, error, now)
        if row is None:
            return False
        if error_code == "21610" and row["case_id"]:
            await cases.opt_out(tx, row["case_id"], now)
    return True
