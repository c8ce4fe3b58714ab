"""The monitoring report the pilot compiles by hand, per province, organisation and total.

Cases count in a period by the day they were imported. Everything here survives the
retention purge: it reads statuses, timestamps, channels and reasons, never content.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from storage import workspace
from storage.db import Database

PERSON_CHANNELS = ("sms", "whatsapp", "telegram", "simulator", "terminal")
ACTIONS = ("plan_made", "referred")
# Every row has every column, whatever is zero: the reasons and kinds are fixed here.
REASONS = (
    "no_response",
    "report_soon",
    "stalled_intake",
    "kind_check",
    "asked_for_human",
    "postponement",
    "no_slot_fits",
    "opted_out",
    "not_understood",
    "someone_else",
    "timer_failed",  # a timer failed after all its tries (bot.outreach.scheduler)
)
# The pilot's kinds of contact: how the person was first reached.
CONTACT_KINDS = ("text", "phone", "letter", "existing_care", "social_team", "home_visit")


@dataclass
class Figures:
    self_reporters: int = 0
    contacted: int = 0
    responded: int = 0
    consent_given: int = 0
    intake_completed: int = 0
    appointments_booked: int = 0
    appointments_kept: int = 0
    opted_out: int = 0
    with_actions: int = 0
    known_to_care: int = 0
    escalations: Counter = field(default_factory=Counter)
    contact_kind: Counter = field(default_factory=Counter)
    attempts: Counter = field(default_factory=Counter)  # contact attempts by kind
    days_to_response: list[float] = field(default_factory=list)
    hours_to_acknowledge: list[float] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.contacted if self.contacted else None

    @property
    def median_days_to_response(self) -> float | None:
        return statistics.median(self.days_to_response) if self.days_to_response else None

    @property
    def median_hours_to_acknowledge(self) -> float | None:
        values = self.hours_to_acknowledge
        return statistics.median(values) if values else None


@dataclass
class Report:
    start: dt.date
    end: dt.date
    groups: dict[tuple[str, str], Figures]  # (province, organisation name) -> figures
    total: Figures


async def monitoring(
    db: Database,
    start: dt.date,
    end: dt.date,
    organisation_id: str | None = None,
    tz: dt.tzinfo = dt.UTC,
) -> Report:
    """The figures of the cases imported from `start` to `end`, local days in `tz`."""
    first = dt.datetime.combine(start, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    cases = await db.fetchall(
        """SELECT c.id, c.status, c.opted_out, c.outcome, c.phone IS NOT NULL AS has_phone,
                  c.purged_at, o.name, COALESCE(o.province, '-') AS province
           FROM cases c JOIN organisations o ON o.id = c.organisation_id
           WHERE c.created_at >= ? AND c.created_at < ? AND (? IS NULL OR o.id = ?)""",
        (
            first.isoformat(),
            after.astimezone(dt.UTC).isoformat(),
            organisation_id,
            organisation_id,
        ),
    )
    ids = [c["id"] for c in cases]
    facts = await _facts(db, ids)
    groups: dict[tuple[str, str], Figures] = defaultdict(Figures)
    total = Figures()
    for case in cases:
        for figures in (groups[(case["province"], case["name"])], total):
            _count(figures, case, facts)
    return Report(start, end, dict(sorted(groups.items())), total)


async def _facts(db: Database, ids: list[int]) -> dict[str, dict]:
    if not ids:
        return defaultdict(dict)  # type: ignore[return-value]
    marks = ",".join("?" * len(ids))
    person = ",".join(f"'{c}'" for c in PERSON_CHANNELS)

    async def by_case(sql: str) -> dict:
        return {r[0]: r for r in await db.fetchall(sql.format(marks=marks), ids)}

    return {
        "first_out": await by_case(
            "SELECT case_id, min(created_at) FROM outbox WHERE audience = 'person' "
            "AND status != 'failed' AND case_id IN ({marks}) GROUP BY case_id"
        ),
        "first_in": await by_case(
            f"SELECT case_id, min(received_at), channel FROM inbound WHERE channel IN ({person}) "
            "AND case_id IN ({marks}) GROUP BY case_id"
        ),
        "consent": await by_case(
            "SELECT case_id, given FROM consent_events WHERE purpose = 'share_with_municipality' "
            "AND id IN (SELECT max(id) FROM consent_events GROUP BY case_id, purpose) "
            "AND case_id IN ({marks})"
        ),
        "answers": await by_case(
            "SELECT case_id, count(*) FROM answers WHERE case_id IN ({marks}) GROUP BY case_id"
        ),
        "appointments": await by_case(
            "SELECT case_id, count(*), sum(status = 'kept') FROM appointments "
            "WHERE status != 'cancelled' AND case_id IN ({marks}) GROUP BY case_id"
        ),
        "escalations": await _escalations(db, marks, ids),
        "attempts": await workspace.attempt_counts(db, ids),
        "known_to_care": await workspace.known_to_care(db, ids),
    }


async def _escalations(db: Database, marks: str, ids: list[int]) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in await db.fetchall(
        f"SELECT case_id, reason, at, acknowledged_at, line FROM escalations "
        f"WHERE line = 1 AND case_id IN ({marks})",
        ids,
    ):
        grouped[row["case_id"]].append(row)
    return grouped


def _count(f: Figures, case, facts: dict) -> None:
    cid = case["id"]
    f.self_reporters += 1
    first_out = facts["first_out"].get(cid)
    first_in = facts["first_in"].get(cid)
    f.contacted += bool(first_out) or bool(first_in)
    attempts = facts["attempts"].get(cid, [])
    f.attempts.update(kind for kind, _ in attempts)
    reached = [kind for kind, outcome in attempts if outcome == "reached"]
    if first_in:
        f.responded += 1
        f.contact_kind["text"] += 1
        if first_out:
            delta = _at(first_in[1]) - _at(first_out[1])
            f.days_to_response.append(max(delta.total_seconds(), 0) / 86400)
    elif reached:
        f.contact_kind[reached[0]] += 1
    elif case["outcome"] == "reached_by_phone":
        f.contact_kind["phone"] += 1
    elif not case["has_phone"] and not case["purged_at"]:
        f.contact_kind["letter"] += 1
    f.known_to_care += cid in facts["known_to_care"]
    consent = facts["consent"].get(cid)
    f.consent_given += bool(consent and consent[1])
    answers = facts["answers"].get(cid)
    f.intake_completed += bool(answers and answers[1] >= 7)
    booked = facts["appointments"].get(cid)
    f.appointments_booked += bool(booked)
    f.appointments_kept += bool(booked and booked[2])
    f.opted_out += bool(case["opted_out"])
    f.with_actions += case["outcome"] in ACTIONS
    for e in facts["escalations"].get(cid, []):
        f.escalations[e["reason"]] += 1
        if e["acknowledged_at"]:
            hours = (_at(e["acknowledged_at"]) - _at(e["at"])).total_seconds() / 3600
            f.hours_to_acknowledge.append(hours)


def _at(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp)


COLUMNS = (
    ("self_reporters", "self-reporters"),
    ("contacted", "contacted"),
    ("responded", "responded"),
    ("response_rate", "response rate"),
    ("consent_given", "consent given"),
    ("intake_completed", "intake completed"),
    ("appointments_booked", "appointments booked"),
    ("appointments_kept", "appointments kept"),
    ("opted_out", "opted out"),
    ("with_actions", "cases with actions"),
    ("known_to_care", "known to care"),
    ("median_days_to_response", "median days to response"),
    ("median_hours_to_acknowledge", "median hours to acknowledge"),
)


def rows(report: Report) -> list[dict[str, object]]:
    """One flat row per group and one for the total, for CSV and tables."""
    out = []
    for (province, organisation), figures in [
        *report.groups.items(),
        (("total", ""), report.total),
    ]:
        row: dict[str, object] = {"province": province, "organisation": organisation}
        for attr, label in COLUMNS:
            value = getattr(figures, attr)
            row[label] = round(value, 2) if isinstance(value, float) else value
        for reason in REASONS:
            row[f"escalations: {reason}"] = figures.escalations[reason]
        for kind in CONTACT_KINDS:
            row[f"contact: {kind}"] = figures.contact_kind[kind]
        for kind in workspace.ATTEMPT_KINDS:
            row[f"attempts: {kind}"] = figures.attempts[kind]
        out.append(row)
    return out
