"""The newcomer's path: load organisations, import a cohort, chat, export."""

import json
import sqlite3

import pytest

from tests.cli import EXAMPLES, NOW, File, command, installed, prepare, voorzorg

COHORT = """reference,first_name,phone,municipality,report_date,prison,language
ZM-2026-00017,Sam,06 22334455,Venlo,2027-01-14,PI Roermond,nl
ZM-2026-00018,Alex,+31687654321,Roermond,2027-01-21,PI Roermond,en
"""


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "var" / "voorzorg.db"
    prepare(
        path,
        (
            command("org", "load", str(EXAMPLES / "organisations.yaml")),
            command("import", File("cohort.csv", COHORT), "--now", NOW),
        ),
    )
    return path


def chat(db, reference, *lines):
    done = voorzorg(db, "chat", reference, "--now", NOW, stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    return done.stdout


def export(db, reference):
    done = voorzorg(db, "case", "export", reference)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_loading_organisations_is_idempotent(tmp_path):
    path = tmp_path / "v.db"
    orgs = str(EXAMPLES / "organisations.yaml")
    assert (
        voorzorg(path, "org", "load", orgs).stdout
        == "2 organisations: 2 created, 0 updated, 0 unchanged\n"
    )
    assert (
        voorzorg(path, "org", "load", orgs).stdout
        == "2 organisations: 0 created, 0 updated, 2 unchanged\n"
    )


def test_reimport_changes_nothing_and_a_new_report_date_updates(db, tmp_path):
    again = voorzorg(db, "import", str(tmp_path / "cohort.csv"), "--now", NOW)
    assert again.stdout == "2 cases: 0 created, 0 updated, 2 unchanged\n"
    (tmp_path / "moved.csv").write_text(COHORT.replace("2027-01-14", "2027-02-11"))
    moved = voorzorg(db, "import", str(tmp_path / "moved.csv"), "--now", NOW)
    assert moved.stdout == "2 cases: 0 created, 1 updated, 1 unchanged\n"
    assert export(db, "ZM-2026-00017")["report_date"] == "2027-02-11"


def test_a_bad_file_changes_nothing_and_names_each_problem(db, tmp_path):
    (tmp_path / "bad.csv").write_text(
        COHORT.splitlines()[0]
        + "\nZM-9,Kim,,Venlo,2027-01-14,,\nZM-10,Jo,123,Atlantis,2027-01-14,,\n"
    )
    done = voorzorg(db, "import", str(tmp_path / "bad.csv"), "--now", NOW)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "voorzorg: line 3: municipality 'Atlantis' is not served by any organisation "
        "(load it with `voorzorg org load` first)",
        "voorzorg: nothing was imported",
    ]
    assert voorzorg(db, "case", "export", "ZM-9").returncode == 1
    skipped = voorzorg(db, "import", str(tmp_path / "bad.csv"), "--now", NOW, "--skip-invalid")
    assert (
        skipped.returncode == 0 and skipped.stdout == "1 cases: 1 created, 0 updated, 0 unchanged\n"
    )


def test_invite_codes_are_short_and_unambiguous(db):
    code = export(db, "ZM-2026-00017")["invite_code"]
    assert len(code) == 6 and not set(code) & set("0O1IL")


def test_a_whole_intake_in_the_terminal(db):
    out = chat(
        db,
        "ZM-2026-00017",
        "ja",
        "ja",
        "nee",
        "1",
        "2",
        "De huur loopt door",
        "1",
        "3",
        "1",
        "1",
        "3",
        "zoon van 4",
        "1",
        "1",  # the first free time
    )
    assert out.startswith("Gemeente Venlo: Hallo Sam.")
    assert "Op donderdag 14 januari moet u zich melden." in out
    assert "1 donderdag 3 december om 13:00, op bezoek (Stadskantoor Venlo)" in out
    assert out.rstrip().endswith("Kunt u niet? Stuur VERZET of AFZEGGEN. Vragen? Stuur MENS.")
    case = export(db, "ZM-2026-00017")
    assert case["status"] == "completed" and case["opted_out"] is False
    assert case["consent"] == {"share_with_municipality": True, "share_with_partners": False}
    assert case["conditions"] == {
        "identity": {"status": "ok"},
        "housing": {"status": "help", "note": "De huur loopt door"},
        "income": {"status": "ok"},
        "debts": {"status": "unknown"},
        "care": {"status": "ok"},
        "network": {"status": "ok"},
        "children": {"status": "help", "note": "zoon van 4"},
    }
    assert [(e["reason"], e["contact"]) for e in case["escalations"]] == [
        ("kind_check", "a.jansen@example.org")
    ]
    assert case["appointment"] == {
        "start": "2026-12-03T13:00:00+01:00",
        "organisation": "venlo",
        "mode": "visit",
        "place": "Stadskantoor Venlo",
        "minutes": 45,
    }


def test_a_conversation_continues_across_sessions(db):
    chat(db, "ZM-2026-00018", "yes")
    out = chat(db, "ZM-2026-00018", "STOP", "hello?")
    assert (
        out == "Steunpunt Limburg: You will get no more messages "
        "from us. Want messages again? Send START.\n"
    )
    assert export(db, "ZM-2026-00018")["opted_out"] is True
    assert "Welcome back" in chat(db, "ZM-2026-00018", "START")
    assert export(db, "ZM-2026-00018")["opted_out"] is False


def test_a_copied_database_reveals_no_one(db):
    chat(db, "ZM-2026-00017", "ja", "ja", "ja", "2", "Mijn huisbaas heet Pietersen")
    raw = b"".join(p.read_bytes() for p in db.parent.glob("voorzorg.db*"))
    for secret in ("Sam", "622334455", "687654321", "Pietersen", "PI Roermond", "Hallo Sam"):
        assert secret.encode() not in raw, secret
    assert b"ZM-2026-00017" in raw  # the pseudonymous reference is the look-up key


def test_every_export_is_audited(db):
    export(db, "ZM-2026-00017")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT actor, action FROM audit_log WHERE case_id IS NOT NULL"
        ).fetchall()
    assert rows == [("cli", "case_export")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chat", "NOPE"], "voorzorg: no case with reference 'NOPE'\n"),
        (["case", "export", "NOPE"], "voorzorg: no case with reference 'NOPE'\n"),
        (
            ["import", "/nonexistent.csv"],
            "voorzorg: cannot read /nonexistent.csv: No such file or directory\n",
        ),
        (
            ["chat", "ZM-2026-00017", "--now", "tomorrow"],
            "voorzorg: --now 'tomorrow' is not ISO 8601 (like 2026-12-01T10:00:00+01:00)\n",
        ),
    ],
)
def test_errors_are_one_line(db, args, message):
    done = voorzorg(db, *args)
    assert (done.returncode, done.stderr) == (1, message)


def test_the_installed_command_refuses_a_newer_database_with_one_line(tmp_path):
    path = tmp_path / "v.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 42")
    done = installed(path, "case", "export", "X")  # the entry point, in a process of its own
    assert done.returncode == 1
    assert done.stderr.startswith("voorzorg: database schema version 42 is newer")
    assert len(done.stderr.splitlines()) == 1


def test_outside_the_sandbox_a_secret_key_is_required(tmp_path):
    done = voorzorg(
        tmp_path / "v.db",
        "case",
        "export",
        "X",
        env={"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"},
    )
    assert (
        done.stderr
        == "voorzorg: VOORZORG_SECRET_KEY is required when Twilio or Telegram is set up\n"
    )


def test_scripts_validate(tmp_path):
    ok = voorzorg(tmp_path / "v.db", "scripts", "validate")
    assert ok.returncode == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (EXAMPLES.parent / "conversations" / "scripts" / "intake.yaml")
        .read_text()
        .replace("next: consent_partners", "next: nowhere")
    )
    done = voorzorg(tmp_path / "v.db", "scripts", "validate", str(broken))
    assert done.returncode == 1
    assert "broken.yaml: error: steps.consent_municipality: unknown step 'nowhere'" in done.stdout


def test_tick_runs_what_is_due_once(db):
    first = voorzorg(db, "tick", "--now", "2026-12-01T10:00:00+01:00")
    assert first.stdout == "outreach: 2 sent\n"
    again = voorzorg(db, "tick", "--now", "2026-12-01T10:00:00+01:00")
    assert again.stdout == "nothing due\n"
    later = voorzorg(db, "tick", "--now", "2026-12-03T10:00:00+01:00")
    assert later.stdout == "reminder: 2 sent\n"  # one each for Sam and Alex


def test_a_contact_person_takes_over_from_the_terminal(db):
    voorzorg(db, "tick", "--now", "2026-12-01T10:00:00+01:00")
    denied = voorzorg(db, "case", "takeover", "ZM-2026-00017", "--contact", "c.smeets@example.org")
    assert denied.stderr == "voorzorg: c.smeets@example.org is no contact person of venlo\n"
    taken = voorzorg(db, "case", "takeover", "ZM-2026-00017", "--contact", "A.Jansen@example.org")
    assert taken.returncode == 0
    assert voorzorg(db, "case", "say", "ZM-2026-00017", "Ik bel u morgen.").returncode == 0
    everything = json.loads(voorzorg(db, "case", "export", "ZM-2026-00017", "--everything").stdout)
    texts = [m["text"] for m in everything["person"]["messages"]]
    assert "Gemeente Venlo (A. Jansen): Ik bel u morgen." in texts
    assert voorzorg(db, "case", "handback", "ZM-2026-00017").returncode == 0
    assert voorzorg(db, "case", "handback", "ZM-2026-00017").stderr == (
        "voorzorg: ZM-2026-00017 is not taken over\n"
    )


def test_erasure_on_request(db):
    chat(db, "ZM-2026-00017", "ja", "ja", "ja", "2", "Mijn huisbaas heet Pietersen")
    assert voorzorg(db, "case", "erase", "ZM-2026-00017").returncode == 0
    everything = json.loads(voorzorg(db, "case", "export", "ZM-2026-00017", "--everything").stdout)
    person = everything["person"]
    assert (person["first_name"], person["phone"], person["prison"]) == ("", None, None)
    assert all(not m["text"] for m in person["messages"])
    assert everything["conditions"]["identity"] == {"status": "unknown"}  # counted, not told
