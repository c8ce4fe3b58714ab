"""What comes in: stored durably in the inbox first (group commit), then processed once.

A webhook is answered only after its arrival is committed to the inbox (`storage.inbox`).
Processing takes it into the database in the same transaction as the conversation turn
it causes, so a crash in between is recovered by processing it again on restart, and a
redelivery is a no-op (unique key).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from bot.channels.base import Arrival
from storage import inbound, inbox
from storage.crypto import Vault
from storage.db import Database

log = logging.getLogger("voorzorg.inbound")


def parse_payload(raw: str) -> dict[str, Any]:
    return json.loads(raw)


class InboundWriter:
    """Commits arrivals to the inbox in groups: requests that arrive together share one
    transaction, and `on_stored` is called after each commit (it wakes the processor).

    A redelivered provider key is ignored by the unique index; processing happens later,
    so the webhook only waits for the commit.
    """

    def __init__(self, inbox_db: Database, vault: Vault, on_stored: Callable[[], None]):
        self._db = inbox_db
        self._vault = vault
        self._on_stored = on_stored
        self._queue: list[tuple[tuple, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._closed = False

    async def store(self, arrival: Arrival, received_at: str) -> None:
        if self._closed:
            raise RuntimeError("the inbound writer is shut down")
        seal = self._vault.seal
        row = (
            arrival.channel,
            arrival.provider_key,
            seal(arrival.sender, "inbound.sender"),
            self._vault.lookup_hash(arrival.sender),
            seal(arrival.payload(), "inbound.body"),
            received_at,
        )
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((row, future))
        self._wakeup.set()
        await future

    async def run(self) -> None:
        while not (self._closed and not self._queue):
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._queue = self._queue, []
            if batch:
                await self._commit(batch)

    async def close(self) -> None:
        self._closed = True
        self._wakeup.set()

    async def _commit(self, batch: list[tuple[tuple, asyncio.Future[None]]]) -> None:
        try:
            rows = [row for row, _ in batch]
            await self._db.write_at_once(lambda tx: inbox.store(tx, rows))
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for _, future in batch:
            if not future.done():
                future.set_result(None)
        self._on_stored()
        log.debug("committed %d inbound row(s)", len(batch))


async def record_processed(tx, vault: Vault, case_id: int, channel: str, text: str, now) -> None:
    """A message taken in and handled in one go (the terminal): stored like any other."""
    arrival = Arrival(channel, uuid.uuid4().hex, channel, "text", text)
    await inbound.record_processed(
        tx, vault, case_id, channel, arrival.provider_key, arrival.sender, arrival.payload(), now
    )
