"""The one place engine effects are applied: one handler per effect kind.

Every path that runs the engine (inbound turns, the timeline, staff actions, handoff) ends
in `apply`, in the transaction of the change that caused the outcome: effects first
(alerts, bookings, cancelled timers, recorded answers), then the new state and the
messages, so everything commits or nothing does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.outreach import alerts, appointments, scheduler
from bot.runtime import Runtime
from conversations.script import Script
from conversations.state import (
    AnswerRecorded,
    AppointmentBooked,
    AppointmentCancelled,
    ConsentChanged,
    Escalated,
    EscalationCorrected,
    LanguageChanged,
    OptedIn,
    OptedOut,
    Outcome,
    StatusChanged,
    TimerStarted,
)
from storage import cases, outbox
from storage import conversations as stored

# Timers that lead to a message to the person; an opt-out cancels all of them.
PERSON_EVENTS = ("outreach", "reminder", "step_timeout", "appointment_reminder")


@dataclass(frozen=True)
class Turn:
    """Where an outcome lands: the case, its script version, the route, the moment."""

    tx: aiosqlite.Connection
    rt: Runtime
    case: cases.Case
    script: Script
    channel: str
    address: str | None
    now: dt.datetime
    purpose: str | None = None  # why the turn speaks unasked (first_contact, reminder_1...)
    template_variables: dict[str, str] | None = None  # for the purpose's WhatsApp template


async def apply(turn: Turn, outcome: Outcome) -> list[int]:
    """Apply every effect, store the state, queue the messages; returns the outbox ids.

    The turn's first message carries its purpose: when WhatsApp's window is closed, that
    one goes as the purpose's template and the rest waits for the person's answer.
    """
    for effect in outcome.effects:
        await HANDLERS[type(effect)](turn, effect)
    await stored.save_state(
        turn.tx,
        turn.rt.vault,
        turn.case.id,
        turn.script.id,
        turn.script.version,
        outcome.state,
        turn.now,
    )
    return await outbox.queue_messages(
        turn.tx,
        turn.rt.vault,
        turn.case.id,
        turn.channel,
        turn.address,
        [(m.text, m.choices) for m in outcome.messages],
        turn.now,
        purpose=turn.purpose,
        template_variables=turn.template_variables,
    )


async def _escalated(turn: Turn, effect: Escalated) -> None:
    await alerts.escalate(turn.tx, turn.rt, turn.case, effect.reason, turn.now, note=effect.note)


async def _escalation_corrected(turn: Turn, effect: EscalationCorrected) -> None:
    await alerts.correct(
        turn.tx, turn.rt, turn.case, effect.reason, effect.condition, effect.status, turn.now
    )


async def _appointment_booked(turn: Turn, effect: AppointmentBooked) -> None:
    await appointments.book(turn.tx, turn.rt, turn.case, effect.offer, turn.now)


async def _appointment_cancelled(turn: Turn, effect: AppointmentCancelled) -> None:
    await appointments.cancel(turn.tx, turn.case, turn.now)


async def _opted_out(turn: Turn, effect: OptedOut) -> None:
    await scheduler.cancel(turn.tx, turn.case.id, PERSON_EVENTS, turn.now, "opted out")
    await alerts.escalate(turn.tx, turn.rt, turn.case, "opted_out", turn.now)
    await cases.opt_out(turn.tx, turn.case.id, turn.now)


async def _opted_in(turn: Turn, effect: OptedIn) -> None:
    await cases.opt_in(turn.tx, turn.case.id, turn.now)


async def _status_changed(turn: Turn, effect: StatusChanged) -> None:
    await cases.set_status(turn.tx, turn.case.id, effect.status, turn.now)


async def _answer_recorded(turn: Turn, effect: AnswerRecorded) -> None:
    await stored.record_answer(
        turn.tx, turn.rt.vault, turn.case.id, effect.condition, effect.status, effect.note, turn.now
    )


async def _consent_changed(turn: Turn, effect: ConsentChanged) -> None:
    await stored.record_consent(
        turn.tx,
        turn.case.id,
        effect.purpose,
        effect.given,
        turn.channel,
        turn.script.id,
        turn.script.version,
        turn.now,
    )


async def _language_changed(turn: Turn, effect: LanguageChanged) -> None:
    await cases.set_language(turn.tx, turn.case.id, effect.language, turn.now)


async def _timer_started(turn: Turn, effect: TimerStarted) -> None:
    """One pending step timer per case: entering a new step replaces it."""
    await scheduler.cancel(turn.tx, turn.case.id, ("step_timeout",), turn.now, "moved on")
    await scheduler.schedule(turn.tx, turn.case.id, "step_timeout", effect.due, step=effect.step)


HANDLERS: dict[type, Callable[[Turn, Any], Awaitable[None]]] = {
    AnswerRecorded: _answer_recorded,
    AppointmentBooked: _appointment_booked,
    AppointmentCancelled: _appointment_cancelled,
    ConsentChanged: _consent_changed,
    Escalated: _escalated,
    EscalationCorrected: _escalation_corrected,
    LanguageChanged: _language_changed,
    OptedIn: _opted_in,
    OptedOut: _opted_out,
    StatusChanged: _status_changed,
    TimerStarted: _timer_started,
}
