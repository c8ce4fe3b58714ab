"""Escalations to contact persons: who, why, how soon; by every channel they have."""

from __future__ import annotations

import datetime as dt
import sqlite3

import aiosqlite

from bot.outreach.scheduler import Done, dropped, schedule
from bot.outreach.scheduler import Result as R
from bot.runtime import Runtime
from storage import contacts, escalations
from storage.cases import Case, get_case
from storage.outbox import queue_message

REASONS = {
    "no_response": "geen reactie",
    "asked_for_human": "vraagt om een medewerker",
    "no_slot_fits": "geen afspraaktijd past",
    "postponement": "vraagt om uitstel",
    "kind_check": "zorgt voor kinderen of anderen en wil hulp",
    "opted_out": "wil geen berichten meer",
    "not_understood": "de bot begreep de antwoorden niet",
    "someone_else": "iemand anders antwoordde (bijvoorbeeld een familielid)",
    "report_soon": "meldt zich binnenkort",
    "stalled_intake": "stopte halverwege de vragen",
    "timer_failed": "een geplande stap (bericht, herinnering) lukte ook na herhalen niet",
    "unreachable": "niet bereikbaar",
    "no_mobile": "geen mobiel nummer: bellen of een brief sturen",
    "unreadable": "een bericht kon niet worden verwerkt",
    "code_claimed_twice": "een tweede chat probeerde de uitnodigingscode te gebruiken",
}
ACK_WORDS = ("1", "ok", "oke", "gezien", "ja", "ik pak dit op")
ACK_LABEL = "Ik pak dit op"


def alert_text(rt: Runtime, case: Case, reason: str, line: int, now: dt.datetime) -> str:
    """No names, no answers: the reference, the reason, the time left, and a link."""
    today = rt.calendar.local(now).date()
    days = (case.report_date - today).days
    why = REASONS.get(reason, reason)
    if reason == "report_soon":
        left = rt.calendar.working_days_between(today, case.report_date)
        why = f"meldt zich over {left} werkdagen"
    backup = " (u bent de tweede lijn: de eerste contactpersoon reageerde niet)" if line > 1 else ""
    return (
        f"Voorzorg: actie nodig voor {case.reference} ({case.municipality}){backup}.\n"
        f"Reden: {why}. Nog {days} dagen tot de meldingsdatum.\n"
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
    once: bool = False,
) -> int | None:
    """Record an escalation, alert the contact, and check back after one working day.

    With `once`, nothing happens while an escalation for this reason is still open
    (returns None): a situation that stays the same is told one time.
    """
    if once and await escalations.latest_open(tx, case.id, reason) is not None:
        return None
    contact = await contacts.on_duty(tx, case.organisation_id, backup=line > 1)
    escalation_id = await escalations.record(
        tx, rt.vault, case.id, reason, contact["id"] if contact else None, line, note, now
    )
    if contact is not None:
        await tell_contact(tx, rt, case, contact, alert_text(rt, case, reason, line, now), now)
    if line == 1:
        calendar = await rt.calendar_of(tx, case.organisation_id)
        due = calendar.add_working_days(now, 1)
        await schedule(tx, case.id, "escalation_check", due, escalation=escalation_id)
    return escalation_id


def routes(rt: Runtime, contact: sqlite3.Row) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every channel a contact person has: e-mail (if SMTP is set up), Telegram, SMS."""
    found = []
    if rt.settings.smtp_host and rt.settings.smtp_from:
        found.append(("email", contact["email"], ()))
    if contact["telegram_chat_id"] is not None:
        found.append(("telegram", str(contact["telegram_chat_id"]), (ACK_LABEL,)))
    if contact["phone"]:
        found.append(("sms", contact["phone"], ()))
    return found


async def tell_contact(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, contact: sqlite3.Row, text: str, now
) -> None:
    """A message about a case to a contact person, on every channel they have."""
    for channel, address, choices in routes(rt, contact):
        await queue_message(
            tx, rt.vault, case.id, channel, address, text, choices, now, audience="staff"
        )


async def correct(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    reason: str,
    condition: str,
    status: str,
    now: dt.datetime,
) -> None:
    """The person changed the answer behind an open escalation: the contact person hears
    that the first alert may no longer hold (a person decides; nothing is withdrawn)."""
    open_one = await escalations.latest_open(tx, case.id, reason)
    if open_one is None:
        return
    await escalations.add_note(
        tx, rt.vault, open_one["id"], f"{now.isoformat()}: antwoord aangepast ({condition})"
    )
    contact = await contacts.by_id(tx, open_one["contact_id"]) if open_one["contact_id"] else None
    if contact is not None:
        text = (
            f"Voorzorg: update voor {case.reference} ({case.municipality}).\n"
            f"De persoon heeft een antwoord aangepast. De melding "
            f"'{REASONS.get(reason, reason)}' geldt misschien niet meer.\n"
            f"Bekijk de casus: {rt.settings.public_url}/admin/cases/{case.reference}"
        )
        await tell_contact(tx, rt, case, contact, text, now)


async def check_acknowledged(
    tx: aiosqlite.Connection, rt: Runtime, escalation_id: int, now: dt.datetime
) -> Done:
    """One working day after an alert: not taken on yet, so the backup gets it."""
    row = await escalations.get(tx, escalation_id)
    if row is None:
        return dropped("escalation gone")
    if row["acknowledged_at"]:
        return dropped("acknowledged")
    case = await get_case(tx, rt.vault, case_id=row["case_id"])
    if case is None or case.report_date <= rt.calendar.local(now).date():
        return dropped("report date passed")
    await escalate(tx, rt, case, row["reason"], now, line=2)
    return Done(R.ESCALATED, "to backup")


async def acknowledge_by_reply(
    tx: aiosqlite.Connection,
    rt: Runtime,
    contact: sqlite3.Row,
    channel: str,
    sender: str,
    text: str,
    now: dt.datetime,
) -> None:
    """A contact person answered an alert: OK (or the button) acknowledges their latest one."""
    open_one = await escalations.latest_open_for_contact(tx, contact["id"])
    if open_one and text.strip().lower().rstrip("!.") in ACK_WORDS:
        escalation_id, case_id, reference = open_one
        await escalations.acknowledge(
            tx, escalation_id, case_id, f"{channel}:{contact['email']}", now
        )
        reply = f"Voorzorg: bevestigd. {reference} staat op uw naam."
    elif open_one:
        reply = "Voorzorg: antwoord OK om de laatste melding te bevestigen."
    else:
        reply = "Voorzorg: u heeft geen open meldingen."
    await queue_message(tx, rt.vault, None, channel, sender, reply, (), now, audience="staff")
