"""What a delivery result means for the case: another channel, a held message, an alert.

A permanent failure means the person has not been reached there: the route is marked
dead, the message goes by the next route if there is one, and when it was a first
contact or a reminder the contact person is alerted the same working day ("niet
bereikbaar"), so nobody waits five working days for a "no response" escalation.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3

import aiosqlite

from bot.outreach import alerts, turns
from bot.runtime import Runtime
from conversations.matching import match_keyword
from storage import outbox, routes
from storage.cases import Case, get_case

log = logging.getLogger("voorzorg.delivery")

# Messages whose loss leaves the person unreached: their failure escalates at once.
REACHING_OUT = ("first_contact", "reminder_1", "reminder_2", "reminder_3", "nudge")
UNREACHABLE = "unreachable"


async def failed_for_good(
    tx: aiosqlite.Connection,
    rt: Runtime,
    row: sqlite3.Row,
    reason: str,
    now: dt.datetime,
    *,
    dead_route: bool,
) -> None:
    """A message to a person failed permanently (a send error or a status callback)."""
    if row["audience"] != "person" or row["case_id"] is None:
        return
    case = await get_case(tx, rt.vault, case_id=row["case_id"])
    if case is None:
        return
    if dead_route:
        address = rt.vault.open(row["address"], "outbox.address") or ""
        await routes.mark_dead(tx, rt.vault, case.id, row["channel"], address, reason, now)
        await _send_elsewhere(tx, rt, case, row, now)
    if row["purpose"] in REACHING_OUT:
        await escalate_unreachable(tx, rt, case, f"{row['channel']}: {reason}", now)


async def escalate_unreachable(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, note: str, now: dt.datetime
) -> None:
    """Alert the contact person that the person cannot be reached (once while open)."""
    await alerts.escalate(tx, rt, case, UNREACHABLE, now, note=note, once=True)


async def _send_elsewhere(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, row: sqlite3.Row, now: dt.datetime
) -> None:
    """Queue the failed message again on the person's next live route, if any, followed
    by what still waited for the dead route (in their order)."""
    target = await turns.route(tx, rt, case)
    if target is None or target[0] == row["channel"] or target[1] is None:
        return
    waiting = await outbox.waiting_for_case(tx, case.id, row["channel"], ("pending", "held"))
    why = f"sent by {target[0]} instead"
    for message in [row, *waiting]:
        text = rt.vault.open(message["body"], "outbox.body") or ""
        choices = tuple(json.loads(rt.vault.open(message["choices"], "outbox.choices") or "[]"))
        await outbox.queue_message(
            tx, rt.vault, case.id, *target, text, choices, now, purpose=message["purpose"]
        )
        if message["id"] != row["id"]:
            await outbox.cancel(tx, message["id"], why, now)


async def reroute_whatsapp(
    tx: aiosqlite.Connection, rt: Runtime, row: sqlite3.Row, why: str, now: dt.datetime
) -> None:
    """WhatsApp's window is closed and no template applies: this message, and the others
    waiting for the person on WhatsApp, go by SMS; failed when there is no phone."""
    case = await get_case(tx, rt.vault, case_id=row["case_id"])
    phone = case.phone if case is not None and case.textable else None
    if phone is None or await routes.is_dead(tx, rt.vault, row["case_id"], "sms", phone):
        await outbox.record_attempt(tx, row["id"], "failed", None, why + "; no SMS", None, now)
        await failed_for_good(tx, rt, row, why, now, dead_route=False)
        return
    waiting = await outbox.waiting_for_case(tx, row["case_id"], "whatsapp", ("pending", "held"))
    for message in [row, *(m for m in waiting if m["id"] != row["id"])]:
        await outbox.move_to(tx, rt.vault, message["id"], "sms", phone, why + "; sent by SMS", now)


async def hold_for_template(
    tx: aiosqlite.Connection, rt: Runtime, row: sqlite3.Row, why: str, now: dt.datetime
) -> None:
    """Keep this message back until the person answers the template sent before it."""
    await outbox.hold(tx, [row["id"]], why, now)


async def answer_to_template(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, text: str, now: dt.datetime
) -> bool:
    """The person answered on WhatsApp while messages waited for that answer: they go out
    now, and the answer itself ("ok", "ja") is not taken as a reply to a question the
    person has not seen yet. A keyword (STOP, MENS...) still counts: the waiting messages
    are then dropped and the keyword is handled as always. True when the answer was
    taken as the go-ahead."""
    held = await outbox.waiting_for_case(tx, case.id, "whatsapp", ("held",))
    if not held:
        return False
    _, script = await turns.conversation(tx, rt, case)
    if match_keyword(text, script.keyword_forms) is not None:
        await outbox.drop_held(tx, case.id, "superseded by the person's keyword", now)
        return False
    await outbox.release_held(tx, case.id, now)
    return True
