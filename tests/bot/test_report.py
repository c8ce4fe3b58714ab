"""The monitoring report counts what the pilot counted, and still after the purge."""

import datetime as dt

import pytest

from bot.staff.report import to_csv, to_html
from storage.report import monitoring
from tests.world import at, opened

COHORT = (
    "ZM-1,Sam,+31622334455,Venlo,2027-01-29,,nl\n"  # answers, consents, completes, books
    "ZM-2,Kim,+31622334466,Venlo,2027-01-29,,nl\n"  # never answers
    "ZM-3,Alex,+31622334477,Roermond,2027-01-29,,en\n"  # opts out
    "ZM-4,Robin,,Weert,2027-01-29,,nl\n"  # no phone: the letter only
)


@pytest.fixture
async def world(tmp_path):
    async with opened(tmp_path) as w:
        await w.cohort(COHORT, at(2026, 12, 14, 9))
        await w.tick(at(2026, 12, 14, 9))
        for text in ("ja", "ja", "ja", *["1"] * 7, "1", "1"):
            await w.say("+31622334455", text, at(2026, 12, 15, 9))
        await w.say("+31622334477", "STOP", at(2026, 12, 14, 10))
        await w.days(at(2026, 12, 14, 11), at(2026, 12, 22, 12))
        yield w


async def test_the_figures(world):
    report = await monitoring(world.rt.db, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    total = report.total
    assert (total.self_reporters, total.contacted, total.responded) == (4, 3, 2)
    assert total.response_rate == pytest.approx(2 / 3)
    assert (total.consent_given, total.intake_completed, total.appointments_booked) == (1, 1, 1)
    assert total.opted_out == 1
    assert total.escalations == {"no_response": 2, "opted_out": 1}  # Kim and Robin; Alex
    assert total.contact_kind == {"text": 2, "letter": 1}  # the pilot's kinds
    assert total.median_days_to_response == pytest.approx(0.5, abs=0.5)
    venlo = report.groups[("Limburg", "Gemeente Venlo")]
    assert (venlo.self_reporters, venlo.responded) == (2, 1)


async def test_the_figures_survive_the_purge(world):
    before = await monitoring(world.rt.db, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    await world.tick(at(2027, 3, 1, 4))  # retention over for everyone
    after = await monitoring(world.rt.db, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    for attr in (
        "self_reporters",
        "contacted",
        "responded",
        "consent_given",
        "intake_completed",
        "appointments_booked",
        "opted_out",
        "escalations",
    ):
        assert getattr(after.total, attr) == getattr(before.total, attr), attr


async def test_csv_and_html(world):
    report = await monitoring(world.rt.db, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    lines = to_csv(report).splitlines()
    assert lines[0].startswith("province,organisation,self-reporters,contacted,responded")
    assert lines[-1].startswith("total,,4,3,2,0.67,1,1,1,")
    html = to_html(report)
    chart = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert ">Gemeente Venlo</text>" in chart and ">50%</text>" in chart  # 1 of 2 responded


async def test_an_empty_period(world):
    report = await monitoring(world.rt.db, dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert report.total.self_reporters == 0 and report.total.response_rate is None
    assert to_csv(report).splitlines()[-1].startswith("total,,0,0,0,,")
