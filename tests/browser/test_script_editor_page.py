"""An administrator edits, checks, previews and publishes a script in a real browser."""

import pytest
from playwright.sync_api import expect

from conversations.script import load_default_scripts
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.cli import user
from tests.service import Served


@pytest.fixture
def edited(tmp_path):
    setup = (user("admin@example.org", "admin"),)
    service = Served(tmp_path, twilio=None, telegram=None, setup=setup).start()
    yield service
    service.stop()


def test_edit_check_preview_publish(edited, page):
    sign_in(page, edited.url + "/admin/scripts/intake", "admin@example.org")
    source = page.get_by_label("Script (YAML)")
    findings = page.locator("#findings")
    text = source.input_value()
    source.fill(text.replace("next: consent_partners", "next: nergens"))
    expect(findings).to_contain_text("onbekende stap 'nergens'")  # checked while typing, in Dutch
    source.fill(text.replace("Eerst een vraag. Bent u", "Even checken: bent u"))
    expect(findings).not_to_contain_text("unknown step")
    page.get_by_placeholder("Antwoord als zelfmelder").fill("ja")
    page.get_by_role("button", name="Versturen in voorbeeld").click()
    expect(page.locator("#preview")).to_contain_text("Even checken: bent u Sam?")
    expect(page.locator("#preview")).to_contain_text("Dank u, Sam.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "script_editor.png", full_page=True)
    page.get_by_role("button", name="Publiceren").click()
    page.get_by_role("link", name="Alle scripts").click()
    published = page.locator("tbody tr", has_text="gepubliceerd")
    expect(published).to_have_count(1)
    after = load_default_scripts()["intake"].version + 1  # the shipped version, then this one
    expect(published.locator("td").nth(1)).to_have_text(str(after))
    assert edited.query("SELECT version FROM script_versions WHERE status = 'published'") == [
        (after,)
    ]
