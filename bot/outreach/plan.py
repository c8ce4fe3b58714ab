"""The person's own plan, told to them: a short summary when it is agreed, and a reminder
of each of their own actions before it is due (and before the report date).

Only with consent to share with the municipality. Texts come from the catalogs in the
case's language; the first line names the sender only, so a lock screen reveals nothing.
"""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.outreach import turns
from bot.outreach.scheduler import cancel, schedule
from bot.runtime import Runtime
from locales import N_, gettext
from storage import casework, outbox, workspace
from storage.cases import Case
from storage.organisations import get_organisation
from storage.workspace import PlanAction

REMIND_HOUR = dt.time(10)


def _date(day: dt.date) -> str:
    return day.strftime("%d-%m-%Y")


WHO_SAYS = {"person": N_("you"), "municipality": N_("we"), "partner": N_("a partner")}


def _line(language: str, item: PlanAction) -> str:
    who = gettext(language, WHO_SAYS[item.who])
    due = f", {gettext(language, N_('before'))} {_date(item.due)}" if item.due else ""
    return f"- {item.what} ({who}{due})"


async def _sender(tx: aiosqlite.Connection, case: Case) -> str:
    org = await get_organisation(tx, case.organisation_id)
    return (org["sender_name"] or org["name"]) if org else "Voorzorg"


async def may_tell(tx: aiosqlite.Connection, case: Case) -> bool:
    """Whether the person agreed to share, so the bot may talk about their plan."""
    consent = await casework.consent(tx, case.id)
    return consent.get("share_with_municipality") is True and not case.opted_out


def summary(language: str, sender: str, name: str, actions: list[PlanAction]) -> str:
    """The agreed plan in a few lines, in the person's language."""
    lang = language
    head = gettext(lang, N_("%(sender)s: Hello %(name)s, this is what we agreed together:")) % {
        "sender": sender,
        "name": name,
    }
    lines = [_line(lang, a) for a in actions if a.status == "open"]
    tail = gettext(lang, N_("Questions? Reply to this message."))
    return "\n".join([head, *lines, tail])


def reminder(language: str, sender: str, name: str, item: PlanAction) -> str:
    """A reminder of one of the person's own actions."""
    head = gettext(language, N_("%(sender)s: Hello %(name)s, a reminder of what you would do:")) % {
        "sender": sender,
        "name": name,
    }
    tail = gettext(language, N_("Done, or do you need help? Reply to this message."))
    return "\n".join([head, _line(language, item), tail])


async def tell_agreed(tx: aiosqlite.Connection, rt: Runtime, case: Case, now: dt.datetime) -> bool:
    """Send the summary and plan reminders of the person's own actions; False without
    consent or a channel (then nothing is sent or planned)."""
    if not await may_tell(tx, case):
        return False
    target = await turns.route(tx, rt, case)
    if target is None:
        return False
    actions = await workspace.plan(tx, rt.vault, case.id)
    text = summary(case.language, await _sender(tx, case), case.first_name, actions)
    await outbox.queue_message(tx, rt.vault, case.id, *target, text, (), now)
    await plan_reminders(tx, rt, case, actions, now)
    return True


async def plan_reminders(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, actions: list[PlanAction], now: dt.datetime
) -> None:
    """One reminder per open own action: the working day before it is due, or before the
    report date when that comes first; none in the past."""
    await cancel(tx, case.id, ("plan_reminder",), now, "plan changed")
    calendar = await rt.calendar_of(tx, case.organisation_id)
    for item in actions:
        if item.who != "person" or item.status != "open":
            continue
        deadline = min(item.due or case.report_date, case.report_date)
        day = calendar.working_days_before(deadline, 1)
        due = calendar.sending_window(
            dt.datetime.combine(day, REMIND_HOUR, tzinfo=calendar.tz), *rt.settings.window
        )
        if due > now:
            await schedule(tx, case.id, "plan_reminder", due, action=item.id)


async def remind(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, action_id: int, now: dt.datetime
) -> str | None:
    """Queue the reminder of one action; why not, when it should not go."""
    item = await workspace.action(tx, rt.vault, action_id)
    if item is None or item.status != "open":
        return "action done or gone"
    if not await may_tell(tx, case):
        return "no consent to share"
    target = await turns.route(tx, rt, case)
    if target is None:
        return "no channel"
    text = reminder(case.language, await _sender(tx, case), case.first_name, item)
    await outbox.queue_message(tx, rt.vault, case.id, *target, text, (), now)
    return None
