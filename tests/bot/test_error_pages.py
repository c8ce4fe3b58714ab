"""Error pages on the staff side speak the person's language and show a way back."""

import pytest

from tests.cli import user
from tests.service import App
from tests.staff import Staff

SETUP = (user("a.jansen@example.org", "contact", "venlo"),)


@pytest.fixture(scope="module")
def staffed(tmp_path_factory):
    service = App(tmp_path_factory.mktemp("err"), twilio=None, telegram=None, setup=SETUP).start()
    yield service
    service.stop()


def test_a_missing_case_is_a_dutch_page_with_a_way_back(staffed):
    staff = Staff(staffed)
    staff.login("a.jansen@example.org")
    page = staff.client.get("/admin/cases/ZM-DOES-NOT-EXIST")
    assert page.status_code == 404
    assert "<h1>Niet gevonden</h1>" in page.text
    assert "deze casus bestaat niet" in page.text and 'href="/admin/cases">Terug' in page.text


def test_an_expired_form_says_so_in_dutch(staffed):
    staff = Staff(staffed)
    staff.login("a.jansen@example.org")
    refused = staff.client.post("/admin/cases/ZM-1/note", data={"csrf": "wrong", "text": "x"})
    assert refused.status_code == 403
    assert "het formulier is verlopen; laad de pagina opnieuw" in refused.text


def test_the_english_speaker_gets_english(staffed):
    staff = Staff(staffed)
    staff.login("a.jansen@example.org")
    token = staff.csrf("/admin/cases")
    staff.client.post("/admin/language", data={"csrf": token, "language": "en"})
    try:
        page = staff.client.get("/admin/cases/ZM-DOES-NOT-EXIST")
        assert "<h1>Not found</h1>" in page.text and "no such case" in page.text
    finally:
        staff.client.post("/admin/language", data={"csrf": token, "language": "nl"})


def test_signing_in_is_still_a_redirect(staffed):
    staff = Staff(staffed)
    asked = staff.client.get("/admin/cases/ZM-1", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/admin/login?next=")
