"""Driving a script as a person would, without a database: for tests, demos and previews.

    chat = Conversation(script)
    play(chat, '''
        < Bent u Sam?
        > ja
        < Mogen wij uw antwoorden delen
    ''')

A `<` line is a fragment that must appear in the bot's messages, in order, since the
previous `>` line; `<` followed by `(silence)` means the bot sends nothing.
"""

from __future__ import annotations

import datetime as dt

from conversations import engine
from conversations.calendar import AMSTERDAM
from conversations.script import Script
from conversations.state import Effect, Facts, Message, Offer, State

UTC = dt.UTC
FREE_TIMES = (
    Offer(1, dt.datetime(2026, 12, 22, 9, 0, tzinfo=UTC), 30, "phone"),
    Offer(1, dt.datetime(2026, 12, 22, 9, 30, tzinfo=UTC), 30, "phone"),
    Offer(2, dt.datetime(2026, 12, 24, 12, 0, tzinfo=UTC), 45, "visit", "Stadskantoor Venlo"),
    Offer(1, dt.datetime(2026, 12, 29, 9, 0, tzinfo=UTC), 30, "phone"),
    Offer(2, dt.datetime(2026, 12, 31, 12, 0, tzinfo=UTC), 45, "visit", "Stadskantoor Venlo"),
)
SAM = Facts(
    first_name="Sam",
    report_date=dt.date(2027, 1, 14),
    invite_code="K7P2QD",
    organisation="Gemeente Venlo",
    sender="Gemeente Venlo",
    organisation_phone="077 359 6666",
    prison="PI Roermond",
    offers=FREE_TIMES,
)
MONDAY_MORNING = dt.datetime(2026, 12, 14, 10, 0, tzinfo=AMSTERDAM)


class Conversation:
    def __init__(
        self,
        script: Script,
        facts: Facts = SAM,
        now: dt.datetime = MONDAY_MORNING,
        language: str | None = None,
    ):
        self.script = script
        self.facts = facts
        self.now = now
        opening = engine.begin(script, facts, now, language)
        self.state: State = opening.state
        self.effects: list[Effect] = list(opening.effects)
        self.last: tuple[Message, ...] = opening.messages

    def send(self, text: str) -> list[str]:
        outcome = engine.reply(self.state, self.script, text, self.facts, self.now)
        self.state = outcome.state
        self.effects.extend(outcome.effects)
        self.last = outcome.messages
        return [m.text for m in outcome.messages]


class TranscriptMismatch(AssertionError):
    pass


def play(chat: Conversation, transcript: str) -> None:
    """Check a transcript against the conversation; raises with the bot's actual words."""
    said = "\n".join(m.text for m in chat.last)
    for raw in transcript.strip().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        marker, text = line[:1], line[1:].strip()
        if marker == ">":
            said = "\n".join(chat.send(text))
        elif marker == "<" and text == "(silence)":
            if said:
                raise TranscriptMismatch(f"expected silence, the bot said:\n{said}")
        elif marker == "<":
            position = said.find(text)
            if position < 0:
                raise TranscriptMismatch(f"expected {text!r}; the bot said:\n{said}")
            said = said[position + len(text) :]
        else:
            raise ValueError(f"transcript lines start with > or <: {raw!r}")
