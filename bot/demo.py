"""Made-up organisations and people, so a fresh sandbox has someone to talk to."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.outreach import timeline
from bot.outreach.importing import parse_organisations
from bot.runtime import Runtime
from storage.cases import CaseInput, any_case, get_case, save_case
from storage.organisations import save_organisation, served_municipalities

EXAMPLE_ORGANISATIONS = Path(__file__).parent.parent / "examples" / "organisations.yaml"
PEOPLE = (  # reference suffix, first name, municipality, days to report date, language
    ("0001", "Sam", "Venlo", 30, "nl"),
    ("0002", "Alex", "Roermond", 33, "en"),
    ("0003", "Robin", "Weert", 38, "nl"),
)


async def seed(rt: Runtime, now: dt.datetime) -> int:
    """Load the example organisations and three demo cases into an empty database."""
    if await any_case(rt.db):
        return 0
    if not EXAMPLE_ORGANISATIONS.exists():
        return 0
    parsed = parse_organisations(
        EXAMPLE_ORGANISATIONS.read_bytes(), await served_municipalities(rt.db)
    )
    stamp = now.isoformat()
    async with rt.db.transaction() as tx:
        for _, org in parsed.items:
            await save_organisation(tx, org, stamp)
        served = {}
        for _, org in parsed.items:
            served.update({m: org.id for m in org.municipalities})
        for suffix, name, municipality, days, language in PEOPLE:
            case = CaseInput(
                reference=f"ZM-DEMO-{suffix}",
                first_name=name,
                municipality=municipality,
                report_date=now.date() + dt.timedelta(days=days),
                language=language,
            )
            await save_case(tx, rt.vault, case, served[municipality], stamp)
            saved = await get_case(tx, rt.vault, reference=case.reference)
            assert saved is not None
            await timeline.plan_case(tx, rt, saved, now)  # first message, reminders, purge
    return len(PEOPLE)
