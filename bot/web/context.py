"""The running service, as pages and webhooks reach it: one typed accessor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

if TYPE_CHECKING:
    from bot.service import Service


def service_of(request: Request) -> Service:
    """The service this app serves (set by `bot.web.app.create_app`)."""
    return request.app.state.voorzorg
