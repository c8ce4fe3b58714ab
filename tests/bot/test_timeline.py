"""A simulated month: who hears what, when, and who gets escalated to a contact person."""

import asyncio
from collections import Counter

import pytest

from bot.config import load_settings
from bot.runtime import open_runtime
from tests.world import World, at, opened

SAM = "+31622334455"


@pytest.fixture
async def world(tmp_path):
    async with opened(
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_FROM="voorzorg@example.org",
        VOORZORG_PUBLIC_URL="https://voorzorg.example.org",
    ) as w:
        yield w


def row(ref, phone=SAM, report="2027-01-29", municipality="Venlo"):
    return f"{ref},Sam,{phone},{municipality},{report},PI Roermond,nl\n"


async def test_someone_who_never_answers(world):
    await world.cohort(row("ZM-1"), at(2026, 12, 14, 9, 30))
    await world.days(at(2026, 12, 14, 9, 30), at(2026, 12, 23, 12))
    assert await world.messages("ZM-1") == [
        (
            "Mon 14 Dec 09:30",
            "Gemeente Venlo: Hallo Sam. Wij zijn het team Voorzorg. "
            "Wij helpen mensen om dingen op tijd te regelen.",
        ),
        ("Mon 14 Dec 09:30", "Eerst een vraag. Bent u Sam?"),
        (
            "Wed 16 Dec 09:30",
            "Gemeente Venlo: Hallo Sam, heeft u ons bericht gezien? Wij willen u graag helpen.",
        ),
        ("Wed 16 Dec 09:30", "Eerst een vraag. Bent u Sam?"),
        ("Fri 18 Dec 09:30", "Gemeente Venlo: Sam, wij horen graag van u."),
        ("Fri 18 Dec 09:30", "Eerst een vraag. Bent u Sam?"),
    ]
    assert await world.escalations("ZM-1") == [
        ("Mon 21 Dec 09:30", "no_response", 1, "a.jansen@example.org"),
        ("Tue 22 Dec 09:30", "no_response", 2, "b.devries@example.org"),  # not acknowledged
    ]
    alerts = await world.messages("ZM-1", audience="staff")
    assert alerts[0] == ("Mon 21 Dec 09:30", "Voorzorg: actie nodig voor ZM-1 (Venlo).")
    assert alerts[-1][1] == (
        "Voorzorg: actie nodig voor ZM-1 (Venlo) (u bent de tweede lijn: "
        "de eerste contactpersoon reageerde niet)."
    )


async def test_the_first_message_waits_for_the_sending_window(world):
    await world.cohort(row("ZM-1"), at(2026, 12, 12, 21, 30))  # Saturday night
    assert await world.tick(at(2026, 12, 12, 22)) == Counter()
    assert await world.tick(at(2026, 12, 13, 12)) == Counter()  # Sunday: no messages
    assert await world.tick(at(2026, 12, 14, 9)) == Counter({("outreach", "sent"): 1})
    assert [m[0] for m in await world.messages("ZM-1")] == ["Mon 14 Dec 09:00"] * 2


async def test_someone_who_answers_at_once_gets_no_reminders(world):
    await world.cohort(row("ZM-1"), at(2026, 12, 14, 10))
    await world.tick(at(2026, 12, 14, 10))
    await world.say(SAM, "ja", at(2026, 12, 14, 10, 5))
    await world.days(at(2026, 12, 14, 11), at(2026, 12, 23, 12))
    assert [m[1][:20] for m in await world.messages("ZM-1")][2:4] == [
        "Dank u, Sam.",
        "Wij stellen u zo een",
    ]
    # no "no response" escalation; they stopped mid-intake, so after the nudge: stalled
    assert [e[1:3] for e in await world.escalations("ZM-1")] == [
        ("stalled_intake", 1),
        ("stalled_intake", 2),  # not acknowledged: the backup
    ]
    assert ("reminder", "dropped: answered") in await world.outcomes("ZM-1")
    assert ("escalate", "dropped: answered") in await world.outcomes("ZM-1")


async def test_someone_who_answers_late_gets_only_the_first_reminder(world):
    await world.cohort(row("ZM-1"), at(2026, 12, 14, 10))
    await world.days(at(2026, 12, 14, 10), at(2026, 12, 17, 10))
    await world.say(SAM, "ja", at(2026, 12, 17, 11))
    await world.days(at(2026, 12, 17, 12), at(2026, 12, 23, 12))
    texts = [m[1] for m in await world.messages("ZM-1")]
    assert sum("heeft u ons bericht gezien" in t for t in texts) == 1
    assert not any("wij horen graag van u" in t for t in texts)
    assert [e[1] for e in await world.escalations("ZM-1")] == ["stalled_intake"]  # after nudge


async def test_someone_who_stops_halfway_gets_one_nudge(world):
    await world.cohort(row("ZM-1"), at(2026, 12, 14, 10))
    await world.tick(at(2026, 12, 14, 10))
    for text in ("ja", "ja", "nee"):
        await world.say(SAM, text, at(2026, 12, 14, 10, 5))
    await world.days(at(2026, 12, 14, 11), at(2026, 12, 29, 12))
    nudges = [m for m in await world.messages("ZM-1") if "u was nog niet klaar" in m[1]]
    assert nudges == [
        (
            "Wed 16 Dec 11:00",  # due 10:05 two working days on; the ticks are hourly
            "Gemeente Venlo: Hallo Sam, u was nog niet klaar. U kunt verder waar u was.",
        )
    ]
    # the nudge went unanswered for two working days: the contact person is told
    assert (await world.escalations("ZM-1"))[0] == (
        "Fri 18 Dec 11:00",
        "stalled_intake",
        1,
        "a.jansen@example.org",
    )


async def test_someone_who_opts_out_hears_nothing_more_and_the_contact_knows(world):
    await world.cohort(row("ZM-1"), at(2026, 12, 14, 10))
    await world.tick(at(2026, 12, 14, 10))
    await world.say(SAM, "STOP", at(2026, 12, 14, 12))
    await world.days(at(2026, 12, 14, 13), at(2026, 12, 23, 12))
    texts = [m[1] for m in await world.messages("ZM-1")]
    assert texts[-1].startswith("Gemeente Venlo: U krijgt geen berichten meer van ons.")
    assert len(texts) == 3
    assert await world.escalations("ZM-1") == [
        ("Mon 14 Dec 12:00", "opted_out", 1, "a.jansen@example.org"),
        ("Tue 15 Dec 12:00", "opted_out", 2, "b.devries@example.org"),
    ]


async def test_no_phone_means_no_messages_but_an_escalation_after_five_working_days(world):
    await world.cohort(row("ZM-1", phone=""), at(2026, 12, 14, 10))
    await world.days(at(2026, 12, 14, 10), at(2026, 12, 22, 9))
    assert await world.messages("ZM-1") == []
    assert (await world.escalations("ZM-1"))[0] == (
        "Mon 21 Dec 10:00",
        "no_response",
        1,
        "a.jansen@example.org",
    )


async def test_a_near_report_date_escalates_at_once(world):
    await world.cohort(row("ZM-1", report="2026-12-24"), at(2026, 12, 14, 10))
    await world.tick(at(2026, 12, 14, 10))
    assert (await world.escalations("ZM-1"))[0][:2] == ("Mon 14 Dec 10:00", "report_soon")


async def test_christmas_week(world):
    await world.cohort(row("ZM-1", report="2027-02-05"), at(2026, 12, 23, 10))
    await world.days(at(2026, 12, 23, 10), at(2027, 1, 1, 12))
    reminders = [m[0] for m in await world.messages("ZM-1") if "Bent u" not in m[1]][1:]
    assert reminders == ["Mon 28 Dec 10:00", "Wed 30 Dec 10:00"]
    assert [e[0] for e in await world.escalations("ZM-1")][:1] == ["Thu 31 Dec 10:00"]


async def test_a_dst_change_and_easter_keep_the_wall_clock(world):
    await world.cohort(row("ZM-1", report="2027-05-20"), at(2027, 3, 25, 10))
    await world.days(at(2027, 3, 25, 10), at(2027, 4, 6, 12))
    reminders = [m[0] for m in await world.messages("ZM-1") if "Bent u" not in m[1]][1:]
    # Good Friday (26 March) is a working day for the government; Easter Monday is not.
    assert reminders == ["Tue 30 Mar 10:00", "Thu 01 Apr 10:00"]
    assert [e[0] for e in await world.escalations("ZM-1")][:1] == ["Fri 02 Apr 10:00"]


async def test_nothing_reaches_a_person_on_or_after_the_report_date(world):
    await world.cohort(row("ZM-1", report="2026-12-17"), at(2026, 12, 14, 10))
    await world.days(at(2026, 12, 14, 10), at(2026, 12, 22, 12))
    times = [m[0] for m in await world.messages("ZM-1")]
    assert times == ["Mon 14 Dec 10:00"] * 2 + ["Wed 16 Dec 10:00"] * 2  # no reminder on Fri 18


async def test_after_downtime_missed_events_run_once_and_stale_ones_are_dropped(world):
    await world.cohort(row("ZM-1"), at(2026, 12, 14, 10))
    await world.tick(at(2026, 12, 14, 10))
    counts = await world.tick(at(2026, 12, 22, 10))  # the service was down for a week
    assert counts[("reminder", "dropped")] == 1  # superseded by the later one
    assert counts[("reminder", "sent")] == 1
    assert counts[("escalate", "escalated")] == 1
    assert await world.tick(at(2026, 12, 22, 10)) == Counter()  # a tick twice sends nothing twice


async def test_two_ticks_at_once_send_nothing_twice(world, tmp_path):
    await world.cohort(row("ZM-1") + row("ZM-2", phone="+31622334466"), at(2026, 12, 14, 10))
    async with open_runtime(world.rt.settings) as other:
        second = World(other)
        await asyncio.gather(world.tick(at(2026, 12, 14, 10)), second.tick(at(2026, 12, 14, 10)))
    assert len(await world.messages("ZM-1")) == 2
    assert len(await world.messages("ZM-2")) == 2


async def test_an_acknowledged_escalation_does_not_go_to_the_backup(world):
    await world.cohort(row("ZM-1"), at(2026, 12, 14, 10))
    await world.days(at(2026, 12, 14, 10), at(2026, 12, 21, 10))
    await world.say("+31612345678", "OK", at(2026, 12, 21, 11))  # the contact's phone
    await world.days(at(2026, 12, 21, 12), at(2026, 12, 23, 12))
    assert [e[2] for e in await world.escalations("ZM-1")] == [1]
    staff = await world.messages("ZM-1", audience="staff")
    assert all("tweede lijn" not in m[1] for m in staff)


async def test_the_retention_period_erases_the_person(world):
    await world.cohort(row("ZM-1", report="2027-01-04"), at(2026, 12, 14, 10))
    await world.tick(at(2026, 12, 14, 10))
    await world.say(SAM, "ja", at(2026, 12, 14, 11))
    counts = await world.tick(at(2027, 2, 3, 4))
    assert counts[("purge", "purged")] == 1
    row_ = await world.rt.db.fetchone(
        "SELECT phone, prison, purged_at, status FROM cases WHERE reference = 'ZM-1'"
    )
    assert (row_["phone"], row_["prison"], row_["status"]) == (None, None, "responding")
    assert row_["purged_at"] is not None
    assert {m[1] for m in await world.messages("ZM-1")} == {""}
    assert await world.rt.db.fetchall("SELECT * FROM conversations") == []


async def test_a_contact_takes_over_by_replying_to_the_alert_and_hands_back(world):
    await world.cohort(row("ZM-1"), at(2026, 12, 14, 10))
    await world.tick(at(2026, 12, 14, 10))
    await world.say(SAM, "ja", at(2026, 12, 14, 10, 1))
    await world.say(SAM, "MENS", at(2026, 12, 14, 10, 2))  # alert to the contact person
    alert_id = await world.rt.db.fetchone(
        "SELECT id FROM outbox WHERE audience = 'staff' AND channel = 'sms' ORDER BY id LIMIT 1"
    )
    async with world.rt.db.transaction() as tx:  # the contact's SMS answer to that alert
        await tx.execute("UPDATE outbox SET provider_id = 'SMalert' WHERE id = ?", (alert_id[0],))
    contact_phone = "+31612345678"
    await world.say_as(
        contact_phone, "Hoi Sam, ik bel je morgen om 10 uur.", "SMalert", at(2026, 12, 14, 11)
    )
    said = [m[1] for m in await world.messages("ZM-1", full=True)]
    assert said[-1] == "Gemeente Venlo (A. Jansen): Hoi Sam, ik bel je morgen om 10 uur."
    await world.say(SAM, "Goed, tot morgen", at(2026, 12, 14, 11, 5))
    staff = [m[1] for m in await world.messages("ZM-1", audience="staff", full=True)]
    assert staff[-1] == "Voorzorg: bericht over ZM-1\nGoed, tot morgen"  # relayed, not answered
    assert [m[1] for m in await world.messages("ZM-1")][-1].startswith("Gemeente Venlo (A. Jansen)")
    before = len(await world.messages("ZM-1"))
    await world.days(at(2026, 12, 14, 12), at(2026, 12, 18, 12))
    assert len(await world.messages("ZM-1")) == before  # no reminders or nudges meanwhile
    await world.say(contact_phone, "KLAAR", at(2026, 12, 18, 13))
    assert (await world.messages("ZM-1"))[-1][1].startswith("Mogen wij uw antwoorden delen")
    held = await world.rt.db.fetchone("SELECT taken_over_by FROM cases WHERE reference = 'ZM-1'")
    assert held[0] is None


async def test_an_organisation_can_set_its_own_timeline(tmp_path):
    settings = load_settings(
        db=str(tmp_path / "v.db"),
        environ={"VOORZORG_SECRET_KEY": "t" * 40, "VOORZORG_SENDING_WINDOW": "10:00-18:00"},
    )
    async with open_runtime(settings) as rt:
        world = World(rt)
        await world.load_organisations("""
organisations:
  - id: venlo
    name: Gemeente Venlo
    kind: municipality
    municipalities: [Venlo]
    contacts: [{name: A. Jansen, email: a.jansen@example.org}]
    timeline: {reminder_days: [1], escalate_after_days: 3}
""")
        await world.cohort(row("ZM-1"), at(2026, 12, 14, 9))
        await world.days(at(2026, 12, 14, 9), at(2026, 12, 18, 12))
        times = [m[0] for m in await world.messages("ZM-1") if "Bent u" not in m[1]]
        assert times == ["Mon 14 Dec 10:00", "Tue 15 Dec 10:00"]  # window opens at 10:00
        assert [e[0] for e in await world.escalations("ZM-1")][:1] == ["Thu 17 Dec 10:00"]
