"""The monitoring report in a real browser: a chart, a table, a CSV download."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.cli import command, user
from tests.service import Served


@pytest.fixture
def reported(tmp_path):
    setup = (
        user("admin@example.org", "admin"),
        command("chat", "ZM-1", "--now", "2026-12-01T10:00:00+01:00", stdin="ja\nja\n"),
    )
    service = Served(tmp_path, twilio=None, telegram=None, setup=setup).start()
    yield service
    service.stop()


def test_the_report_page(reported, page):
    sign_in(page, reported.url + "/admin/report?from=2026-12-01&to=2026-12-31", "admin@example.org")
    expect(page.get_by_role("heading", name="Monitoring")).to_be_visible()
    chart = page.get_by_role("img", name="Respons per organisatie")
    expect(chart).to_contain_text("Gemeente Venlo")
    expect(chart).to_contain_text("100%")
    expect(page.locator("table")).to_contain_text("Totaal")  # the figures are turned a quarter
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "report_page.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV downloaden").click()
    assert download.value.suggested_filename == "voorzorg-2026-12-01-2026-12-31.csv"
