"""The web app: webhooks, health, simulator. Starlette under uvicorn, one process."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels import telegram, twilio
from bot.channels.base import Channel
from bot.clock import Clock
from bot.config import Settings
from bot.logs import quiet_provider_clients
from bot.service import Service
from bot.staff import cases, script_editor
from bot.web import simulator
from bot.web.context import service_of
from bot.web.errors import http_error

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


HSTS = ("strict-transport-security", "max-age=31536000; includeSubDomains")
log = logging.getLogger("voorzorg.web")


async def healthz(request: Request) -> JSONResponse:
    """200 while the database and the inbox take a write and the background runs; 503
    otherwise (a full disk too, or a worker process that keeps failing)."""
    service = service_of(request)
    try:
        await service.rt.inbox.probe_write(service.clock.now())
        await service.rt.db.probe_write(service.clock.now())
    except Exception as exc:
        log.error("health check: the database does not take writes (%s)", type(exc).__name__)
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    if not service.background.running:
        return JSONResponse({"status": "worker not running"}, status_code=503)
    return JSONResponse({"status": "ok", "sandbox": service.settings.sandbox})


def create_app(
    settings: Settings,
    clock: Clock | None = None,
    channels: Mapping[str, Channel] | None = None,
    *,
    worker_process: bool = False,
) -> Starlette:
    """The app around one `Service`; `channels` replace the configured ones by name, and
    `worker_process` runs the background in `bot.worker` (as `voorzorg serve` does)."""
    quiet_provider_clients(settings.secrets())
    service = Service(settings, clock, channels, worker_process=worker_process)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    routes: list[BaseRoute] = [Route("/healthz", healthz)]
    routes += twilio.routes() + telegram.routes()
    routes += simulator.routes() + cases.routes() + script_editor.routes()
    https = settings.public_url.startswith("https://")
    middleware = [Middleware(SecurityHeaders, hsts=https)]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers={HTTPException: http_error},
    )
    app.state.voorzorg = service
    return app


class SecurityHeaders:
    """Pure ASGI: adds the headers to every response without buffering bodies; with
    `hsts` (the public URL is https) browsers are told to use https only."""

    def __init__(self, app: ASGIApp, hsts: bool = False):
        self.app = app
        headers = {**SECURITY_HEADERS, **dict([HSTS] if hsts else [])}
        self.extra = [(k.encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.extra]
            await send(message)

        await self.app(scope, receive, with_headers)
