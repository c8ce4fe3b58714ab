"""The seam between the outbox and the providers: one small protocol, several transports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

SANDBOX_CHANNELS = ("terminal", "simulator")


@dataclass(frozen=True)
class Arrival:
    """One message as a provider delivered it, before we know whose it is."""

    channel: str  # sms, whatsapp, telegram, simulator
    provider_key: str  # MessageSid, update_id: the idempotency key
    sender: str  # E.164, whatsapp:+31..., or a Telegram chat id
    kind: str  # text, button, edited, media
    text: str = ""
    button_id: str | None = None  # Telegram callback query id, to answer the press
    reply_to: str | None = None  # the message this one answers (Telegram), if any

    def payload(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "text": self.text,
                "button_id": self.button_id,
                "reply_to": self.reply_to,
            }
        )


@dataclass(frozen=True)
class Delivery:
    """What a provider said when it accepted a message."""

    provider_id: str
    status: str  # queued, sent, delivered, sandboxed


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

    async def send_template(
        self, address: str, content_sid: str, variables: dict[str, str], outbox_id: int
    ) -> Delivery:
        return Delivery(f"sandbox-{outbox_id}", "sandboxed")

    async def close(self) -> None:
        return None
