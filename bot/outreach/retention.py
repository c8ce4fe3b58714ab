"""Erasing a person: after the retention period, or when they ask. Counts stay, people go."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.outreach.scheduler import cancel
from storage import workspace
from storage.cases import audit
from storage.crypto import Vault
from storage.erasure import erase_person

PERSON_DATA_KINDS = (
    "outreach",
    "reminder",
    "step_timeout",
    "escalate",
    "escalation_check",
    "plan_reminder",
    "timer_failed",
)


async def erase(
    tx: aiosqlite.Connection,
    vault: Vault,
    case_id: int,
    now: dt.datetime,
    why: str,
    actor: str = "scheduler",
) -> None:
    """Erase the person's data, cancel what would still reach them, and say so in the log."""
    await erase_person(tx, vault, case_id, now)
    await workspace.erase(tx, vault, case_id)
    await cancel(tx, case_id, PERSON_DATA_KINDS, now, "erased")
    await audit(tx, actor, "erase", case_id, now.isoformat(), why)
