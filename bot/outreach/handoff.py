"""A contact person takes over: the bot stops asking and relays, until they hand back."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.outreach import alerts, timeline, turns
from bot.runtime import Runtime
from conversations import engine
from storage.cases import Case, audit, get_case
from storage.conversations import queue_message
from storage.db import fetchone

HAND_BACK = ("klaar", "/klaar", "terug", "/terug", "done", "/done", "handback")


class NoRoute(RuntimeError):
    """The person cannot be reached on any channel."""


async def take_over(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, contact_id: int, now: dt.datetime
) -> None:
    await tx.execute("UPDATE cases SET taken_over_by = ? WHERE id = ?", (contact_id, case.id))
    await tx.execute(
        """UPDATE escalations SET acknowledged_at = ?, acknowledged_by = 'takeover'
           WHERE case_id = ? AND acknowledged_at IS NULL""",
        (now.isoformat(), case.id),
    )
    await audit(tx, f"contact:{contact_id}", "take_over", case.id, now.isoformat())


async def hand_back(tx: aiosqlite.Connection, rt: Runtime, case: Case, now: dt.datetime) -> None:
    """The bot picks up again: it repeats the open question, if there is one."""
    await tx.execute("UPDATE cases SET taken_over_by = NULL WHERE id = ?", (case.id,))
    await audit(tx, f"contact:{case.taken_over_by}", "hand_back", case.id, now.isoformat())
    state, script = await turns.conversation(tx, rt, case)
    target = await timeline.route(tx, rt, case)
    if state is not None and state.step is not None and target is not None:
        facts = await turns.facts_for(tx, case, now, state, script)
        outcome = engine.resume(state, script, facts, now)
        await turns.save(tx, rt, case, script, outcome, *target, now)


async def say_to_person(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    contact_name: str,
    text: str,
    now: dt.datetime,
) -> None:
    """What the contact person types goes out on the person's channel, with who says it."""
    target = await timeline.route(tx, rt, case)
    if target is None:
        raise NoRoute(f"{case.reference} has no channel to reach the person on")
    org = await fetchone(tx, "SELECT name FROM organisations WHERE id = ?", (case.organisation_id,))
    body = f"{org['name']} ({contact_name}): {text}"
    await queue_message(tx, rt.vault, case.id, *target, body, (), now)


async def relay_to_contact(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, text: str, now: dt.datetime
) -> None:
    """What the person writes during a takeover goes to the contact who took over."""
    contact = await fetchone(tx, "SELECT * FROM contacts WHERE id = ?", (case.taken_over_by,))
    if contact is None:
        return
    body = f"{case.reference}: {text}"
    for channel, address, _ in alerts.routes(rt, contact):
        await queue_message(
            tx, rt.vault, case.id, channel, address, body, (), now, audience="staff"
        )


async def from_contact(
    tx: aiosqlite.Connection,
    rt: Runtime,
    contact,
    channel: str,
    sender: str,
    text: str,
    reply_to: str | None,
    now: dt.datetime,
) -> None:
    """A contact person wrote: acknowledge, take over, relay, or hand back."""
    case = await _case_in_question(tx, rt, contact, channel, reply_to)
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
    await queue_message(tx, rt.vault, None, channel, sender, reply, (), now, audience="staff")


async def _case_in_question(
    tx, rt: Runtime, contact, channel: str, reply_to: str | None
) -> Case | None:
    """The case a reply is about (the alert it answers), else the one this contact holds."""
    if reply_to is not None:
        row = await fetchone(
            tx,
            """SELECT case_id FROM outbox WHERE channel = ? AND provider_id = ?
                   AND audience = 'staff' AND case_id IS NOT NULL""",
            (channel, reply_to),
        )
        if row is not None:
            return await get_case(tx, rt.vault, case_id=row["case_id"])
    held = await fetchone(
        tx,
        "SELECT id FROM cases WHERE taken_over_by = ? ORDER BY updated_at DESC LIMIT 1",
        (contact["id"],),
    )
    return await get_case(tx, rt.vault, case_id=held["id"]) if held else None
