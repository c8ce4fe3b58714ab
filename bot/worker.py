"""`serve`'s worker process: the background (`bot.background`) on the second core.

The web process only acknowledges webhooks (a commit to the inbox) and serves pages; the
worker takes the inbox's arrivals through their conversations, runs the scheduler and
sends. Conversation turns are CPU work in Python: in a process of their own they neither
share the web process's interpreter lock nor make an acknowledgement wait. The worker runs
SQLite inline (`storage.db.InlineConnection`), since it has no requests to keep answering.

The web process tells the worker over a pipe: a byte `p` when the inbox has something new,
`s` when something was queued to send. The pipe closing, because the web process stopped
or died (even kill -9), is the worker's signal to finish what it has and exit. The worker
ignores SIGINT and SIGTERM: a signal to the whole process group must not stop it before
the web process has committed its last acknowledgements.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection

from bot import logs
from bot.background import Background
from bot.channels.setup import open_channels
from bot.clock import SystemClock
from bot.config import Settings
from bot.runtime import open_runtime

log = logging.getLogger("voorzorg.worker")
STOP_SECONDS = 60.0  # to finish the inbox at shutdown, then the worker is killed
RESTART_SECONDS = 1.0  # after an unexpected exit
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}  # the worker ignores them (see above)


class WorkerProcess:
    """The background in a worker process, started and stopped with the web process;
    restarted if it exits on its own."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._context = multiprocessing.get_context("spawn")  # no copy of the web's state
        self._process: multiprocessing.process.BaseProcess | None = None
        self._wake: Connection | None = None
        self._stopping = False

    async def start(self) -> None:
        self._spawn()

    async def stop(self) -> None:
        """Close the pipe (the worker finishes the inbox and exits); kill it if it hangs."""
        self._stopping = True
        process, wake = self._process, self._wake
        if process is None or wake is None:
            return
        asyncio.get_running_loop().remove_reader(process.sentinel)
        wake.close()
        await asyncio.to_thread(process.join, STOP_SECONDS)
        if process.is_alive():
            log.error("the worker did not stop within %ss; killing it", STOP_SECONDS)
            process.kill()
            await asyncio.to_thread(process.join)

    @property
    def running(self) -> bool:
        """Whether the worker process is alive (between a crash and its restart, not)."""
        return self._process is not None and self._process.is_alive()

    def wake_processor(self) -> None:
        self._poke(b"p")

    def wake_sender(self) -> None:
        self._poke(b"s")

    def _poke(self, byte: bytes) -> None:
        if self._wake is None or self._wake.closed:
            return
        # A full pipe means the worker has plenty to look at already; a broken one, that
        # it is gone and `_exited` starts another.
        with contextlib.suppress(OSError):
            os.write(self._wake.fileno(), byte)

    def _spawn(self) -> None:
        receive, send = self._context.Pipe(duplex=False)
        level = logging.getLogger().level
        process = self._context.Process(
            target=run, args=(self._settings, receive, level), name="voorzorg-worker"
        )
        with _ignored_by_children():
            process.start()
        receive.close()
        os.set_blocking(send.fileno(), False)
        self._process, self._wake = process, send
        asyncio.get_running_loop().add_reader(process.sentinel, self._exited)

    def _exited(self) -> None:
        loop = asyncio.get_running_loop()
        process = self._process
        assert process is not None and self._wake is not None
        loop.remove_reader(process.sentinel)
        process.join()
        self._wake.close()
        if self._stopping:
            return
        log.error(
            "the worker process exited (code %s); starting another in %ss",
            process.exitcode,
            RESTART_SECONDS,
        )
        loop.call_later(RESTART_SECONDS, self._restart)

    def _restart(self) -> None:
        if not self._stopping:
            self._spawn()


@contextlib.contextmanager
def _ignored_by_children() -> Iterator[None]:
    """SIGINT and SIGTERM ignored by a process started in this block, from its first
    instruction: a signal to the process group while the worker is still importing must
    not kill it. An ignored disposition survives exec; the signal mask does not (Python's
    process spawning resets it). This process blocks them meanwhile, so one that arrives
    is delivered to its own handler afterwards, not lost (Linux keeps a blocked signal
    pending even while it is ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change handlers; `serve` spawns from it
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    handlers = {
        stop_signal: signal.signal(stop_signal, signal.SIG_IGN) for stop_signal in STOP_SIGNALS
    }
    try:
        yield
    finally:
        for stop_signal, handler in handlers.items():
            signal.signal(stop_signal, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def run(settings: Settings, wake: Connection, level: int) -> None:
    """The worker process's main: run the background until the pipe closes."""
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, signal.SIG_IGN)  # ignored from the start already
    logs.configure(level)
    logs.quiet_provider_clients(settings.secrets())
    asyncio.run(_work(settings, wake))


async def _work(settings: Settings, wake: Connection) -> None:
    loop = asyncio.get_running_loop()
    closed = asyncio.Event()
    async with open_runtime(settings, inline=True) as rt:
        channels = await open_channels(settings)
        background = Background(rt, channels, SystemClock())

        def poked() -> None:
            try:
                data = os.read(wake.fileno(), 4096)
            except BlockingIOError:
                return
            if not data:  # the web process closed the pipe, or died
                loop.remove_reader(wake.fileno())
                closed.set()
                return
            if b"p" in data:
                background.wake_processor()
            if b"s" in data:
                background.wake_sender()

        os.set_blocking(wake.fileno(), False)
        loop.add_reader(wake.fileno(), poked)
        await background.start()
        log.info("worker started (pid %d)", os.getpid())
        await closed.wait()
        await background.stop()
        for channel in channels.values():
            await channel.close()
    log.info("worker stopped")
