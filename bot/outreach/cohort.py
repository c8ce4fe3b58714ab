"""Importing a cohort of self-reporters: validate the whole file, save, plan each case."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import aiosqlite

from bot.errors import FileError
from bot.outreach import alerts, timeline, turns
from bot.outreach.importing import parse_cases
from bot.outreach.scheduler import reading_once
from bot.runtime import Runtime
from storage.cases import CaseInput, audit, by_references, get_case, insert_cases, update_case
from storage.organisations import served_municipalities

CHUNK = 2000  # rows saved together: one read of the known references, one insert of the new
# Told how far an import is: (stage, done, of); "checking" counts the file's lines as they
# are validated, "saving" the valid rows as they are saved.
Progress = Callable[[str, int, int], None]
Row = tuple[int, tuple[CaseInput, str]]  # (line, (row, organisation id))


@dataclass
class Imported:
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0}
    )
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # imported, but needs a person


async def import_cohort(
    rt: Runtime,
    data: bytes,
    now: dt.datetime,
    *,
    skip_invalid: bool = False,
    actor: str = "cli",
    progress: Progress | None = None,
) -> Imported:
    """All or nothing unless `skip_invalid`; new and changed cases get their timeline.

    One transaction; rows go `CHUNK` at a time: the new cases of a chunk in one insert
    and their first events in another, a changed case on its own.
    """
    languages = (await rt.script(turns.DEFAULT_SCRIPT)).languages
    today = rt.calendar.local(now).date()
    served = await served_municipalities(rt.db)
    parsed = parse_cases(data, served, languages, today, progress=progress)
    if parsed.errors and not skip_invalid:
        raise FileError("\n".join([*parsed.errors, "nothing was imported"]))
    result = Imported(skipped=parsed.errors)
    warned: list[tuple[int, str]] = []  # (line, warning)
    total = len(parsed.items)
    async with rt.db.transaction() as tx:
        with reading_once():  # an organisation's rules are read once
            for start in range(0, total, CHUNK):
                chunk = parsed.items[start : start + CHUNK]
                warned += await _save_chunk(tx, rt, chunk, result.counts, now)
                if progress is not None:
                    progress("saving", start + len(chunk), total)
        await audit(tx, actor, "import", None, now.isoformat(), json.dumps(result.counts))
    result.warnings = [text for _, text in sorted(warned)]  # in the file's order
    return result


async def _save_chunk(
    tx: aiosqlite.Connection,
    rt: Runtime,
    chunk: list[Row],
    counts: dict[str, int],
    now: dt.datetime,
) -> list[tuple[int, str]]:
    """Save and plan these rows, counting what happened; returns the warnings by line."""
    stamp = now.isoformat()
    known = await by_references(tx, rt.vault, [row.reference for _, (row, _) in chunk])
    new = [(line, row, org) for line, (row, org) in chunk if row.reference not in known]
    ids = await insert_cases(tx, rt.vault, [(row, org) for _, row, org in new], stamp)
    counts["created"] += len(new)
    planned = [(i, org, row.report_date) for i, (_, row, org) in zip(ids, new, strict=True)]
    await timeline.plan_new_cases(tx, rt, planned, now)
    warned = [
        await _not_textable(tx, rt, line, row, case_id, now)
        for case_id, (line, row, _) in zip(ids, new, strict=True)
        if row.phone_type
    ]
    for line, (row, organisation) in chunk:
        old = known.get(row.reference)
        if old is None:
            continue
        if not await update_case(tx, rt.vault, old, row, organisation, stamp):
            counts["unchanged"] += 1
            continue
        counts["updated"] += 1
        case = await get_case(tx, rt.vault, case_id=old.id)
        assert case is not None
        await timeline.plan_case(tx, rt, case, now)
        if row.phone_type:
            warned.append(await _not_textable(tx, rt, line, row, case.id, now))
    return warned


async def _not_textable(
    tx: aiosqlite.Connection, rt: Runtime, line: int, row: CaseInput, case_id: int, now
) -> tuple[int, str]:
    """A number that cannot get texts: a contact person calls or writes, starting today;
    returns the line and its warning."""
    case = await get_case(tx, rt.vault, case_id=case_id)
    assert case is not None
    await alerts.escalate(tx, rt, case, "no_mobile", now, note=case.phone_type, once=True)
    return line, (
        f"line {line}: phone of {row.reference} is a {row.phone_type} number, which cannot "
        "get text messages; imported, and the contact person is asked to call or write"
    )
