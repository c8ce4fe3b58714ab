"""One turn of a conversation: load state, run the engine, store the outcome.

Every channel (terminal, simulator, SMS, WhatsApp, Telegram) goes through here. The
caller owns the transaction, so a turn commits together with whatever caused it (an
inbound row marked processed, a chat bound to its case).
"""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot import alerts, scheduler
from bot.runtime import Runtime
from conversations import engine
from conversations.matching import match_keyword
from conversations.state import Escalated, Facts, OptedOut, Outcome
from storage.cases import Case
from storage.conversations import load_state, save_outcome
from storage.db import fetchone

DEFAULT_SCRIPT = "intake"
PERSON_EVENTS = ("outreach", "reminder", "step_timeout")  # events that message the person


async def facts_for(tx: aiosqlite.Connection, case: Case) -> Facts:
    org = await fetchone(
        tx, "SELECT name, phone FROM organisations WHERE id = ?", (case.organisation_id,)
    )
    return Facts(
        first_name=case.first_name,
        report_date=case.report_date,
        invite_code=case.invite_code,
        organisation=org["name"],
        sender=org["name"],
        organisation_phone=org["phone"] or "",
        prison=case.prison or "",
    )


async def start(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    channel: str,
    address: str | None,
    now: dt.datetime,
) -> list[int]:
    """Open the conversation if it has not started; returns the queued outbox ids."""
    if await load_state(tx, rt.vault, case.id) is not None:
        return []
    outcome = engine.begin(
        rt.scripts[DEFAULT_SCRIPT], await facts_for(tx, case), now, case.language
    )
    return await save(tx, rt, case, outcome, channel, address, now)


async def resume(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    channel: str,
    address: str | None,
    now: dt.datetime,
) -> list[int]:
    """Start, or repeat the open question (after a new channel was bound)."""
    state = await load_state(tx, rt.vault, case.id)
    if state is None:
        return await start(tx, rt, case, channel, address, now)
    facts = await facts_for(tx, case)
    outcome = engine.resume(state, rt.scripts[DEFAULT_SCRIPT], facts, now)
    return await save(tx, rt, case, outcome, channel, address, now)


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
    state = await load_state(tx, rt.vault, case.id)
    script = rt.scripts[DEFAULT_SCRIPT]
    facts = await facts_for(tx, case)
    opened: list[int] = []
    if state is None:
        opening = engine.begin(script, facts, now, case.language)
        opened = await save(tx, rt, case, opening, channel, address, now)
        if match_keyword(text, script.keyword_forms) is None:
            return opened  # they wrote first: open the conversation, do not grade a reply
        state = opening.state
    if case.opted_out and not state.opted_out:
        state = state.evolve(opted_out=True)  # the carrier told us (Twilio 21610)
    outcome = engine.reply(state, script, text, facts, now)
    return opened + await save(tx, rt, case, outcome, channel, address, now)


async def save(tx, rt: Runtime, case: Case, outcome: Outcome, channel, address, now) -> list[int]:
    """Store an engine outcome: alerts and cancelled timers first, then state and messages."""
    script = rt.scripts[DEFAULT_SCRIPT]
    for effect in outcome.effects:
        if isinstance(effect, Escalated):
            await alerts.escalate(tx, rt, case, effect.reason, now)
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
