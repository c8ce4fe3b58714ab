"""The work behind the web: processing arrivals, the scheduler and the sender.

`voorzorg serve` runs it in its worker process (`bot.worker`); tests and the in-process
app run it as tasks of their own event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel
from bot.clock import Clock
from bot.outreach import timeline
from bot.outreach.processing import Processor
from bot.outreach.scheduler import SchedulerLoop
from bot.outreach.sender import Sender
from bot.runtime import Runtime
from conversations import language


class Background:
    """Processing arrivals, the scheduler and the sender, as tasks of this event loop."""

    def __init__(self, rt: Runtime, channels: Mapping[str, Channel], clock: Clock):
        telegram = channels.get("telegram")
        on_button = telegram.answer_button if isinstance(telegram, TelegramChannel) else None
        self.processor = Processor(rt, clock, on_button)
        self.sender = Sender(rt, dict(channels), clock)
        self.processor.after = self.sender.wake.set
        self.scheduler = SchedulerLoop(
            rt,
            clock,
            timeline.HANDLERS,
            interval=rt.settings.tick_seconds,
            after=self.sender.wake.set,
        )
        self._stop = asyncio.Event()
        self._loops: list[asyncio.Task] = []
        self._warming: asyncio.Task | None = None

    async def start(self) -> None:
        self._loops = [
            asyncio.create_task(self.scheduler.run(self._stop), name="scheduler"),
            asyncio.create_task(self.processor.run(self._stop), name="processor"),
            asyncio.create_task(self.sender.run(self._stop), name="sender"),
        ]
        warming = asyncio.to_thread(language.warm)  # off the loop: it takes a second or so
        self._warming = asyncio.create_task(warming, name="language-detector")

    async def stop(self) -> None:
        """Finish in-flight work: every arrival in the inbox is processed first."""
        self._stop.set()
        tasks = [*self._loops, *([self._warming] if self._warming else [])]
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def running(self) -> bool:
        """Whether every loop is still going (a loop only ends at `stop`)."""
        return all(not loop.done() for loop in self._loops)

    def wake_processor(self) -> None:
        self.processor.stored.set()

    def wake_sender(self) -> None:
        self.sender.wake.set()
