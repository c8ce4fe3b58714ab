"""A contact person works a case in a real browser, on a phone-sized screen."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.cli import PASSWORD, command, user
from tests.service import Served


@pytest.fixture
def staffed(tmp_path):
    setup = (
        user("a.jansen@example.org", "contact", "venlo"),
        command("chat", "ZM-1", "--now", "2026-12-01T10:00:00+01:00", stdin="ja\nMENS\n"),
    )
    service = Served(tmp_path, twilio=None, telegram=None, setup=setup).start()
    yield service
    service.stop()


def test_login_take_over_reply_and_hand_back(staffed, page):
    page.goto(staffed.url + "/admin/cases/ZM-1")
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    page.get_by_label("E-mail").fill("a.jansen@example.org")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sam")  # back where we wanted
    expect(page.locator(".chat .person .text")).to_have_text(["ja", "MENS"])  # their own words
    escalations = page.get_by_role("region", name="Escalaties")
    expect(escalations).to_contain_text("vraagt om een medewerker")
    escalations.get_by_role("button", name="Oppakken").click()
    expect(page.get_by_role("region", name="Escalaties")).to_contain_text("opgepakt")
    page.get_by_role("button", name="Gesprek overnemen").click()
    page.get_by_placeholder("Bericht aan de persoon").fill("Ik bel u morgen om 10 uur.")
    page.get_by_role("button", name="Versturen").click()
    expect(page.locator(".chat")).to_contain_text("Gemeente Venlo (A. Jansen): Ik bel u morgen")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "staff_case_page.png", full_page=True)
    page.get_by_role("button", name="Teruggeven aan de bot").click()
    expect(page.get_by_role("button", name="Gesprek overnemen")).to_be_visible()
    page.get_by_role("link", name="Casussen").first.click()
    expect(page.get_by_role("link", name="ZM-1")).to_be_visible()
    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
