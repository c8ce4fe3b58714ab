"""One turn of a conversation: load it, find the route, build the facts, run the engine,
apply the outcome. Every path goes through `advance`: inbound messages (terminal,
simulator, SMS, WhatsApp, Telegram), the timeline's reminders, staff actions and handoff.

The caller owns the transaction, so a turn commits together with whatever caused it (an
inbound row marked processed, a chat bound to its case, a timer claimed).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import aiosqlite

from bot.outreach import appointments, effects, scheduler, whatsapp
from bot.runtime import Runtime
from conversations import engine
from conversations.matching import match_keyword
from conversations.render import RenderError
from conversations.script import Script
from conversations.state import Facts, Offer, Outcome, State
from storage import appointments as slots
from storage import conversations as stored
from storage import identities, inbound, routes
from storage.cases import Case
from storage.organisations import closing_days_of, get_organisation

log = logging.getLogger("voorzorg.turns")
DEFAULT_SCRIPT = "intake"
CHASING = ("outreach", "reminder", "escalate")  # timers for someone who has not answered
Target = tuple[str, str | None]  # (channel, address); the terminal has no address
# The engine call of a turn: given the state (None before the start), the conversation's
# script and the facts, the outcome to apply (None: nothing to say).
Move = Callable[[State | None, Script, Facts], Outcome | None]


async def conversation(
    tx: aiosqlite.Connection, rt: Runtime, case: Case
) -> tuple[State | None, Script]:
    """The state and the script version of a case's conversation, in one read."""
    found = await stored.load(tx, rt.vault, case.id)
    if found is None:
        return None, await rt.script(DEFAULT_SCRIPT)
    return found.state, await rt.script(found.script_id, found.script_version)


async def route(tx: aiosqlite.Connection, rt: Runtime, case: Case) -> Target | None:
    """Where to reach this person: where they last wrote from, else their newest chat,
    else their phone by SMS (a mobile number); never a route that failed for good."""
    dead = await routes.dead(tx, case.id)

    def alive(found: Target | None) -> bool:
        return found is not None and (found[0], rt.vault.lookup_hash(found[1] or "")) not in dead

    if alive(found := await inbound.last_sender(tx, rt.vault, case.id)):
        return found  # the common case: one read, not three
    if alive(found := await identities.latest(tx, rt.vault, case.id)):
        return found
    phone: Target | None = ("sms", case.phone) if case.phone and case.textable else None
    return phone if alive(phone) else None


async def facts_for(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    now: dt.datetime,
    state: State | None = None,
    script: Script | None = None,
) -> Facts:
    """What the engine may know; free times only when this turn could book."""
    org = await scheduler.once(  # a batch of arrivals, a tick: read once
        ("organisation", case.organisation_id),
        lambda: get_organisation(tx, case.organisation_id),
    )
    assert org is not None, "a case always belongs to an organisation"
    calendar = rt.with_closing_days(closing_days_of(org))  # one read for both
    offers: tuple[Offer, ...] = ()
    if script is not None and _may_book(script, state):
        offers = await slots.free_offers(
            tx, case.organisation_id, now, case.report_date, calendar=calendar
        )
    return Facts(
        first_name=case.first_name,
        report_date=case.report_date,
        invite_code=case.invite_code,
        organisation=org["name"],
        sender=org["sender_name"] or org["name"],
        organisation_phone=org["phone"] or "",
        organisation_address=org["address"] or "",
        organisation_website=org["website"] or "",
        prison=case.prison or "",
        offers=offers,
        calendar=calendar,
    )


def _may_book(script: Script, state: State | None) -> bool:
    if state is None:
        return False
    return state.step is None or state.appointment is not None or state.step in script.near_booking


async def advance(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    move: Move,
    now: dt.datetime,
    target: Target | None = None,
    purpose: str | None = None,
) -> list[int]:
    """Run `move` on the case's conversation and apply its outcome.

    `target` is where the answer goes (the address a message came from); by default the
    person's route. `purpose` says why the bot speaks unasked (first_contact, reminder_1,
    ...): a failed delivery of it escalates, and on WhatsApp after 24 hours it goes as
    that purpose's template. Returns the queued outbox ids; none when there is no route
    or nothing to say.
    """
    state, script = await conversation(tx, rt, case)
    target = target or await route(tx, rt, case)
    if target is None:
        return []
    facts = await facts_for(tx, rt, case, now, state, script)
    try:
        outcome = move(state, script, facts)
    except RenderError as exc:
        script, outcome = await _fall_back(tx, rt, case, move, state, script, now, exc)
    if outcome is None:
        return []
    variables = whatsapp.variables_for(purpose, facts)
    turn = effects.Turn(tx, rt, case, script, *target, now, purpose, variables)
    return await effects.apply(turn, outcome)


async def _fall_back(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    move: Move,
    state: State | None,
    failed: Script,
    now: dt.datetime,
    error: RenderError,
) -> tuple[Script, Outcome | None]:
    """The script version failed to render this turn: the newest earlier published
    version that renders it (and knows the conversation's step) takes over; none does:
    the error goes on (the scheduler retries and escalates)."""
    for older in await rt.fallbacks(failed):
        if state is not None and state.step is not None and state.step not in older.steps:
            continue
        try:
            outcome = move(state, older, await facts_for(tx, rt, case, now, state, older))
        except RenderError:
            continue
        log.warning(
            "%s v%d does not render for case %s (%s); used v%d",
            failed.id,
            failed.version,
            case.id,
            type(error).__name__,
            older.version,
        )
        return older, outcome
    raise error


async def start(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    target: Target | None,
    now: dt.datetime,
    purpose: str | None = None,
) -> list[int]:
    """Open the conversation if it has not started (`purpose`: first_contact when the
    bot writes first)."""

    def opening(state: State | None, script: Script, facts: Facts) -> Outcome | None:
        if state is not None:
            return None
        return engine.begin(script, facts, now, case.language)

    return await advance(tx, rt, case, opening, now, target, purpose)


async def resume(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, target: Target | None, now: dt.datetime
) -> list[int]:
    """Start, or repeat the open question (a new channel was bound, a contact handed back)."""

    def again(state: State | None, script: Script, facts: Facts) -> Outcome | None:
        if state is None:
            return engine.begin(script, facts, now, case.language)
        return engine.resume(state, script, facts, now)

    return await advance(tx, rt, case, again, now, target)


async def remind(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, key: str, now: dt.datetime
) -> list[int]:
    """A reminder text of the script (`reminder_1`, `nudge`, ...) on the person's route."""

    def reminder(state: State | None, script: Script, facts: Facts) -> Outcome | None:
        return engine.remind(state, script, key, facts, now) if state is not None else None

    return await advance(tx, rt, case, reminder, now, purpose=key)


async def receive(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, text: str, target: Target, now: dt.datetime
) -> list[int]:
    """One message from the self-reporter, answered where it came from. Someone who writes
    before we did gets the opening; a keyword in that first message counts too."""

    wrote_first = []  # set when this message opens the conversation

    def answer(state: State | None, script: Script, facts: Facts) -> Outcome:
        opening = None
        if state is None:
            wrote_first.append(True)
            opening = engine.begin(script, facts, now, case.language)
            if match_keyword(text, script.keyword_forms) is None:
                return opening  # they wrote first: open the conversation, grade no reply
            state = opening.state
        if case.opted_out and not state.opted_out:
            state = state.evolve(opted_out=True)  # the carrier told us (Twilio 21610)
        reply = engine.reply(state, script, text, facts, now)
        if opening is None:
            return reply
        return Outcome(
            reply.state, opening.messages + reply.messages, opening.effects + reply.effects
        )

    queued = await advance(tx, rt, case, answer, now, target)
    if wrote_first:  # before the planned first message: no outreach chases them any more
        await scheduler.cancel(tx, case.id, CHASING, now, "they wrote first")
    return queued


async def book_for_person(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, offer: Offer, now: dt.datetime
) -> None:
    """Staff booked (or moved) a time for the person; the conversation tells them."""
    await appointments.book(tx, rt, case, offer, now)

    def appointment_set(state: State | None, script: Script, facts: Facts) -> Outcome | None:
        if state is None:
            return None
        at_booking = state.step == script.booking_step
        state = state.evolve(
            appointment=offer.to_dict(), offered=[], step=None if at_booking else state.step
        )
        return engine.remind(state, script, "appointment_set", facts, now)

    await advance(tx, rt, case, appointment_set, now)
