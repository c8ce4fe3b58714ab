"""Appointment slots turned into free times, and bookings that never overfill a slot."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter

import aiosqlite

from conversations.calendar import DEFAULT, Calendar
from conversations.state import Offer
from storage.db import Database, fetchall, fetchone

HORIZON_DAYS = 120  # never look further than this for free times


class SlotTaken(RuntimeError):
    """The chosen time filled up; cannot happen while writers are serialised."""


async def free_offers(
    tx: aiosqlite.Connection,
    organisation_id: str,
    now: dt.datetime,
    report_date: dt.date,
    buffer_working_days: int = 2,
    limit: int = 30,
    calendar: Calendar = DEFAULT,
) -> tuple[Offer, ...]:
    """Free times from at least one working day ahead until `buffer` days before the date."""
    slots = await fetchall(tx, "SELECT * FROM slots WHERE organisation_id = ?", (organisation_id,))
    if not slots:
        return ()
    today = calendar.local(now).date()
    first = calendar.first_working_day(today + dt.timedelta(days=1))
    last = min(
        calendar.working_days_before(report_date, buffer_working_days),
        today + dt.timedelta(days=HORIZON_DAYS),
    )
    taken = Counter(
        (r["slot_id"], r["start"])
        for r in await fetchall(
            tx,
            """SELECT slot_id, start FROM appointments WHERE organisation_id = ?
                   AND status = 'booked' AND start >= ?""",
            (organisation_id, now.astimezone(dt.UTC).isoformat()),
        )
    )
    offers: list[Offer] = []
    day = first
    while day <= last and len(offers) < limit:
        if calendar.is_working_day(day):
            for slot in sorted(slots, key=lambda s: s["start_time"]):
                if slot["weekday"] == day.weekday():
                    offers += _times(slot, day, taken, calendar.tz)
        day += dt.timedelta(days=1)
    return tuple(sorted(offers, key=lambda o: o.start)[:limit])


def _times(slot, day: dt.date, taken: Counter, tz: dt.tzinfo) -> list[Offer]:
    out = []
    start = dt.datetime.combine(day, dt.time.fromisoformat(slot["start_time"]), tzinfo=tz)
    end = dt.datetime.combine(day, dt.time.fromisoformat(slot["end_time"]), tzinfo=tz)
    step = dt.timedelta(minutes=slot["minutes"])
    while start + step <= end:
        utc = start.astimezone(dt.UTC)
        if taken[(slot["id"], utc.isoformat())] < slot["capacity"]:
            out.append(Offer(slot["id"], utc, slot["minutes"], slot["mode"], slot["place"]))
        start += step
    return out


async def book(
    tx: aiosqlite.Connection, case_id: int, organisation_id: str, offer: Offer, now: dt.datetime
) -> int:
    """Book inside the caller's write transaction; the capacity check and insert are atomic."""
    start = offer.start.astimezone(dt.UTC).isoformat()
    slot = await fetchone(tx, "SELECT capacity FROM slots WHERE id = ?", (offer.slot_id,))
    used = await fetchone(
        tx,
        "SELECT count(*) FROM appointments WHERE slot_id = ? AND start = ? AND status = 'booked'",
        (offer.slot_id, start),
    )
    if slot is None or used[0] >= slot["capacity"]:
        raise SlotTaken(f"slot {offer.slot_id} at {start} is full")
    cursor = await tx.execute(
        """INSERT INTO appointments (case_id, organisation_id, slot_id, start, minutes, mode,
               place, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            case_id,
            organisation_id,
            offer.slot_id,
            start,
            offer.minutes,
            offer.mode,
            offer.place,
            now.isoformat(),
        ),
    )
    return int(cursor.lastrowid or 0)


async def cancel_booked(tx: aiosqlite.Connection, case_id: int, now: dt.datetime) -> None:
    """Cancel the case's booked appointment(s); the time is free again at once."""
    await tx.execute(
        """UPDATE appointments SET status = 'cancelled', cancelled_at = ?
           WHERE case_id = ? AND status = 'booked'""",
        (now.isoformat(), case_id),
    )


async def status_of(
    conn: aiosqlite.Connection, appointment_id: int
) -> tuple[str, dt.datetime] | None:
    """(status, start) of one appointment."""
    row = await fetchone(
        conn, "SELECT status, start FROM appointments WHERE id = ?", (appointment_id,)
    )
    return (row["status"], dt.datetime.fromisoformat(row["start"])) if row else None


async def booked(conn: aiosqlite.Connection | Database, case_id: int) -> sqlite3.Row | None:
    """The case's booked appointment (start in UTC, minutes, mode, place), if any."""
    return await fetchone(
        conn, "SELECT * FROM appointments WHERE case_id = ? AND status = 'booked'", (case_id,)
    )


async def mark(tx: aiosqlite.Connection, case_id: int, status: str) -> None:
    """What became of the case's booked appointment: kept or missed."""
    if status not in ("kept", "missed"):
        raise ValueError(f"an appointment is kept or missed, not {status!r}")
    await tx.execute(
        "UPDATE appointments SET status = ? WHERE case_id = ? AND status = 'booked'",
        (status, case_id),
    )
