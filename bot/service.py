"""The running service: runtime, inbox, channels, and the background behind them.

The background (`bot.background`: processing arrivals, the scheduler, the sender) runs
in a worker process of its own under `voorzorg serve` (`bot.worker`), so conversation
turns use the second core and a webhook's acknowledgement never waits behind them; tests
run it in this process, with their clock and channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from bot.background import Background
from bot.channels.base import Arrival, Channel
from bot.channels.setup import open_channels
from bot.channels.telegram import TelegramChannel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.outreach.inbound import InboundWriter
from bot.outreach.sender import apply_status
from bot.runtime import Runtime, open_runtime
from bot.worker import WorkerProcess
from storage import inbound

log = logging.getLogger("voorzorg.service")
SETTLE_SECONDS = 10.0  # how long `Service.settled` waits for an arrival to be processed


class Service:
    """What the web app holds: the runtime, the inbox's writer, the channels, and
    the background (in this process, or with `worker_process` in `bot.worker`)."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        channels: Mapping[str, Channel] | None = None,
        *,
        worker_process: bool = False,
    ):
        """`channels` replace, by name, the ones the settings would build (tests pass a
        `bot.channels.recording.RecordingChannel`)."""
        self.settings = settings
        self.clock = clock or SystemClock()
        self._given = dict(channels or {})
        self._worker_process = worker_process
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._exit = contextlib.AsyncExitStack()

    async def start(self) -> None:
        self.rt: Runtime = await self._exit.enter_async_context(open_runtime(self.settings))
        self.channels = await open_channels(self.settings) | self._given
        if self._worker_process:
            self.background: Background | WorkerProcess = WorkerProcess(self.settings)
        else:
            self.background = Background(self.rt, self.channels, self.clock)
        await self.background.start()
        self.writer = InboundWriter(self.rt.inbox, self.rt.vault, self.background.wake_processor)
        self._tasks = [asyncio.create_task(self.writer.run(), name="inbound-writer")]
        telegram = self.channels.get("telegram")
        if isinstance(telegram, TelegramChannel):
            await self._telegram_inbound(telegram)
        log.info("service started (sandbox=%s)", self.settings.sandbox)

    async def stop(self) -> None:
        """Stop taking arrivals, let the background process all it has, then close."""
        await self.writer.close()
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.background.stop()
        for channel in self.channels.values():
            await channel.close()
        await self._exit.aclose()
        log.info("service stopped")

    async def store(self, arrival: Arrival) -> None:
        """Keep what a provider delivered; returns once it is committed."""
        await self.writer.store(arrival, self.clock.now().isoformat())

    async def settled(self, arrival: Arrival) -> bool:
        """Wait up to `SETTLE_SECONDS` until a stored arrival is processed (the simulator
        shows the answer); False if it was not by then."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        while loop.time() < deadline:
            if await inbound.processed(self.rt.db, arrival.channel, arrival.provider_key):
                return True
            await asyncio.sleep(0.01)
        return False

    def wake_sender(self) -> None:
        """Something was queued: the sender looks now instead of at its next round."""
        self.background.wake_sender()

    async def record_status(
        self, channel: str, provider_id: str, status: str, error_code: str | None
    ) -> bool:
        """A provider's delivery status; False when we never sent that message."""
        return await apply_status(
            self.rt, channel, provider_id, status, error_code, self.clock.now()
        )

    async def _telegram_inbound(self, telegram: TelegramChannel) -> None:
        if self.settings.telegram_mode == "webhook":
            await telegram.register_webhook(self.settings)
        else:
            poll = telegram.poll(self.store, self._stop)
            self._tasks.append(asyncio.create_task(poll, name="telegram-poll"))
