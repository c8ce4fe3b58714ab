"""On a 375x812 phone a contact person finds the most urgent case, calls the person, logs
the attempt, agrees a plan of three actions with dates and prints the letter in the
person's language."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.cli import NOW, File, command, user
from tests.service import Served

PHONE = {"width": 375, "height": 812}
NOOR = """reference,first_name,phone,municipality,report_date,prison,language
ZM-5,Noor,0633445566,Venlo,2027-01-28,,en
"""
SETUP = (
    command("import", File("more.csv", NOOR), "--now", NOW),
    user("a.jansen@example.org", "contact", "venlo"),
    # Noor (English) consents and says she cares for children and wants help: a kind-check
    command(
        "chat",
        "ZM-5",
        "--now",
        "2026-12-01T10:00:00+01:00",
        stdin="yes\nyes\nyes\n1\n1\n1\n1\n1\n1\n3\n1\n",
    ),
)


@pytest.fixture
def staffed(tmp_path):
    service = Served(tmp_path, twilio=None, telegram=None, setup=SETUP).start()
    yield service
    service.stop()


@pytest.fixture
def phone(browser, request):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"phone_{name}.png")  # what fits on the screen


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide"


def test_a_contact_person_works_the_most_urgent_case_on_a_phone(staffed, phone):
    sign_in(phone, staffed.url + "/admin/cases", "a.jansen@example.org")
    first = phone.locator("ol.cases > li").first
    expect(first).to_contain_text("Noor")  # the kind-check comes first
    expect(first).to_contain_text("Aandacht nodig")
    expect(first.locator(".tag-attention")).to_be_in_viewport()
    no_sideways_scroll(phone)
    shot(phone, "case_list")

    first.get_by_role("link").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Noor")
    actions = phone.get_by_role("navigation", name="Acties")
    expect(actions.get_by_role("link", name="Bellen")).to_be_in_viewport()
    no_sideways_scroll(phone)
    shot(phone, "case_page_top")

    actions.get_by_role("link", name="Bellen").click()
    expect(phone.get_by_role("link", name="+31633445566")).to_have_attribute(
        "href", "tel:+31633445566"
    )
    shot(phone, "call")
    phone.get_by_role("button", name="geen gehoor").click()  # one tap after the call
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Noor")
    expect(phone.locator("ul.attempts")).to_contain_text("telefonisch: geen gehoor")

    # two taps from the case page: how, then the outcome
    attempt = phone.get_by_role("region", name="Contactpoging vastleggen")
    attempt.get_by_text("via bestaande zorg").click()
    attempt.get_by_role("button", name="bereikt").click()
    expect(phone.locator("ul.attempts")).to_contain_text("via bestaande zorg: bereikt")

    plan = phone.get_by_role("region", name="Het eigen plan van de persoon")
    for condition, what, who, due in (
        ("identiteitsbewijs", "ID-kaart aanvragen", "de persoon", "2026-12-10"),
        (
            "kinderen of anderen om voor te zorgen (kindcheck)",
            "Opvang kinderen regelen",
            "de gemeente",
            "2026-12-08",
        ),
        ("inkomen en werk", "Uitkering stopzetten", "de persoon", "2027-01-05"),
    ):
        plan = phone.get_by_role("region", name="Het eigen plan van de persoon")
        plan.get_by_label("Leefgebied").select_option(label=condition)
        plan.get_by_label("Wat").fill(what)
        plan.get_by_label("Wie").select_option(label=who)
        plan.get_by_label("Vóór").fill(due)
        plan.get_by_role("button", name="Actie toevoegen").click()
    plan = phone.get_by_role("region", name="Het eigen plan van de persoon")
    expect(plan.locator("ol.plan > li")).to_have_count(3)
    plan.get_by_role("button", name="Afgesproken met de persoon").click()
    expect(phone.get_by_role("region", name="Het eigen plan van de persoon")).to_contain_text(
        "Afgesproken met de persoon op"
    )
    phone.locator("#plan").scroll_into_view_if_needed()
    shot(phone, "plan")
    expect(phone.locator(".chat")).to_contain_text("this is what we agreed together")  # English

    # take over / reply are reachable without scrolling through the conversation
    phone.get_by_role("navigation", name="Acties").get_by_role("link", name="Gesprek").click()
    expect(phone.get_by_role("button", name="Gesprek overnemen")).to_be_in_viewport()

    phone.get_by_role("navigation", name="Acties").get_by_role("link", name="Brief").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Dear Noor,")
    expect(phone.locator("article")).to_contain_text("Please reply by")
    no_sideways_scroll(phone)
    shot(phone, "letter")
