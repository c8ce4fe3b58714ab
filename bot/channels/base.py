"""The seam between the outbox and the providers: one small protocol, several transports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

SANDBOX_CHANNELS = ("terminal", "simulator")
CHANNELS = ("sms", "whatsapp", "telegram", *SANDBOX_CHANNELS)


@dataclass(frozen=True)
class Delivery:
    """What a provider said when it accepted a message."""

    provider_id: str
    status: str  # queued, sent, delivered, sandboxed


class SendError(Exception):
    """A provider refused or failed; `retry` says whether trying later can help."""

    def __init__(self, reason: str, *, retry: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.retry_after = retry_after


class RecipientOptedOut(SendError):
    """The carrier says this number opted out (Twilio error 21610)."""

    def __init__(self, reason: str):
        super().__init__(reason, retry=False)


class RecipientGone(SendError):
    """The person blocked the bot or the chat no longer exists (Telegram 403)."""

    def __init__(self, reason: str):
        super().__init__(reason, retry=False)


class Channel(Protocol):
    name: str
    messages_per_second: float

    async def send(
        self, address: str, text: str, choices: tuple[str, ...], outbox_id: int
    ) -> Delivery: ...

    async def close(self) -> None: ...


class SandboxChannel:
    """Sends nothing: the outbox row is the record, shown in the simulator."""

    messages_per_second = 1000.0

    def __init__(self, name: str):
        self.name = name

    async def send(
        self, address: str, text: str, choices: tuple[str, ...], outbox_id: int
    ) -> Delivery:
        return Delivery(f"sandbox-{outbox_id}", "sandboxed")

    async def close(self) -> None:
        return None
