"""Appointments as the outreach sees them: booked, moved or cancelled, with reminders."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.outreach import scheduler
from bot.runtime import Runtime
from conversations.state import Offer
from storage import appointments
from storage.cases import Case


async def book(
    tx: aiosqlite.Connection, rt: Runtime, case: Case, offer: Offer, now: dt.datetime
) -> None:
    """Book (or move to) a free time and plan its reminders; the old time is freed."""
    await cancel(tx, case, now, why="moved")
    booked = await appointments.book(tx, case.id, case.organisation_id, offer, now)
    await plan_reminders(tx, rt, case, booked, offer.start, now)


async def cancel(tx: aiosqlite.Connection, case: Case, now: dt.datetime, why: str = "cancelled"):
    """The booked time is free again; its reminders will not go out."""
    await appointments.cancel_booked(tx, case.id, now)
    await scheduler.cancel(tx, case.id, ("appointment_reminder",), now, why)


async def plan_reminders(
    tx: aiosqlite.Connection,
    rt: Runtime,
    case: Case,
    appointment_id: int,
    start: dt.datetime,
    now: dt.datetime,
) -> None:
    """A reminder the working day before (10:00) and on the morning itself (09:00)."""
    calendar = await rt.calendar_of(tx, case.organisation_id)
    local = calendar.local(start)
    day_before = dt.datetime.combine(
        calendar.working_days_before(local.date(), 1), dt.time(10), tzinfo=calendar.tz
    )
    morning = dt.datetime.combine(local.date(), dt.time(9), tzinfo=calendar.tz)
    for when, moment in (("day_before", day_before), ("morning", morning)):
        if now < moment <= start - dt.timedelta(hours=1):
            await scheduler.schedule(
                tx, case.id, "appointment_reminder", moment, appointment=appointment_id, when=when
            )
