"""The web app in-process: its lifespan started, and an httpx client on its ASGI side."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bot.config import Settings
from bot.web.app import create_app


@asynccontextmanager
async def app_client(settings: Settings, url: str = "http://127.0.0.1:8080") -> AsyncIterator:
    """(client, service) for the app built from `settings`, started and stopped here."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))
        async with httpx.AsyncClient(transport=transport, base_url=url) as client:
            yield client, app.state.voorzorg
