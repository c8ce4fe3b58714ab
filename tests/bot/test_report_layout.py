"""The monitoring report lines up whatever is zero, speaks Dutch on the page, keeps stable
keys in the CSV, and counts the pilot's categories (known to care, kinds of contact)."""

import csv
import datetime as dt
import io
import re

import pytest

from bot.staff.report import to_csv, to_html
from storage import workspace
from storage.cases import get_case
from storage.report import CONTACT_KINDS, REASONS, monitoring
from tests.world import at, opened

COHORT = (
    "ZM-1,Sam,+31622334455,Venlo,2027-01-29,,nl\n"  # never answers: escalations
    "ZM-2,Kim,+31622334466,Roermond,2027-01-29,,nl\n"  # the safety house: all zero
)


@pytest.fixture
async def world(tmp_path):
    async with opened(tmp_path) as w:
        await w.cohort(COHORT, at(2026, 12, 14, 9))
        yield w


async def _reach_by_phone(world, reference: str) -> None:
    case = await get_case(world.rt.db, world.rt.vault, reference=reference)
    now = at(2026, 12, 15, 11)
    async with world.rt.db.transaction() as tx:
        await workspace.log_attempt(
            tx, world.rt.vault, case.id, None, "phone", "no_answer", now, "", now
        )
        await workspace.log_attempt(
            tx, world.rt.vault, case.id, None, "phone", "reached", now, "", now
        )
        await workspace.set_care(tx, world.rt.vault, case.id, True, "GGZ Noord-Limburg")


async def test_rows_line_up_with_the_headers_when_counts_are_zero(world):
    await world.tick(at(2026, 12, 14, 9))
    await world.say("+31622334455", "STOP", at(2026, 12, 14, 10))  # Sam: opted out
    await world.days(at(2026, 12, 14, 11), at(2026, 12, 22, 12))  # Kim: no response
    report = await monitoring(world.rt.db, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    venlo = report.groups[("Limburg", "Gemeente Venlo")]
    zvh = report.groups[("Limburg", "Zorg- en Veiligheidshuis Noord- en Midden-Limburg")]
    assert set(venlo.escalations) == {"opted_out"} and set(zvh.escalations) == {"no_response"}
    page = to_html(report, "nl")
    header = re.search(r"<thead><tr>(.*?)</tr></thead>", page, re.S).group(1)
    columns = header.count("<th")
    assert columns == 1 + 3  # the figure, two organisations, the total
    body_rows = re.findall(r"<tr data-key=\"([^\"]+)\">(.*?)</tr>", page, re.S)
    assert len(body_rows) > 20
    for key, cells in body_rows:
        assert cells.count("<th") + cells.count("<td") == columns, key
    keys = [k for k, _ in body_rows]
    assert [f"escalations: {r}" for r in REASONS] == [k for k in keys if k.startswith("esc")]
    table = list(csv.reader(io.StringIO(to_csv(report))))
    assert all(len(row) == len(table[0]) for row in table)
    assert table[0][:3] == ["province", "organisation", "self-reporters"]  # stable keys
    assert "escalations: no_response" in table[0] and "contact: existing_care" in table[0]


async def test_the_page_speaks_dutch(world):
    report = await monitoring(world.rt.db, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    page = to_html(report, "nl")
    labels = re.findall(r'<th scope="row">(.*?)</th>', page)
    for english in ("self-reporters", "response rate", "escalations", "no_response", "contact:"):
        assert not any(english in label for label in labels), english
    assert "zelfmelders" in labels and "bekend bij zorg" in labels
    assert "eerst bereikt via: via bestaande zorg" in labels
    assert "Totaal" in page


async def test_the_pilot_categories(world):
    await world.tick(at(2026, 12, 14, 9))
    await _reach_by_phone(world, "ZM-2")
    report = await monitoring(world.rt.db, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert report.total.known_to_care == 1
    assert report.total.contact_kind["phone"] == 1
    assert report.total.attempts["phone"] == 2
    assert set(CONTACT_KINDS) >= {"phone", "letter", "text", "existing_care"}


async def test_days_are_local(world):
    # imported at 00:30 local on 1 January = 23:30 UTC on 31 December
    await world.cohort("ZM-9,Jo,,Venlo,2027-02-26,,nl\n", at(2027, 1, 1, 0, 30))
    january = await monitoring(
        world.rt.db, dt.date(2027, 1, 1), dt.date(2027, 1, 31), tz=world.rt.calendar.tz
    )
    assert january.total.self_reporters == 1
