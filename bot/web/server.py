"""uvicorn as `serve` runs it: bounded connections, and read timeouts for slow clients.

uvicorn (0.54) limits concurrent requests (`limit_concurrency`, answered 503) and idle
keep-alive connections (`timeout_keep_alive`), but has no timeout for reading a request:
a client that sends its headers or body a byte at a time holds a connection (and a file
descriptor) for ever. `GuardedH11` adds that timeout, and closes connections beyond
`MAX_CONNECTIONS` as soon as they are accepted.
"""

from __future__ import annotations

import asyncio
import logging

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("voorzorg.web")

LIMIT_CONCURRENCY = 200  # requests (and connections) at once; beyond it uvicorn answers 503
MAX_CONNECTIONS = 400  # open connections; beyond it a new one is closed at once
HEADER_TIMEOUT = 10.0  # seconds to send a request line and headers
BODY_TIMEOUT = 30.0  # seconds to send the body once the headers are in
KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this
MAX_INCOMPLETE_EVENT = 16 * 1024  # bytes of request line plus headers


class GuardedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for reading each request."""

    header_timeout = HEADER_TIMEOUT
    body_timeout = BODY_TIMEOUT
    max_connections = MAX_CONNECTIONS
    _deadline: asyncio.TimerHandle | None = None
    _reading: str | None = None  # "headers", "body" or None (nothing half-read)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            log.warning("too many connections (%d); closing a new one", len(self.connections))
            transport.close()
            return
        self._arm("headers", self.header_timeout)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if self._reading != "body":
                self._arm("body", self.body_timeout)
        elif state is h11.IDLE and data:
            if self._reading is None:
                self._arm("headers", self.header_timeout)  # the next request has begun
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, reading: str, seconds: float) -> None:
        self._disarm()
        self._reading = reading
        self._deadline = self.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._reading = None, None

    def _timed_out(self) -> None:
        log.warning("closed a connection that was too slow sending its %s", self._reading)
        self._deadline, self._reading = None, None
        if not self.transport.is_closing():
            self.transport.close()


def config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """The uvicorn configuration `voorzorg serve` runs with."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=GuardedH11,
        access_log=False,
        timeout_graceful_shutdown=10,
        lifespan="on",
        log_config=None,
        limit_concurrency=LIMIT_CONCURRENCY,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=MAX_INCOMPLETE_EVENT,
        server_header=False,
    )
