"""The running service: runtime, channels, and the loops that move messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from bot.channels.base import Arrival, Channel
from bot.channels.setup import open_channels
from bot.channels.telegram import TelegramChannel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.outreach import timeline
from bot.outreach.inbound import InboundWriter
from bot.outreach.processing import Processor
from bot.outreach.scheduler import SchedulerLoop
from bot.outreach.sender import Sender, apply_status
from bot.runtime import Runtime, open_runtime
from conversations import language

log = logging.getLogger("voorzorg.service")


class Service:
    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        channels: Mapping[str, Channel] | None = None,
    ):
        """`channels` replace, by name, the ones the settings would build (tests pass a
        `bot.channels.recording.RecordingChannel`)."""
        self.settings = settings
        self.clock = clock or SystemClock()
        self._given = dict(channels or {})
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._exit = contextlib.AsyncExitStack()

    async def start(self) -> None:
        self.rt: Runtime = await self._exit.enter_async_context(open_runtime(self.settings))
        self.channels = await open_channels(self.settings) | self._given
        stored = asyncio.Event()
        self.writer = InboundWriter(self.rt.db, self.rt.vault, stored)
        telegram = self.channels.get("telegram")
        on_button = telegram.answer_button if isinstance(telegram, TelegramChannel) else None
        self.processor = Processor(self.rt, self.clock, stored, on_button)
        self.sender = Sender(self.rt, self.channels, self.clock)
        self.processor.after = self.sender.wake.set
        self.scheduler = SchedulerLoop(
            self.rt,
            self.clock,
            timeline.HANDLERS,
            interval=self.settings.tick_seconds,
            after=self.sender.wake.set,
        )
        self._tasks = [
            asyncio.create_task(self.scheduler.run(self._stop), name="scheduler"),
            asyncio.create_task(self.writer.run(), name="inbound-writer"),
            asyncio.create_task(self.processor.run(self._stop), name="processor"),
            asyncio.create_task(self.sender.run(self._stop), name="sender"),
        ]
        warming = asyncio.to_thread(language.warm)  # off the loop: it takes a second or so
        self._tasks.append(asyncio.create_task(warming, name="language-detector"))
        if isinstance(telegram, TelegramChannel):
            await self._telegram_inbound(telegram)
        log.info("service started (sandbox=%s)", self.settings.sandbox)

    async def stop(self) -> None:
        """Finish in-flight work, then close channels and the database."""
        await self.writer.close()
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for channel in self.channels.values():
            await channel.close()
        await self._exit.aclose()
        log.info("service stopped")

    async def store(self, arrival: Arrival) -> None:
        """Keep what a provider delivered; returns once it is committed."""
        await self.writer.store(arrival, self.clock.now().isoformat())

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
