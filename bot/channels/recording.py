"""An in-memory `Channel` for tests: it records what it was asked to send and sends nothing.

The double at the `Channel` seam (the way httpx's `MockTransport` is the double at the
transport seam), for tests where no provider is involved. Where a provider's own client
matters, use the fake provider servers in `bot.channels.fakes` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.base import Delivery


@dataclass(frozen=True)
class Sent:
    address: str
    text: str
    choices: tuple[str, ...]
    outbox_id: int


class RecordingChannel:
    """`channel.sent` lists every message, in order; `texts()` just their texts."""

    def __init__(self, name: str, messages_per_second: float = 1000.0):
        self.name = name
        self.messages_per_second = messages_per_second
        self.sent: list[Sent] = []
        self.closed = False

    def texts(self, address: str | None = None) -> list[str]:
        """What was sent (to `address`, if given), in order."""
        return [s.text for s in self.sent if address is None or s.address == address]

    async def send(
        self, address: str, text: str, choices: tuple[str, ...], outbox_id: int
    ) -> Delivery:
        if self.closed:
            raise RuntimeError(f"{self.name}: send after close")
        self.sent.append(Sent(address, text, tuple(choices), outbox_id))
        return Delivery(f"{self.name}-{len(self.sent)}", "sent")

    async def close(self) -> None:
        self.closed = True
