"""A progress bar for long commands, on a terminal only: cron and CI logs stay clean."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30  # characters of the bar itself
EVERY = 0.1  # seconds between two redraws


class ProgressBar:
    """One line, redrawn in place (at most every `EVERY` seconds, and at the end of each
    stage), erased by `close` so what the command prints next starts clean."""

    def __init__(
        self, stream: TextIO, what: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.what = what
        self.clock = clock
        self._drawn_at: float | None = None
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Show that `done` of `total` are through `stage`."""
        now = self.clock()
        ended = done >= total
        recent = self._drawn_at is not None and now - self._drawn_at < EVERY
        if recent and not ended and stage == self._stage:
            return
        share = min(done / total, 1.0) if total > 0 else 1.0
        filled = int(WIDTH * share)
        bar = "#" * filled + "." * (WIDTH - filled)
        self.stream.write(
            f"\r\x1b[K{stage} {self.what} [{bar}] {share:4.0%} {min(done, total):,}/{total:,}"
        )
        self.stream.flush()
        self._drawn_at, self._stage = now, stage

    def close(self) -> None:
        """Erase the bar (if it was drawn)."""
        if self._drawn_at is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def on_terminal(stream: TextIO, what: str) -> ProgressBar | None:
    """A progress bar on `stream` if it is a terminal; None (no bar) otherwise."""
    isatty = getattr(stream, "isatty", None)
    return ProgressBar(stream, what) if isatty is not None and isatty() else None
