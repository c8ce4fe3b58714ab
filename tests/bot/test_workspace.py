"""The contact person's workspace over HTTP: calling (audited), contact attempts, the
person's own plan told to them, known to care, the hand-over, and accounts."""

import html
import re

import pytest

from tests.cli import command, user
from tests.service import App
from tests.staff import Staff

SETUP = (
    user("a.jansen@example.org", "contact", "venlo"),
    user("admin@example.org", "admin"),
    # Sam answers: consent to share with the municipality, not (yet) with partners
    command("chat", "ZM-1", "--now", "2026-12-01T10:00:00+01:00", stdin="ja\nja\n"),
)


@pytest.fixture(scope="module")
def staffed(tmp_path_factory):
    service = App(tmp_path_factory.mktemp("ws"), twilio=None, telegram=None, setup=SETUP).start()
    yield service
    service.stop()


@pytest.fixture
def jansen(staffed):
    staff = Staff(staffed)
    assert staff.login("a.jansen@example.org").status_code == 303
    return staff


def audit_count(service, action: str) -> int:
    return service.query("SELECT count(*) FROM audit_log WHERE action = ?", action)[0][0]


def test_the_number_is_on_its_own_page_with_a_tel_link_and_each_view_is_audited(staffed, jansen):
    case_page = jansen.client.get("/admin/cases/ZM-1").text
    assert "+31622334455" not in case_page  # not on the case page itself
    assert 'href="/admin/cases/ZM-1/call"' in case_page
    before = audit_count(staffed, "reveal_number")
    call = jansen.client.get("/admin/cases/ZM-1/call")
    assert call.status_code == 200
    assert 'href="tel:+31622334455"' in call.text
    assert "terminal" in call.text.lower() or "sms" in call.text.lower()  # the channel
    jansen.client.get("/admin/cases/ZM-1/call")
    assert audit_count(staffed, "reveal_number") == before + 2


def test_a_contact_attempt_is_logged_shown_in_the_timeline_and_counted(staffed, jansen):
    token = jansen.csrf("/admin/cases/ZM-1")
    response = jansen.client.post(
        "/admin/cases/ZM-1/attempt",
        data={"csrf": token, "kind": "phone", "outcome": "no_answer", "note": "ging over"},
    )
    assert response.status_code == 303
    page = jansen.client.get("/admin/cases/ZM-1").text
    assert "telefonisch: geen gehoor" in page and "ging over" in page
    assert staffed.query("SELECT kind, outcome FROM contact_attempts") == [("phone", "no_answer")]
    bad = jansen.client.post(
        "/admin/cases/ZM-1/attempt", data={"csrf": token, "kind": "pigeon", "outcome": "reached"}
    )
    assert bad.status_code == 400


def test_a_plan_of_three_actions_is_agreed_and_the_person_is_told(staffed, jansen):
    token = jansen.csrf("/admin/cases/ZM-1")
    actions = [
        ("identity", "ID-kaart aanvragen bij de gemeente", "person", "2026-12-10"),
        ("housing", "Huur doorbetalen regelen", "municipality", "2026-12-15"),
        ("income", "Uitkering stopzetten melden", "person", "2027-01-05"),
    ]
    for condition, what, who, due in actions:
        response = jansen.client.post(
            "/admin/cases/ZM-1/plan_add",
            data={"csrf": token, "condition": condition, "what": what, "who": who, "due": due},
        )
        assert response.status_code == 303
    assert jansen.act("ZM-1", "plan_agree").status_code == 303
    reminders = staffed.query(
        "SELECT due_at FROM scheduled_events WHERE kind = 'plan_reminder' AND done_at IS NULL"
    )
    assert len(reminders) == 2  # the person's own two actions, not the municipality's
    page = jansen.client.get("/admin/cases/ZM-1").text
    assert "ID-kaart aanvragen" in page and "Afgesproken met de persoon op" in page
    # the summary went to the person, on their channel, in their language
    assert "Hallo Sam, dit hebben we samen afgesproken:" in page
    assert "- ID-kaart aanvragen bij de gemeente (u, vóór 10-12-2026)" in page
    printed = jansen.client.get("/admin/cases/ZM-1/plan")
    assert printed.status_code == 200 and "Huur doorbetalen regelen" in printed.text


def test_the_hand_over_needs_consent_to_share_with_partners(staffed, jansen):
    assert jansen.client.get("/admin/cases/ZM-1/handover").status_code == 403


def test_known_to_care_is_saved(staffed, jansen):
    token = jansen.csrf("/admin/cases/ZM-1")
    jansen.client.post(
        "/admin/cases/ZM-1/care", data={"csrf": token, "known": "yes", "organisation": "GGZ"}
    )
    assert staffed.query("SELECT known_to_care FROM cases WHERE reference = 'ZM-1'") == [(1,)]
    assert 'value="GGZ"' in jansen.client.get("/admin/cases/ZM-1").text


ENGLISH_CODES = (
    ">new<",
    "responding",
    "completed",
    "identity: ",
    ": unknown",
    ": help",
    "share_with_municipality",
    "share_with_partners",
    "no_response",
    "kind_check",
    "no_answer",
    "plan_made",
    "reached_by_phone",
    " · person",
    " · consent",
    "sandboxed",
    "pending",
    "delivered",
)


def test_the_staff_pages_in_dutch_show_no_english_codes(staffed, jansen):
    admin = Staff(staffed)
    admin.login("admin@example.org")
    pages = [
        jansen.client.get("/admin/cases").text,
        jansen.client.get("/admin/cases/ZM-1").text,
        jansen.client.get("/admin/cases/ZM-1/call").text,
        jansen.client.get("/admin/cases/ZM-1/plan").text,
        jansen.client.get("/admin/report").text,
        admin.client.get("/admin/accounts").text,
    ]
    for page in pages:
        text = re.sub(r"<[^>]+>", "><", page)  # what people read, not form values
        for code in ENGLISH_CODES:
            assert code not in text, code
    case_page = pages[1]
    assert "in gesprek" in case_page or "intake afgerond" in case_page
    assert "delen met de gemeente: gegeven" in case_page
    history = case_page[case_page.index('<ol class="chat">') :]
    history = re.sub(r"<[^>]+>", "", history[: history.index("</ol>")])
    assert "delen met de gemeente: gegeven" in history  # the consent event, as it happened


def test_english_is_switchable(staffed):
    staff = Staff(staffed)
    staff.login("a.jansen@example.org")
    token = staff.csrf("/admin/cases")
    staff.client.post("/admin/language", data={"csrf": token, "language": "en"})
    page = staff.client.get("/admin/cases/ZM-1").text
    assert "Log a contact attempt" in page and "share with the municipality: given" in page
    staff.client.post("/admin/language", data={"csrf": token, "language": "nl"})


def test_publish_saves_what_is_in_the_editor_and_shows_errors_in_dutch(staffed):
    admin = Staff(staffed)
    admin.login("admin@example.org")
    editor = admin.client.get("/admin/scripts/intake").text
    token = re.search(r'name="csrf" value="([^"]+)"', editor).group(1)
    revision = re.search(r'name="revision" value="([^"]*)"', editor).group(1)
    source = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", editor, re.S).group(1))
    broken = admin.client.post(
        "/admin/scripts/intake/publish",
        data={"csrf": token, "revision": revision, "source": source.replace("start:", "stat:", 1)},
    )
    assert broken.status_code == 400
    assert "Niet gepubliceerd: het script heeft fouten." in broken.text
    assert "stat:" in broken.text  # what was typed is still there
    edited = source.replace("Wij zijn het team Voorzorg.", "Wij zijn team Voorzorg.", 1)
    assert edited != source
    done = admin.client.post(
        "/admin/scripts/intake/publish",
        data={"csrf": token, "revision": revision, "source": edited},
    )
    assert done.status_code == 303
    assert "Wij zijn team Voorzorg." in admin.client.get("/admin/scripts/intake").text
