"""The simulator in a real browser: pick a case, start, tap buttons, type."""

import pytest
from playwright.sync_api import expect

from tests.service import Served


@pytest.fixture
def sandbox(tmp_path):
    running = Served(tmp_path, twilio=None, telegram=None).start()
    yield running
    running.stop()


def test_chatting_as_a_self_reporter(sandbox, page):
    page.goto(sandbox.url + "/simulator")
    expect(page.get_by_role("heading", name="Simulator")).to_be_visible()
    page.get_by_role("link", name="ZM-1").click()
    page.get_by_role("button", name="Start the conversation").click()
    chat = page.locator(".chat")
    expect(chat).to_contain_text("Gemeente Venlo: Hallo Sam.")
    expect(chat).to_contain_text("1 segment (GSM-7)")
    page.get_by_role("button", name="1. Ja, dat ben ik").click()
    expect(chat).to_contain_text("Dank u, Sam.")
    page.get_by_placeholder("Type a message").fill("👍")
    page.keyboard.press("Enter")
    expect(chat).to_contain_text("Bedoelt u: u mag mijn antwoorden delen")  # 👍 is no consent
    expect(chat.locator(".meta").last).to_contain_text("simulator")
    assert sandbox.query("SELECT status FROM cases WHERE reference = 'ZM-1'") == [("responding",)]


def test_opening_a_case_by_invite_code(sandbox, page):
    code = sandbox.cli("case", "export", "ZM-2").stdout.split('"invite_code": "')[1][:6]
    page.goto(sandbox.url + "/simulator")
    page.get_by_label("Invite code").fill(code.lower())
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading")).to_contain_text("Alex")
    page.goto(sandbox.url + "/simulator?code=NOPE22")
    expect(page.get_by_role("alert")).to_have_text("No case has that invite code.")


def test_what_people_type_is_shown_inert(sandbox, page):
    page.goto(sandbox.url + "/simulator/ZM-1")
    page.get_by_role("button", name="Start the conversation").click()
    attack = "<script>document.title='pwned'</script>{{ 7*7 }}"
    page.get_by_placeholder("Type a message").fill(attack)
    page.keyboard.press("Enter")
    expect(page.locator(".chat .person .text").last).to_have_text(attack)
    assert page.title() != "pwned"
