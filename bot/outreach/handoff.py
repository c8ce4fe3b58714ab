"""A contact person takes over: the bot stops asking and relays, until they hand back."""

from __future__ import annotations

import datetime as dt
import sqlite3

import aiosqlite

from bot.errors import NoRoute
from bot.outreach import alerts, turns, whatsapp
from bot.runtime import Runtime
from storage import cases, contacts, escalations, outbox
from storage.cases import Case, audit, get_case

HAND_BACK = ("klaar", "/klaar", "terug", "/terug", "done", "/done", "handback")


async def take_over(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, contact_id: int, now: dt.datetime
) -> None:
    await cases.set_taken_over(tx, case.id, contact_id, now)
    await escalations.acknowledge_all(tx, case.id, "takeover", now)
    await audit(tx, f"contact:{contact_id}", "take_over", case.id, now.isoformat())


async def hand_back(tx: aiosqlite.Connection, rt: Runtime, case: Case, now: dt.datetime) -> None:
    """The bot picks up again: it repeats the open question, if there is one."""
    await cases.set_taken_over(tx, case.id, None, now)
    await audit(tx, f"contact:{case.taken_over_by}", "hand_back", case.id, now.isoformat())
    state, _ = await turns.conversation(tx, rt, case)
    if state is not None and state.step is not None:
        await turns.resume(tx, rt, case, None, now)


async def say_to_person(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    contact_name: str,
    text: str,
    now: dt.datetime,
) -> None:
    """What the contact person types goes out on the person's channel, with who says it."""
    target = await turns.route(tx, rt, case)
    if target is None:
        raise NoRoute(f"{case.reference} has no channel to reach the person on")
    facts = await turns.facts_for(tx, rt, case, now)
    body = f"{facts.organisation} ({contact_name}): {text}"
    variables = whatsapp.variables_for("staff_reply", facts)
    await outbox.queue_message(
        tx,
        rt.vault,
        case.id,
        *target,
        body,
        (),
        now,
        purpose="staff_reply",
        template_variables=variables,
    )


async def relay_to_contact(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, text: str, now: dt.datetime
) -> None:
    """What the person writes during a takeover goes to the contact who took over.

    The first line is fixed (an e-mail's subject is its first line): the person's words
    never appear in a subject or on a lock screen's first line.
    """
    contact = await contacts.by_id(tx, case.taken_over_by) if case.taken_over_by else None
    if contact is not None:
        relayed = f"Voorzorg: bericht over {case.reference}\n{text}"
        await alerts.tell_contact(tx, rt, case, contact, relayed, now)


async def from_contact(
    tx: aiosqlite.Connection,
    rt: Runtime,
    contact: sqlite3.Row,
    channel: str,
    sender: str,
    text: str,
    reply_to: str | None,
    now: dt.datetime,
) -> None:
    """A contact person wrote: acknowledge, take over, relay, or hand back."""
    case = await _case_in_question(tx, rt, contact, channel, sender, reply_to)
    word = text.strip().lower().rstrip("!.")
    if case is not None and case.taken_over_by == contact["id"]:
        if word in HAND_BACK:
            await hand_back(tx, rt, case, now)
            reply = f"Voorzorg: {case.reference} is terug bij de bot."
        else:
            await say_to_person(tx, rt, case, contact["name"], text, now)
            return
    elif case is not None and reply_to is not None and word not in alerts.ACK_WORDS:
        await take_over(tx, rt, case, contact["id"], now)
        await say_to_person(tx, rt, case, contact["name"], text, now)
        reply = (
            f"Voorzorg: u heeft {case.reference} overgenomen. Wat u hier typt, gaat naar "
            "de persoon. Stuur KLAAR om terug te geven aan de bot."
        )
    else:
        await alerts.acknowledge_by_reply(tx, rt, contact, channel, sender, text, now)
        return
    await outbox.queue_message(
        tx, rt.vault, None, channel, sender, reply, (), now, audience="staff"
    )


async def _case_in_question(
    tx: aiosqlite.Connection,
    rt: Runtime,
    contact: sqlite3.Row,
    channel: str,
    sender: str,
    reply_to: str | None,
) -> Case | None:
    """The case a reply is about (the alert it answers), else the one this contact holds.

    An alert counts only if it went to this very address and is about a case of the
    contact's own organisation: provider ids are not unique across chats.
    """
    if reply_to is not None:
        alert = await outbox.alert_answered(tx, rt.vault, channel, reply_to, sender)
        case = await get_case(tx, rt.vault, case_id=alert["case_id"]) if alert else None
        if case is not None and case.organisation_id == contact["organisation_id"]:
            return case
    held = await cases.held_by(tx, contact["id"])
    return await get_case(tx, rt.vault, case_id=held) if held else None
