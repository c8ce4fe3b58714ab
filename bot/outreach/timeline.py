"""The outreach timeline: first message, reminders, escalation, nudge, purge.

Every step is a scheduled event (a row). Handlers decide at run time whether the event
still makes sense: someone who answered gets no reminder; nothing reaches a person on or
after their report date; a message due at night waits for the sending window.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, fields

import aiosqlite

from bot.outreach import alerts, retention, turns
from bot.outreach.scheduler import Event, Handler, Postpone, cancel, pending, schedule
from bot.runtime import Runtime
from conversations import engine
from conversations.calendar import (
    AMSTERDAM,
    add_working_days,
    sending_window,
    working_days_before,
)
from storage.cases import Case, get_case
from storage.conversations import load_state
from storage.db import fetchone


@dataclass(frozen=True)
class Timeline:
    """Per organisation (`timeline:` in the organisations YAML); these are the defaults."""

    reminder_days: tuple[int, ...] = (2, 4)  # working days after the first message
    escalate_after_days: int = 5  # working days without any reply (the pilot's window)
    escalate_before_report_days: int = 10  # escalate no later than this before the date
    retention_days: int = 30  # personal data is erased this long after the report date

    @classmethod
    def from_json(cls, raw: str | None) -> Timeline:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in json.loads(raw or "{}").items() if k in known}
        if "reminder_days" in data:
            data["reminder_days"] = tuple(data["reminder_days"])
        return cls(**data)


async def timeline_for(tx: aiosqlite.Connection, organisation_id: str) -> Timeline:
    row = await fetchone(tx, "SELECT timeline FROM organisations WHERE id = ?", (organisation_id,))
    return Timeline.from_json(row["timeline"] if row else None)


def report_start(case: Case) -> dt.datetime:
    """The report date's first moment: nothing but the purge is planned from then on."""
    return dt.datetime.combine(case.report_date, dt.time(0), tzinfo=AMSTERDAM)


async def plan_case(tx: aiosqlite.Connection, rt: Runtime, case: Case, now: dt.datetime) -> None:
    """On import (and when a report date changes): first contact if none yet, and the purge."""
    timeline = await timeline_for(tx, case.organisation_id)
    await cancel(tx, case.id, ("purge",), now, "replanned")
    purge_at = report_start(case) + dt.timedelta(days=timeline.retention_days, hours=3)
    await schedule(tx, case.id, "purge", purge_at)
    started = await load_state(tx, rt.vault, case.id) is not None
    if not started and not await pending(tx, case.id, "outreach"):
        await schedule(tx, case.id, "outreach", sending_window(now, *rt.settings.window))
    for row in await pending(tx, case.id, "escalate"):
        latest = _latest_escalation(case, timeline)
        if dt.datetime.fromisoformat(row["due_at"]) > latest:
            await tx.execute(
                "UPDATE scheduled_events SET due_at = ? WHERE id = ?",
                (max(latest, now).astimezone(dt.UTC).isoformat(), row["id"]),
            )


def _latest_escalation(case: Case, timeline: Timeline) -> dt.datetime:
    day = working_days_before(case.report_date, timeline.escalate_before_report_days)
    return dt.datetime.combine(day, dt.time(9), tzinfo=AMSTERDAM)


async def _case(rt: Runtime, event: Event) -> Case | None:
    case = await get_case(rt.db, rt.vault, case_id=event.case_id) if event.case_id else None
    return case


async def _to_person_check(
    rt: Runtime, case: Case | None, now: dt.datetime
) -> str | Postpone | None:
    """Why a message to this person should not go now, if it should not."""
    if case is None:
        return "dropped: case gone"
    if case.opted_out:
        return "dropped: opted out"
    if case.taken_over_by is not None:
        return "dropped: a contact person has taken over"
    if now >= report_start(case):
        return "dropped: report date reached"
    window = sending_window(now, *rt.settings.window)
    if window != now:
        return Postpone(window)
    return None


async def _answered_since(tx, case: Case, since: dt.datetime) -> bool:
    row = await fetchone(
        tx,
        "SELECT 1 FROM inbound WHERE case_id = ? AND received_at >= ? LIMIT 1",
        (case.id, since.astimezone(dt.UTC).isoformat()),
    )
    return row is not None


async def route(tx, rt: Runtime, case: Case) -> tuple[str, str] | None:
    """Where to reach this person: where they last wrote from, else their phone by SMS."""
    row = await fetchone(
        tx,
        """SELECT channel, sender FROM inbound WHERE case_id = ? AND channel IN
           ('sms', 'whatsapp', 'telegram', 'simulator') ORDER BY id DESC LIMIT 1""",
        (case.id,),
    )
    if row is not None:
        return row["channel"], rt.vault.open(row["sender"], "inbound.sender") or ""
    identity = await fetchone(
        tx,
        """SELECT channel, address FROM channel_identities WHERE case_id = ? AND dead = 0
           AND channel IN ('telegram', 'whatsapp', 'sms') ORDER BY id DESC LIMIT 1""",
        (case.id,),
    )
    if identity is not None:
        return identity["channel"], rt.vault.open(
            identity["address"], "channel_identities.address"
        ) or ""
    return ("sms", case.phone) if case.phone else None


async def on_outreach(tx, rt: Runtime, event: Event, now: dt.datetime) -> str | Postpone:
    case = await _case(rt, event)
    if (why := await _to_person_check(rt, case, now)) is not None:
        return why
    assert case is not None
    timeline = await timeline_for(tx, case.organisation_id)
    latest = _latest_escalation(case, timeline)
    escalate_at = min(add_working_days(now, timeline.escalate_after_days), latest)
    await schedule(
        tx, case.id, "escalate", max(escalate_at, now), reason="no_response", since=now.isoformat()
    )
    if await load_state(tx, rt.vault, case.id) is not None:
        return "dropped: conversation already started"
    target = await route(tx, rt, case)
    if target is None:
        return "no channel: waiting for the letter's invite code"
    for n, days in enumerate(timeline.reminder_days, 1):
        due = sending_window(add_working_days(now, days), *rt.settings.window)
        if due < report_start(case):
            await schedule(tx, case.id, "reminder", due, n=n, since=now.isoformat())
    await turns.start(tx, rt, case, *target, now)
    return f"sent: first message by {target[0]}"


async def on_reminder(tx, rt: Runtime, event: Event, now: dt.datetime) -> str | Postpone:
    case = await _case(rt, event)
    if (why := await _to_person_check(rt, case, now)) is not None:
        return why
    assert case is not None
    if await _answered_since(tx, case, dt.datetime.fromisoformat(event.payload["since"])):
        return "dropped: answered"
    later = [
        r
        for r in await pending(tx, case.id, "reminder")
        if dt.datetime.fromisoformat(r["due_at"]) <= now
    ]
    if later:
        return "dropped: superseded by a later reminder"
    return await _remind(tx, rt, case, f"reminder_{event.payload['n']}", now)


async def on_step_timeout(tx, rt: Runtime, event: Event, now: dt.datetime) -> str | Postpone:
    """Someone who stopped mid-intake gets one nudge that resumes where they were."""
    case = await _case(rt, event)
    if (why := await _to_person_check(rt, case, now)) is not None:
        return why
    assert case is not None
    state = await load_state(tx, rt.vault, case.id)
    if state is None or state.step != event.payload["step"]:
        return "dropped: moved on"
    nudged = await fetchone(
        tx,
        """SELECT 1 FROM scheduled_events WHERE case_id = ? AND kind = 'step_timeout'
               AND outcome LIKE 'sent%' LIMIT 1""",
        (case.id,),
    )
    if nudged:
        return "dropped: already nudged once"
    return await _remind(tx, rt, case, "nudge", now)


async def _remind(tx, rt: Runtime, case: Case, key: str, now: dt.datetime) -> str:
    state, script = await turns.conversation(tx, rt, case)
    target = await route(tx, rt, case)
    if state is None or target is None:
        return "dropped: no conversation or no channel"
    facts = await turns.facts_for(tx, case, now, state, script)
    outcome = engine.remind(state, script, key, facts, now)
    await turns.save(tx, rt, case, script, outcome, *target, now)
    return f"sent: {key}"


async def on_escalate(tx, rt: Runtime, event: Event, now: dt.datetime) -> str:
    case = await _case(rt, event)
    if case is None:
        return "dropped: case gone"
    if now >= report_start(case):
        return "dropped: report date reached"
    if await _answered_since(tx, case, dt.datetime.fromisoformat(event.payload["since"])):
        return "dropped: answered"
    await alerts.escalate(tx, rt, case, event.payload["reason"], now)
    return "escalated"


async def on_escalation_check(tx, rt: Runtime, event: Event, now: dt.datetime) -> str:
    return await alerts.check_acknowledged(tx, rt, event.payload["escalation"], now)


async def on_purge(tx, rt: Runtime, event: Event, now: dt.datetime) -> str:
    case = await _case(rt, event)
    if case is None:
        return "dropped: case gone"
    await retention.erase(tx, rt.vault, case.id, now, "retention period over")
    return "purged"


async def on_appointment_reminder(tx, rt: Runtime, event: Event, now: dt.datetime):
    case = await _case(rt, event)
    appointment = await fetchone(
        tx, "SELECT status, start FROM appointments WHERE id = ?", (event.payload["appointment"],)
    )
    if appointment is None or appointment["status"] != "booked":
        return "dropped: appointment cancelled or moved"
    if dt.datetime.fromisoformat(appointment["start"]) <= now:
        return "dropped: appointment passed"
    if (why := await _to_person_check(rt, case, now)) is not None:
        return why
    assert case is not None
    return await _remind(tx, rt, case, "appointment_reminder", now)


HANDLERS: dict[str, Handler] = {
    "appointment_reminder": on_appointment_reminder,
    "outreach": on_outreach,
    "reminder": on_reminder,
    "step_timeout": on_step_timeout,
    "escalate": on_escalate,
    "escalation_check": on_escalation_check,
    "purge": on_purge,
}
