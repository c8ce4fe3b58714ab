"""Escalations to contact persons: who, why, how soon; by every channel they have."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.outreach.scheduler import schedule
from bot.runtime import Runtime
from conversations.calendar import AMSTERDAM, add_working_days
from storage.cases import Case
from storage.conversations import queue_message
from storage.db import fetchall, fetchone

REASONS = {
    "no_response": "geen reactie",
    "asked_for_human": "vraagt om een medewerker",
    "no_slot_fits": "geen afspraaktijd past",
    "postponement": "vraagt om uitstel",
    "kind_check": "zorgt voor kinderen of anderen en wil hulp",
    "opted_out": "wil geen berichten meer",
    "not_understood": "de bot begreep de antwoorden niet",
}
ACK_WORDS = ("1", "ok", "oke", "gezien", "ja", "ik pak dit op")
ACK_LABEL = "Ik pak dit op"


def alert_text(rt: Runtime, case: Case, reason: str, line: int, now: dt.datetime) -> str:
    """No names, no answers: the reference, the reason, the time left, and a link."""
    days = (case.report_date - now.astimezone(AMSTERDAM).date()).days
    backup = " (u bent de tweede lijn: de eerste contactpersoon reageerde niet)" if line > 1 else ""
    return (
        f"Voorzorg: actie nodig voor {case.reference} ({case.municipality}){backup}.\n"
        f"Reden: {REASONS.get(reason, reason)}. Nog {days} dagen tot de meldingsdatum.\n"
        f"Bekijk de casus: {rt.settings.public_url}/admin/cases/{case.reference}\n"
        "Antwoord OK als u dit oppakt."
    )


async def escalate(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    reason: str,
    now: dt.datetime,
    line: int = 1,
    note: str | None = None,
) -> int:
    """Record an escalation, alert the contact, and check back after one working day."""
    contact = await fetchone(
        tx,
        "SELECT * FROM contacts WHERE organisation_id = ? AND backup = ? ORDER BY id LIMIT 1",
        (case.organisation_id, int(line > 1)),
    )
    cursor = await tx.execute(
        """INSERT INTO escalations (case_id, reason, at, contact_id, line, note)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (
            case.id,
            reason,
            now.isoformat(),
            contact["id"] if contact else None,
            line,
            rt.vault.seal(note, "escalations.note"),
        ),
    )
    escalation_id = int(cursor.lastrowid or 0)
    if contact is not None:
        await _alert(tx, rt, case, contact, alert_text(rt, case, reason, line, now), now)
    if line == 1:
        due = add_working_days(now, 1)
        await schedule(tx, case.id, "escalation_check", due, escalation=escalation_id)
    return escalation_id


def routes(rt: Runtime, contact) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every channel a contact person has: e-mail (if SMTP is set up), Telegram, SMS."""
    found = []
    if rt.settings.smtp_host and rt.settings.smtp_from:
        found.append(("email", contact["email"], ()))
    if contact["telegram_chat_id"] is not None:
        found.append(("telegram", str(contact["telegram_chat_id"]), (ACK_LABEL,)))
    if contact["phone"]:
        found.append(("sms", contact["phone"], ()))
    return found


async def _alert(tx, rt: Runtime, case: Case, contact, text: str, now: dt.datetime) -> None:
    for channel, address, choices in routes(rt, contact):
        await queue_message(
            tx, rt.vault, case.id, channel, address, text, choices, now, audience="staff"
        )


async def check_acknowledged(tx, rt: Runtime, escalation_id: int, now: dt.datetime) -> str:
    row = await fetchone(tx, "SELECT * FROM escalations WHERE id = ?", (escalation_id,))
    if row is None:
        return "dropped: escalation gone"
    if row["acknowledged_at"]:
        return "dropped: acknowledged"
    from storage.cases import get_case

    case = await get_case(rt.db, rt.vault, case_id=row["case_id"])
    if case is None or case.report_date <= now.astimezone(AMSTERDAM).date():
        return "dropped: report date passed"
    await escalate(tx, rt, case, row["reason"], now, line=2)
    return "escalated to backup"


async def staff_contact(tx, channel: str, sender: str) -> aiosqlite.Row | None:
    """The contact person writing, if this address is one of theirs."""
    if channel == "telegram" and sender.lstrip("-").isdigit():
        return await fetchone(
            tx, "SELECT * FROM contacts WHERE telegram_chat_id = ?", (int(sender),)
        )
    if channel == "sms":
        return await fetchone(tx, "SELECT * FROM contacts WHERE phone = ?", (sender,))
    return None


async def acknowledge_by_reply(
    tx, rt: Runtime, contact, channel: str, sender: str, text: str, now: dt.datetime
) -> None:
    """A contact person answered an alert: OK (or the button) acknowledges their latest one."""
    open_ones = await fetchall(
        tx,
        """SELECT e.id, c.reference FROM escalations e JOIN cases c ON c.id = e.case_id
           WHERE e.contact_id = ? AND e.acknowledged_at IS NULL ORDER BY e.id DESC LIMIT 1""",
        (contact["id"],),
    )
    if open_ones and text.strip().lower().rstrip("!.") in ACK_WORDS:
        escalation_id, reference = open_ones[0]
        await tx.execute(
            "UPDATE escalations SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?",
            (now.isoformat(), f"{channel}:{contact['email']}", escalation_id),
        )
        reply = f"Voorzorg: bevestigd. {reference} staat op uw naam."
    elif open_ones:
        reply = "Voorzorg: antwoord OK om de laatste melding te bevestigen."
    else:
        reply = "Voorzorg: u heeft geen open meldingen."
    await queue_message(tx, rt.vault, None, channel, sender, reply, (), now, audience="staff")
