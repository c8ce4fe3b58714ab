"""One turn of a conversation: load state, run the engine, store the outcome.

Every channel (terminal, simulator, SMS, WhatsApp, Telegram) goes through here. The
caller owns the transaction, so a turn commits together with whatever caused it (an
inbound row marked processed, a chat bound to its case).
"""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.outreach import alerts, scheduler
from bot.runtime import Runtime
from conversations import engine
from conversations.calendar import AMSTERDAM, working_days_before
from conversations.matching import match_keyword
from conversations.script import Script
from conversations.state import (
    AppointmentBooked,
    AppointmentCancelled,
    Escalated,
    Facts,
    OptedOut,
    Outcome,
    State,
)
from storage import appointments
from storage.cases import Case
from storage.conversations import save_outcome
from storage.db import fetchone

DEFAULT_SCRIPT = "intake"
PERSON_EVENTS = ("outreach", "reminder", "step_timeout", "appointment_reminder")


async def facts_for(
    tx: aiosqlite.Connection,
    case: Case,
    now: dt.datetime | None = None,
    state: State | None = None,
    script: Script | None = None,
) -> Facts:
    """What the engine may know; free times only when this turn could book."""
    offers: tuple = ()
    if now is not None and script is not None and _may_book(script, state):
        offers = await appointments.free_offers(tx, case.organisation_id, now, case.report_date)
    org = await fetchone(
        tx,
        "SELECT name, phone, sender_name, address FROM organisations WHERE id = ?",
        (case.organisation_id,),
    )
    return Facts(
        first_name=case.first_name,
        report_date=case.report_date,
        invite_code=case.invite_code,
        organisation=org["name"],
        sender=org["sender_name"] or org["name"],
        organisation_phone=org["phone"] or "",
        organisation_address=org["address"] or "",
        prison=case.prison or "",
        offers=offers,
    )


def _may_book(script: Script, state: State | None) -> bool:
    if state is None:
        return False
    return state.step is None or state.appointment is not None or state.step in script.near_booking


async def script_of(tx: aiosqlite.Connection, rt: Runtime, case: Case) -> Script:
    """The script version this case's conversation started on, else the published one."""
    row = await fetchone(
        tx, "SELECT script_id, script_version FROM conversations WHERE case_id = ?", (case.id,)
    )
    if row is None:
        return await rt.script(DEFAULT_SCRIPT)
    return await rt.script(row["script_id"], row["script_version"])


async def conversation(
    tx: aiosqlite.Connection, rt: Runtime, case: Case
) -> tuple[State | None, Script]:
    """The state and the script version of a case's conversation, in one read."""
    row = await fetchone(
        tx,
        "SELECT script_id, script_version, state FROM conversations WHERE case_id = ?",
        (case.id,),
    )
    if row is None:
        return None, await rt.script(DEFAULT_SCRIPT)
    state = State.from_json(rt.vault.open(row["state"], "conversations.state") or "{}")
    return state, await rt.script(row["script_id"], row["script_version"])


async def start(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    channel: str,
    address: str | None,
    now: dt.datetime,
) -> list[int]:
    """Open the conversation if it has not started; returns the queued outbox ids."""
    state, script = await conversation(tx, rt, case)
    if state is not None:
        return []
    outcome = engine.begin(script, await facts_for(tx, case), now, case.language)
    return await save(tx, rt, case, script, outcome, channel, address, now)


async def resume(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    channel: str,
    address: str | None,
    now: dt.datetime,
) -> list[int]:
    """Start, or repeat the open question (after a new channel was bound)."""
    state, script = await conversation(tx, rt, case)
    if state is None:
        return await start(tx, rt, case, channel, address, now)
    facts = await facts_for(tx, case, now, state, script)
    outcome = engine.resume(state, script, facts, now)
    return await save(tx, rt, case, script, outcome, channel, address, now)


async def receive(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    text: str,
    channel: str,
    address: str | None,
    now: dt.datetime,
) -> list[int]:
    """Handle one message from the self-reporter; returns the queued outbox ids."""
    state, script = await conversation(tx, rt, case)
    facts = await facts_for(tx, case, now, state, script)
    opened: list[int] = []
    if state is None:
        opening = engine.begin(script, facts, now, case.language)
        opened = await save(tx, rt, case, script, opening, channel, address, now)
        if match_keyword(text, script.keyword_forms) is None:
            return opened  # they wrote first: open the conversation, do not grade a reply
        state = opening.state
    if case.opted_out and not state.opted_out:
        state = state.evolve(opted_out=True)  # the carrier told us (Twilio 21610)
    outcome = engine.reply(state, script, text, facts, now)
    return opened + await save(tx, rt, case, script, outcome, channel, address, now)


async def save(
    tx, rt: Runtime, case: Case, script: Script, outcome: Outcome, channel, address, now
) -> list[int]:
    """Store an engine outcome: alerts and cancelled timers first, then state and messages.

    `script` is the one the outcome came from (the conversation's own version).
    """
    for effect in outcome.effects:
        if isinstance(effect, Escalated):
            await alerts.escalate(tx, rt, case, effect.reason, now, note=effect.note)
        elif isinstance(effect, AppointmentBooked):
            await appointments.cancel_booked(tx, case.id, now)
            booked = await appointments.book(tx, case.id, case.organisation_id, effect.offer, now)
            await plan_appointment_reminders(tx, case, booked, effect.offer.start, now)
        elif isinstance(effect, AppointmentCancelled):
            await appointments.cancel_booked(tx, case.id, now)
            await scheduler.cancel(tx, case.id, ("appointment_reminder",), now, "cancelled")
        elif isinstance(effect, OptedOut):
            await scheduler.cancel(tx, case.id, PERSON_EVENTS, now, "opted out")
            await alerts.escalate(tx, rt, case, "opted_out", now)
    return await save_outcome(
        tx,
        rt.vault,
        case,
        outcome,
        script_id=script.id,
        script_version=script.version,
        channel=channel,
        address=address,
        now=now,
    )


async def plan_appointment_reminders(
    tx: aiosqlite.Connection,
    case: Case,
    appointment_id: int,
    start: dt.datetime,
    now: dt.datetime,
) -> None:
    """A reminder the working day before (10:00) and on the morning itself (09:00)."""
    local = start.astimezone(AMSTERDAM)
    day_before = dt.datetime.combine(
        working_days_before(local.date(), 1), dt.time(10), tzinfo=AMSTERDAM
    )
    morning = dt.datetime.combine(local.date(), dt.time(9), tzinfo=AMSTERDAM)
    for when, moment in (("day_before", day_before), ("morning", morning)):
        if now < moment <= start - dt.timedelta(hours=1):
            await scheduler.schedule(
                tx, case.id, "appointment_reminder", moment, appointment=appointment_id, when=when
            )
