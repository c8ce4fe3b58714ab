"""Importing a cohort of self-reporters: validate the whole file, save, plan each case."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from bot.errors import FileError
from bot.outreach import alerts, timeline, turns
from bot.outreach.importing import parse_cases
from bot.runtime import Runtime
from storage.cases import Case, CaseInput, audit, get_case, save_case
from storage.organisations import served_municipalities


@dataclass
class Imported:
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0}
    )
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # imported, but needs a person


async def import_cohort(
    rt: Runtime, data: bytes, now: dt.datetime, *, skip_invalid: bool = False, actor: str = "cli"
) -> Imported:
    """All or nothing unless `skip_invalid`; new and changed cases get their timeline."""
    languages = (await rt.script(turns.DEFAULT_SCRIPT)).languages
    today = rt.calendar.local(now).date()
    parsed = parse_cases(data, await served_municipalities(rt.db), languages, today)
    if parsed.errors and not skip_invalid:
        raise FileError("\n".join([*parsed.errors, "nothing was imported"]))
    result = Imported(skipped=parsed.errors)
    async with rt.db.transaction() as tx:
        for line, (row, organisation) in parsed.items:
            change = await save_case(tx, rt.vault, row, organisation, now.isoformat())
            result.counts[change] += 1
            if change != "unchanged":
                case = await get_case(tx, rt.vault, reference=row.reference)
                assert case is not None
                await timeline.plan_case(tx, rt, case, now)
                if row.phone_type:
                    result.warnings.append(_not_textable(line, row))
                    await _ask_for_call_or_letter(tx, rt, case, now)
        await audit(tx, actor, "import", None, now.isoformat(), json.dumps(result.counts))
    return result


def _not_textable(line: int, row: CaseInput) -> str:
    return (
        f"line {line}: phone of {row.reference} is a {row.phone_type} number, which cannot "
        "get text messages; imported, and the contact person is asked to call or write"
    )


async def _ask_for_call_or_letter(tx, rt: Runtime, case: Case, now: dt.datetime) -> None:
    """A number that cannot get texts: a contact person calls or writes, starting today."""
    await alerts.escalate(tx, rt, case, "no_mobile", now, note=case.phone_type, once=True)
