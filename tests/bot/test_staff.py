"""Staff pages: who may see and do what, and nothing a self-reporter typed runs."""

import json
import re

import pytest

from tests.cli import File, command, user
from tests.service import App
from tests.staff import PASSWORD, Staff

HOSTILE = (
    "<script>alert(1)</script>{{ 7*7 }}{% for x in range(99) %}x{% endfor %}'; DROP TABLE cases; --"
)


MORE = File(
    "more.csv",
    "reference,first_name,phone,municipality,report_date,prison,language\n"
    f'ZM-3,"{HOSTILE}",,Venlo,2027-01-28,,nl\n',
)
SETUP = (
    command("import", MORE, "--now", "2026-12-01T09:00:00+01:00"),
    user("a.jansen@example.org", "contact", "venlo"),
    user("c.smeets@example.org", "contact", "zvh-nml"),
    user("admin@example.org", "admin"),
)


@pytest.fixture
def staffed(tmp_path):
    service = App(tmp_path, twilio=None, telegram=None, setup=SETUP).start()
    yield service
    service.stop()


ROUTES = [
    "/admin/cases",
    "/admin/cases/ZM-1",
    "/admin/cases/ZM-1/letter",
    "/admin/cases/ZM-1/intake",
    "/admin/audit",
    "/admin/report",
    "/admin/scripts",
    "/admin/scripts/intake",
]
ACTIONS = ["ack", "note", "takeover", "say", "handback", "outcome", "book", "appointment"]
OTHER_POSTS = [
    "/admin/language",
    "/admin/scripts/intake/save",
    "/admin/scripts/intake/check",
    "/admin/scripts/intake/publish",
    "/admin/scripts/intake/rollback",
    "/admin/scripts/intake/preview",
]


def test_every_staff_route_needs_a_login(staffed):
    anonymous = staffed.session()
    for path in ROUTES:
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/admin/login?next=")
    for action in ACTIONS:
        assert anonymous.post(f"/admin/cases/ZM-1/{action}", data={"x": "1"}).status_code == 403
    for path in OTHER_POSTS:
        assert anonymous.post(path, data={"x": "1"}).status_code == 403, path
    assert anonymous.post("/admin/logout").status_code == 403


def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_account(staffed):
    staff = Staff(staffed)
    assert staff.login("a.jansen@example.org", "wrong password").status_code == 401
    assert staff.login("nobody@example.org", PASSWORD).status_code == 401
    for _ in range(4):
        staff.login("a.jansen@example.org", "wrong password")
    assert staff.login("a.jansen@example.org", PASSWORD).status_code == 401  # locked


def test_a_contact_sees_only_their_own_organisation(staffed):
    venlo = Staff(staffed)
    assert venlo.login("a.jansen@example.org").status_code == 303
    listing = venlo.client.get("/admin/cases").text
    assert "ZM-1" in listing and "ZM-2" not in listing  # ZM-2 belongs to the safety house
    assert venlo.client.get("/admin/cases/ZM-2").status_code == 404
    assert venlo.act("ZM-1", "note", text="gebeld").status_code == 303
    assert (
        venlo.client.post(
            "/admin/cases/ZM-2/note", data={"csrf": venlo.csrf("/admin/cases/ZM-1"), "text": "x"}
        ).status_code
        == 404
    )
    assert venlo.client.get("/admin/audit").status_code == 403
    safety_house = Staff(staffed)
    safety_house.login("c.smeets@example.org")
    assert safety_house.client.get("/admin/cases/ZM-1").status_code == 404


def test_an_admin_sees_everything_and_the_audit_log(staffed):
    admin = Staff(staffed)
    admin.login("admin@example.org")
    assert admin.client.get("/admin/cases/ZM-2").status_code == 200
    log = admin.client.get("/admin/audit").text
    assert "view" in log and "ZM-2" in log and "admin@example.org" in log


def test_posts_without_a_valid_csrf_token_are_refused(staffed):
    staff = Staff(staffed)
    staff.login("a.jansen@example.org")
    assert staff.client.post("/admin/cases/ZM-1/note", data={"text": "x"}).status_code == 403
    assert (
        staff.client.post(
            "/admin/cases/ZM-1/note", data={"csrf": "forged", "text": "x"}
        ).status_code
        == 403
    )
    assert staffed.query("SELECT count(*) FROM case_notes") == [(0,)]


def test_what_people_typed_is_shown_inert(staffed):
    staff = Staff(staffed)
    staff.login("a.jansen@example.org")
    staff.act("ZM-3", "note", text=HOSTILE)
    page = staff.client.get("/admin/cases/ZM-3").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in page
    assert "49" not in page.split("<h1>")[1].split("</h1>")[0]
    assert staffed.query("SELECT count(*) FROM cases") == [(3,)]


def test_take_over_reply_and_hand_back(staffed):
    staffed.cli("chat", "ZM-1", "--now", "2026-12-01T10:00:00+01:00", stdin="ja\n")
    staff = Staff(staffed)
    staff.login("a.jansen@example.org")
    assert staff.act("ZM-1", "takeover").status_code == 303
    assert staff.act("ZM-1", "say", text="Ik bel u morgen om 10 uur.").status_code == 303
    page = staff.client.get("/admin/cases/ZM-1").text
    assert "Gemeente Venlo (A. Jansen): Ik bel u morgen om 10 uur." in page
    assert staff.act("ZM-1", "handback").status_code == 303
    actions = staffed.query(
        "SELECT action FROM audit_log WHERE actor = 'a.jansen@example.org' ORDER BY id"
    )
    assert [a for (a,) in actions if a != "view"] == ["login", "takeover", "say", "handback"]


def test_the_interface_is_dutch_by_default(staffed):
    staff = Staff(staffed)
    page = staff.client.get("/admin/login").text
    assert "<h1>Inloggen</h1>" in page and 'lang="nl"' in page


def test_the_report_page_shows_only_the_own_organisation(staffed):
    venlo = Staff(staffed)
    venlo.login("a.jansen@example.org")
    page = venlo.client.get("/admin/report?from=2026-01-01&to=2027-12-31").text
    assert "Gemeente Venlo" in page and "Veiligheidshuis" not in page
    csv = venlo.client.get("/admin/report?from=2026-01-01&to=2027-12-31&format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "Gemeente Venlo" in csv.text and "Veiligheidshuis" not in csv.text
    assert venlo.client.get("/admin/report?from=2027-01-01&to=2026-01-01").status_code == 400
    admin = Staff(staffed)
    admin.login("admin@example.org")
    assert "Veiligheidshuis" in admin.client.get("/admin/report?from=2026-01-01&to=2027-12-31").text


def test_the_printable_letter_has_the_code_and_a_qr_code(tmp_path):
    service = App(
        tmp_path,
        twilio=None,
        telegram=None,
        setup=(user("a.jansen@example.org", "contact", "venlo"),),
        TELEGRAM_BOT_USERNAME="voorzorg_bot",
        TWILIO_FROM="+3197010000000",
    ).start()
    try:
        staff = Staff(service)
        staff.login("a.jansen@example.org")
        code = service.query("SELECT invite_code FROM cases WHERE reference = 'ZM-1'")[0][0]
        letter = staff.client.get("/admin/cases/ZM-1/letter").text
        assert f"Uw code: <strong>{code}</strong>" in letter
        assert f"https://t.me/voorzorg_bot?start={code}" in letter
        assert '<svg width="' in letter and "+3197010000000" in letter
        assert staff.client.get("/admin/cases/ZM-2/letter").status_code == 404
        assert ("print_letter",) in service.query("SELECT action FROM audit_log")
    finally:
        service.stop()


def test_the_intake_result_prints_only_with_consent(staffed):
    staffed.cli(
        "chat",
        "ZM-1",
        "--now",
        "2026-12-01T10:00:00+01:00",
        stdin="ja\nja\nja\n2\nMijn paspoort is verlopen\n",
    )
    staffed.cli("chat", "ZM-3", "--now", "2026-12-01T10:00:00+01:00", stdin="ja\nnee\n")
    staff = Staff(staffed)
    staff.login("a.jansen@example.org")
    result = staff.client.get("/admin/cases/ZM-1/intake").text
    assert "Mijn paspoort is verlopen" in result
    assert staff.client.get("/admin/cases/ZM-3/intake").status_code == 403  # refused consent


def test_a_contact_books_an_appointment_for_the_person_and_marks_it_kept(staffed):
    staffed.cli("chat", "ZM-1", "--now", "2026-12-01T10:00:00+01:00", stdin="ja\n")
    staff = Staff(staffed)
    staff.login("a.jansen@example.org")
    page = staff.client.get("/admin/cases/ZM-1").text
    first = re.search(r'name="offer"><option value="([^"]+)">', page).group(1)
    assert staff.act("ZM-1", "book", offer=first).status_code == 303
    [(status,)] = staffed.query("SELECT status FROM appointments")
    assert status == "booked"
    everything = json.loads(staffed.cli("case", "export", "ZM-1", "--everything").stdout)
    texts = [m["text"] for m in everything["person"]["messages"]]
    assert any(
        t.startswith("Gemeente Venlo: Hallo Sam, er is een afspraak voor u gemaakt.") for t in texts
    )
    assert staff.act("ZM-1", "book", offer="1@2000-01-01T00:00:00+00:00").status_code == 409
    assert staff.act("ZM-1", "appointment", status="kept").status_code == 303
    assert staffed.query("SELECT status FROM appointments") == [("kept",)]


def test_staff_can_switch_to_english(staffed):
    staff = Staff(staffed)
    staff.login("a.jansen@example.org")
    assert "<h1>Casussen</h1>" in staff.client.get("/admin/cases").text
    token = staff.csrf("/admin/cases")
    staff.client.post("/admin/language", data={"csrf": token, "language": "en"})
    assert "<h1>Cases</h1>" in staff.client.get("/admin/cases").text
