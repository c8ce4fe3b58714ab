"""Casework storage on a real SQLite file: notes, outcome, the case list, the timeline."""

import datetime as dt
import json

import pytest

from storage import Database, Vault, appointments, casework, escalations, scripts, users
from storage.cases import CaseInput, audit, get_case, save_case
from storage.organisations import Contact, Organisation, save_organisation

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
STAMP = NOW.isoformat()
VAULT = Vault("k" * 40)


def later(minutes: int) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


@pytest.fixture
async def db(tmp_path):
    db = await Database.open(tmp_path / "db")
    async with db.transaction() as tx:
        for org_id in ("venlo", "zwolle"):
            org = Organisation(
                org_id, org_id.title(), "municipality", contacts=(Contact("K", f"k@{org_id}.nl"),)
            )
            await save_organisation(tx, org, STAMP)
        for reference, org_id, day in (
            ("V-2", "venlo", 20),
            ("V-1", "venlo", 10),
            ("Z-1", "zwolle", 5),
        ):
            data = CaseInput(reference, f"Sam {reference}", org_id, dt.date(2027, 1, day))
            await save_case(tx, VAULT, data, org_id, STAMP)
    yield db
    await db.close()


async def case_id(db: Database, reference: str) -> int:
    case = await get_case(db, VAULT, reference=reference)
    assert case is not None
    return case.id


async def test_the_case_list_is_scoped_ordered_and_shows_open_reasons(db):
    v1 = await case_id(db, "V-1")
    async with db.transaction() as tx:
        first = await escalations.record(tx, VAULT, v1, "kind_check", None, 1, None, NOW)
        await escalations.record(tx, VAULT, v1, "asked_for_human", None, 1, None, NOW)
        await escalations.acknowledge(tx, first, v1, "page:k@venlo.nl", NOW)
    venlo = await casework.listed(db, VAULT, "venlo")
    assert [(i.case.reference, i.open_reasons) for i in venlo] == [
        ("V-1", ("asked_for_human",)),
        ("V-2", ()),
    ]
    assert venlo[0].case.first_name == "Sam V-1"  # opened, not sealed
    everyone = await casework.listed(db, VAULT, None, limit=2)
    assert [i.case.reference for i in everyone] == ["Z-1", "V-1"]


async def test_a_note_is_sealed_and_shows_in_the_timeline(db):
    v1 = await case_id(db, "V-1")
    async with db.transaction() as tx:
        user = await users.add_user(tx, "k@venlo.nl", "a long password!", "contact", "venlo", NOW)
        await casework.add_note(tx, VAULT, v1, user, "Belt maandag terug", NOW)
        assert [e.text for e in await casework.timeline(tx, VAULT, v1)] == ["Belt maandag terug"]
    stored = await db.fetchone("SELECT body FROM case_notes WHERE case_id = ?", (v1,))
    assert b"maandag" not in stored["body"]
    (entry,) = await casework.timeline(db, VAULT, v1)
    assert (entry.who, entry.at) == ("note", NOW)


async def test_the_outcome_closes_the_case_only_when_asked(db):
    v1 = await case_id(db, "V-1")
    async with db.transaction() as tx:
        await casework.set_outcome(tx, v1, "referred", close=False)
    row = await db.fetchone("SELECT outcome, status FROM cases WHERE id = ?", (v1,))
    assert (row["outcome"], row["status"]) == ("referred", "new")
    async with db.transaction() as tx:
        await casework.set_outcome(tx, v1, "plan_made", close=True)
    row = await db.fetchone("SELECT outcome, status FROM cases WHERE id = ?", (v1,))
    assert (row["outcome"], row["status"]) == ("plan_made", "closed")


async def _consent(tx, case: int, purpose: str, given: bool, at: dt.datetime) -> None:
    await tx.execute(
        """INSERT INTO consent_events (case_id, purpose, given, at, channel, script_id,
               script_version) VALUES (?, ?, ?, ?, 'sms', 'intake', 1)""",
        (case, purpose, int(given), at.isoformat()),
    )


async def test_the_latest_consent_counts_and_answers_come_back_opened(db):
    v1 = await case_id(db, "V-1")
    async with db.transaction() as tx:
        await _consent(tx, v1, "share_with_municipality", True, NOW)
        await _consent(tx, v1, "share_with_municipality", False, later(1))
        await _consent(tx, v1, "contact", True, later(2))
        for condition, status, note in (("housing", "help", "Geen huis"), ("income", "ok", None)):
            await tx.execute(
                """INSERT INTO answers (case_id, condition, status, note, updated_at)
                   VALUES (?, ?, ?, ?, ?)""",
                (v1, condition, status, VAULT.seal(note, "answers.note"), STAMP),
            )
    assert await casework.consent(db, v1) == {"share_with_municipality": False, "contact": True}
    assert await casework.answers(db, VAULT, v1) == [
        casework.Answer("housing", "help", "Geen huis"),
        casework.Answer("income", "ok", ""),
    ]
    assert await casework.consent(db, await case_id(db, "V-2")) == {}


async def test_messages_and_the_timeline_in_order_of_time(db):
    v1 = await case_id(db, "V-1")
    async with db.transaction() as tx:
        await tx.execute(
            """INSERT INTO inbound (channel, provider_key, case_id, body, received_at)
               VALUES ('sms', 'SM1', ?, ?, ?)""",
            (v1, VAULT.seal(json.dumps({"text": "ja"}), "inbound.body"), later(2).isoformat()),
        )
        for minutes, audience, text, choices in (
            (1, "person", "Hallo Sam", '["ja", "nee"]'),
            (3, "staff", "Sam vraagt om een mens", None),
        ):
            await tx.execute(
                """INSERT INTO outbox (case_id, channel, body, choices, segments, encoding,
                       next_attempt_at, created_at, updated_at, audience)
                   VALUES (?, 'sms', ?, ?, 1, 'GSM-7', ?, ?, ?, ?)""",
                (
                    v1,
                    VAULT.seal(text, "outbox.body"),
                    VAULT.seal(choices, "outbox.choices") if choices else None,
                    STAMP,
                    later(minutes).isoformat(),
                    STAMP,
                    audience,
                ),
            )
        await _consent(tx, v1, "contact", True, later(2))
    said = await casework.messages(db, VAULT, v1)
    assert [(e.who, e.text) for e in said] == [
        ("bot", "Hallo Sam"),
        ("person", "ja"),
        ("staff", "Sam vraagt om een mens"),
    ]
    assert said[0].choices == ("ja", "nee") and said[0].status == "pending"
    assert said[0].segments == 1
    whole = await casework.timeline(db, VAULT, v1)
    assert [(e.who, e.text) for e in whole] == [
        ("bot", "Hallo Sam"),
        ("person", "ja"),
        ("consent", "contact: yes"),  # same moment as the message: after it
        ("staff", "Sam vraagt om een mens"),
    ]


async def test_the_audit_log_is_newest_first_with_the_reference(db):
    v1 = await case_id(db, "V-1")
    async with db.transaction() as tx:
        await audit(tx, "k@venlo.nl", "view", v1, STAMP)
        await audit(tx, "admin@example.org", "login", None, later(1).isoformat())
    rows = await casework.audit_log(db)
    assert [(r["actor"], r["action"], r["reference"]) for r in rows] == [
        ("admin@example.org", "login", None),
        ("k@venlo.nl", "view", "V-1"),
    ]
    assert len(await casework.audit_log(db, limit=1)) == 1


async def test_a_booked_appointment_is_marked_kept_or_missed(db):
    v1 = await case_id(db, "V-1")
    async with db.transaction() as tx:
        await tx.execute(
            """INSERT INTO appointments (case_id, organisation_id, start, minutes, mode,
                   created_at) VALUES (?, 'venlo', ?, 30, 'phone', ?)""",
            (v1, later(60 * 24).isoformat(), STAMP),
        )
    booked = await appointments.booked(db, v1)
    assert booked is not None and booked["mode"] == "phone"
    with pytest.raises(ValueError):
        async with db.transaction() as tx:
            await appointments.mark(tx, v1, "cancelled")
    async with db.transaction() as tx:
        await appointments.mark(tx, v1, "kept")
        assert await appointments.booked(tx, v1) is None
    row = await db.fetchone("SELECT status FROM appointments WHERE case_id = ?", (v1,))
    assert row["status"] == "kept"


async def test_a_staff_member_switches_language(db):
    async with db.transaction() as tx:
        await users.add_user(tx, "k@venlo.nl", "a long password!", "contact", "venlo", NOW)
    user = await users.authenticate(db, "k@venlo.nl", "a long password!", NOW)
    assert user is not None and user.language == "nl"
    async with db.transaction() as tx:
        await users.set_language(tx, user.id, "en")
    user = await users.authenticate(db, "k@venlo.nl", "a long password!", NOW)
    assert user is not None and user.language == "en"


async def test_script_versions_are_listed_newest_first_per_script(db):
    async with db.transaction() as tx:
        for script_id, version, status in (
            ("a", 1, "retired"),
            ("a", 2, "published"),
            ("b", 1, "published"),
        ):
            await tx.execute(
                """INSERT INTO script_versions (script_id, version, status, source, created_at,
                       updated_at) VALUES (?, ?, ?, '', ?, ?)""",
                (script_id, version, status, STAMP, STAMP),
            )
    rows = await scripts.versions(db)
    assert [(r["script_id"], r["version"], r["status"]) for r in rows] == [
        ("a", 2, "published"),
        ("a", 1, "retired"),
        ("b", 1, "published"),
    ]
