"""The outreach timeline: first message, reminders, escalation, nudge, purge.

Every step is a scheduled event (a row). Handlers decide at run time whether the event
still makes sense: someone who answered gets no reminder; nothing reaches a person on or
after their report date; a message due outside the sending window waits for it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, fields

import aiosqlite

from bot.outreach import alerts, plan, retention, turns
from bot.outreach.scheduler import (
    FAILED_KIND,
    Done,
    Event,
    Handler,
    Postpone,
    Result,
    cancel,
    dropped,
    once,
    schedule,
    sent,
)
from bot.runtime import Runtime
from conversations.calendar import Calendar
from storage import appointments, conversations, events, inbound
from storage.cases import Case, get_case
from storage.organisations import closing_days_of, get_organisation


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


async def rules_of(
    tx: aiosqlite.Connection, rt: Runtime, organisation_id: str
) -> tuple[Timeline, Calendar]:
    """An organisation's timeline settings and working days, from one read of its row
    (one per tick or import: see `scheduler.once`)."""

    async def read() -> tuple[Timeline, Calendar]:
        org = await get_organisation(tx, organisation_id)
        if org is None:
            return Timeline(), rt.calendar
        return Timeline.from_json(org["timeline"]), rt.with_closing_days(closing_days_of(org))

    return await once(("rules", organisation_id), read)


def report_start(rt: Runtime, case: Case) -> dt.datetime:
    """The report date's first moment: nothing but the purge is planned from then on."""
    return dt.datetime.combine(case.report_date, dt.time(0), tzinfo=rt.calendar.tz)


def _window(rt: Runtime, calendar: Calendar, moment: dt.datetime) -> dt.datetime:
    """The first moment from `moment` on that a person may get a message: a working day
    of the organisation, inside the configured sending window."""
    return calendar.sending_window(moment, *rt.settings.window)


async def plan_case(tx: aiosqlite.Connection, rt: Runtime, case: Case, now: dt.datetime) -> None:
    """On import (and when a report date changes): first contact if none yet, and the purge."""
    timeline, calendar = await rules_of(tx, rt, case.organisation_id)
    await cancel(tx, case.id, ("purge",), now, "replanned")
    purge_at = _purge_at(rt, case.report_date, timeline)
    await schedule(tx, case.id, "purge", purge_at)
    started = await conversations.started(tx, case.id)
    if not started and not await events.pending(tx, case.id, "outreach"):
        await schedule(tx, case.id, "outreach", _window(rt, calendar, now))
    latest = _latest_escalation(calendar, case, timeline)
    for row in await events.pending(tx, case.id, "escalate"):
        if dt.datetime.fromisoformat(row["due_at"]) > latest:
            await events.move(tx, row["id"], max(latest, now))


def _purge_at(rt: Runtime, report_date: dt.date, timeline: Timeline) -> dt.datetime:
    start = dt.datetime.combine(report_date, dt.time(0), tzinfo=rt.calendar.tz)
    return start + dt.timedelta(days=timeline.retention_days, hours=3)


async def plan_new_cases(
    tx: aiosqlite.Connection,
    rt: Runtime,
    new: list[tuple[int, str, dt.date]],
    now: dt.datetime,
) -> None:
    """`plan_case` for cases just created, (id, organisation, report date) each: nothing
    to cancel or move yet, so only the purge and the first contact, written in one
    statement; each organisation's rules and sending window are worked out once."""
    windows: dict[str, tuple[Timeline, dt.datetime]] = {}
    purges: dict[tuple[str, dt.date], dt.datetime] = {}
    planned: list[tuple[int, str, dt.datetime, dict]] = []
    for case_id, organisation_id, report_date in new:
        if organisation_id not in windows:
            timeline, calendar = await rules_of(tx, rt, organisation_id)
            windows[organisation_id] = timeline, _window(rt, calendar, now)
        timeline, first_contact = windows[organisation_id]
        key = (organisation_id, report_date)
        if key not in purges:
            purges[key] = _purge_at(rt, report_date, timeline)
        planned.append((case_id, "purge", purges[key], {}))
        planned.append((case_id, "outreach", first_contact, {}))
    await events.schedule_many(tx, planned)


def _latest_escalation(calendar: Calendar, case: Case, timeline: Timeline) -> dt.datetime:
    day = calendar.working_days_before(case.report_date, timeline.escalate_before_report_days)
    return dt.datetime.combine(day, dt.time(9), tzinfo=calendar.tz)


async def _case(tx: aiosqlite.Connection, rt: Runtime, event: Event) -> Case | None:
    return await get_case(tx, rt.vault, case_id=event.case_id) if event.case_id else None


async def _to_person_check(
    tx: aiosqlite.Connection, rt: Runtime, case: Case | None, now: dt.datetime
) -> Done | Postpone | None:
    """Why a message to this person should not go now, if it should not."""
    if case is None:
        return dropped("case gone")
    if case.opted_out:
        return dropped("opted out")
    if case.taken_over_by is not None:
        return dropped("a contact person has taken over")
    if now >= report_start(rt, case):
        return dropped("report date reached")
    _, calendar = await rules_of(tx, rt, case.organisation_id)
    window = _window(rt, calendar, now)
    if window != now:
        return Postpone(window)
    return None


async def on_outreach(tx, rt: Runtime, event: Event, now: dt.datetime) -> Done | Postpone:
    case = await _case(tx, rt, event)
    if (why := await _to_person_check(tx, rt, case, now)) is not None:
        return why
    assert case is not None
    if await conversations.started(tx, case.id):
        return dropped("conversation already started")  # they wrote first: no chasing
    timeline, calendar = await rules_of(tx, rt, case.organisation_id)
    after, reminders = await _chasing(tx, rt, case.organisation_id, now)
    latest = _latest_escalation(calendar, case, timeline)
    reason = "report_soon" if latest < after else "no_response"
    since = now.isoformat()
    escalate_at = max(min(after, latest), now)
    escalation = (case.id, "escalate", escalate_at, {"reason": reason, "since": since})
    target = await turns.route(tx, rt, case)
    if target is None:
        await events.schedule_many(tx, [escalation])
        return Done(Result.WAITING, "no channel until the letter's invite code is used")
    await events.schedule_many(
        tx,
        [
            escalation,
            *[
                (case.id, "reminder", due, {"n": n, "since": since})
                for n, due in reminders
                if due < report_start(rt, case)
            ],
        ],
    )
    await turns.start(tx, rt, case, target, now, purpose="first_contact")
    return sent(f"first message by {target[0]}")


async def _chasing(
    tx: aiosqlite.Connection, rt: Runtime, organisation_id: str, now: dt.datetime
) -> tuple[dt.datetime, list[tuple[int, dt.datetime]]]:
    """After a first contact at `now`: when no answer escalates, and when each reminder
    goes (n, due); the same for every case of the organisation, so worked out once a tick."""

    async def work_out() -> tuple[dt.datetime, list[tuple[int, dt.datetime]]]:
        timeline, calendar = await rules_of(tx, rt, organisation_id)
        after = calendar.add_working_days(now, timeline.escalate_after_days)
        reminders = [
            (n, _window(rt, calendar, calendar.add_working_days(now, days)))
            for n, days in enumerate(timeline.reminder_days, 1)
        ]
        return after, reminders

    return await once(("chasing", organisation_id, now), work_out)


async def on_reminder(tx, rt: Runtime, event: Event, now: dt.datetime) -> Done | Postpone:
    case = await _case(tx, rt, event)
    if (why := await _to_person_check(tx, rt, case, now)) is not None:
        return why
    assert case is not None
    if await inbound.answered_since(tx, case.id, dt.datetime.fromisoformat(event.payload["since"])):
        return dropped("answered")
    later = [
        r
        for r in await events.pending(tx, case.id, "reminder")
        if dt.datetime.fromisoformat(r["due_at"]) <= now
    ]
    if later:
        return dropped("superseded by a later reminder")
    return await _remind(tx, rt, case, f"reminder_{event.payload['n']}", now)


async def on_step_timeout(tx, rt: Runtime, event: Event, now: dt.datetime) -> Done | Postpone:
    """Someone who stopped mid-intake gets one nudge that resumes where they were."""
    case = await _case(tx, rt, event)
    if (why := await _to_person_check(tx, rt, case, now)) is not None:
        return why
    assert case is not None
    state, _ = await turns.conversation(tx, rt, case)
    if state is None or state.step != event.payload["step"]:
        return dropped("moved on")
    if await events.ever_sent(tx, case.id, "step_timeout"):
        return dropped("already nudged once")
    done = await _remind(tx, rt, case, "nudge", now)
    if done.result == Result.SENT:
        await _escalate_if_still_stalled(tx, rt, case, now)
    return done


async def _escalate_if_still_stalled(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, now: dt.datetime
) -> None:
    """After the nudge: no answer within the nudge's wait, and a contact person is told."""
    timeline, calendar = await rules_of(tx, rt, case.organisation_id)
    wait = timeline.reminder_days[0] if timeline.reminder_days else 2
    due = min(calendar.add_working_days(now, wait), _latest_escalation(calendar, case, timeline))
    await schedule(
        tx, case.id, "escalate", max(due, now), reason="stalled_intake", since=now.isoformat()
    )


async def on_plan_reminder(tx, rt: Runtime, event: Event, now: dt.datetime) -> Done | Postpone:
    """A reminder of one of the person's own plan actions, before it is due."""
    case = await _case(tx, rt, event)
    if (why := await _to_person_check(tx, rt, case, now)) is not None:
        return why
    assert case is not None
    why_not = await plan.remind(tx, rt, case, event.payload["action"], now)
    return dropped(why_not) if why_not else sent("plan reminder")


async def _remind(tx, rt: Runtime, case: Case, key: str, now: dt.datetime) -> Done:
    if not await turns.remind(tx, rt, case, key, now):
        return dropped("no conversation or no channel")
    return sent(key)


async def on_escalate(tx, rt: Runtime, event: Event, now: dt.datetime) -> Done:
    case = await _case(tx, rt, event)
    if case is None:
        return dropped("case gone")
    if now >= report_start(rt, case):
        return dropped("report date reached")
    if await inbound.answered_since(tx, case.id, dt.datetime.fromisoformat(event.payload["since"])):
        return dropped("answered")
    await alerts.escalate(tx, rt, case, event.payload["reason"], now)
    return Done(Result.ESCALATED)


async def on_escalation_check(tx, rt: Runtime, event: Event, now: dt.datetime) -> Done:
    return await alerts.check_acknowledged(tx, rt, event.payload["escalation"], now)


async def on_purge(tx, rt: Runtime, event: Event, now: dt.datetime) -> Done:
    if event.case_id is None or await _case(tx, rt, event) is None:
        return dropped("case gone")
    await retention.erase(tx, rt.vault, event.case_id, now, "retention period over")
    return Done(Result.PURGED)


async def on_appointment_reminder(tx, rt: Runtime, event: Event, now: dt.datetime):
    case = await _case(tx, rt, event)
    appointment = await appointments.status_of(tx, event.payload["appointment"])
    if appointment is None or appointment[0] != "booked":
        return dropped("appointment cancelled or moved")
    if appointment[1] <= now:
        return dropped("appointment passed")
    if (why := await _to_person_check(tx, rt, case, now)) is not None:
        return why
    assert case is not None
    return await _remind(tx, rt, case, "appointment_reminder", now)


async def on_timer_failed(tx, rt: Runtime, event: Event, now: dt.datetime) -> Done:
    """Another timer of the case failed for good: the contact person hears why."""
    case = await _case(tx, rt, event)
    if case is None:
        return dropped("case gone")
    why = f"{event.payload['timer']}: {event.payload['reason']}"
    await alerts.escalate(tx, rt, case, "timer_failed", now, note=why)
    return Done(Result.ESCALATED, why)


HANDLERS: dict[str, Handler] = {
    "appointment_reminder": on_appointment_reminder,
    "outreach": on_outreach,
    "reminder": on_reminder,
    "step_timeout": on_step_timeout,
    "escalate": on_escalate,
    "escalation_check": on_escalation_check,
    "purge": on_purge,
    "plan_reminder": on_plan_reminder,
    FAILED_KIND: on_timer_failed,
}
