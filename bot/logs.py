"""Logging for `serve`: one line per record, and a flood of the same record folded into
one line with a count, so a bad hour cannot fill the disk with tracebacks.

No provider token, key or message text in any log line: httpx (under python-telegram-bot)
logs every request URL at INFO, and Telegram's URLs carry the bot token
(`/bot<token>/sendMessage`). Those loggers are raised to WARNING, and a filter on the root
handlers masks anything that looks like a bot token or a secret that slipped in anyway."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

WINDOW_SECONDS = 60.0
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RepeatFilter(logging.Filter):
    """Lets the first of identical records through, then holds back the same record
    (logger, level, message template and exception type) for `window` seconds; the first
    one after that says how many were held back."""

    def __init__(self, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.window = window
        self.clock = clock
        self._seen: dict[tuple, tuple[float, int]] = {}  # key -> (window start, held back)

    def filter(self, record: logging.LogRecord) -> bool:
        key = _identity(record)
        now = self.clock()
        started, held = self._seen.get(key, (None, 0))
        if started is not None and now - started < self.window:
            self._seen[key] = (started, held + 1)
            return False
        self._seen[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last {self.window:.0f} s)"
        if len(self._seen) > 1000:  # forget old keys, keep the memory bounded
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window}
        return True


def _identity(record: logging.LogRecord) -> tuple:
    exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
    return (record.name, record.levelno, str(record.msg), exc_type)


class _Handler(logging.StreamHandler):
    """Voorzorg's own stderr handler; configuring again replaces it."""


def configure(level: int = logging.INFO) -> logging.Handler:
    """Log to stderr with repeats folded; returns the handler."""
    handler = _Handler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RepeatFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.setLevel(level)
    root.addHandler(handler)
    return handler


CHATTY_CLIENTS = ("httpx", "httpcore", "telegram", "aiohttp", "twilio.http_client")
BOT_TOKEN = re.compile(r"\b\d{3,}:[A-Za-z0-9_-]{5,}")
MASK = "[hidden]"


class Redact(logging.Filter):
    """Masks Telegram bot tokens and the given secrets in every record it sees."""

    def __init__(self, secrets: tuple[str, ...] = ()):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s and len(s) >= 8)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = BOT_TOKEN.sub(MASK, message)
        for secret in self.secrets:
            cleaned = cleaned.replace(secret, MASK)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def quiet_provider_clients(secrets: tuple[str, ...] = ()) -> None:
    """HTTP clients log at WARNING and above only; every root handler redacts."""
    for name in CHATTY_CLIENTS:
        logging.getLogger(name).setLevel(logging.WARNING)
    redact = Redact(secrets)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, Redact) for f in handler.filters):
            handler.addFilter(redact)
