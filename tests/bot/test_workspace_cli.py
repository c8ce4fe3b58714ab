"""Getting started and the batch print: letters in the person's language, accounts from
the command line, a clear line at Ctrl-D, `/` and the URLs `serve` prints."""

import re
import subprocess
import time

import httpx
import pytest

from bot.channels.fakes import free_port
from tests.cli import EXAMPLES, VOORZORG, voorzorg

ENV = {"VOORZORG_SECRET_KEY": "c" * 40, "TWILIO_FROM": "+3197010000000"}
COHORT = """reference,first_name,phone,municipality,report_date,prison,language
ZM-1,Sam,06 22334455,Venlo,2027-01-14,PI Roermond,nl
ZM-2,Alex,,Roermond,2027-01-21,PI Roermond,en
"""


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "v.db"
    (tmp_path / "cohort.csv").write_text(COHORT)
    assert (
        voorzorg(path, "org", "load", str(EXAMPLES / "organisations.yaml"), env=ENV).returncode == 0
    )
    done = voorzorg(
        path, "import", str(tmp_path / "cohort.csv"), "--now", "2026-12-01T09:30:00+01:00", env=ENV
    )
    assert done.returncode == 0, done.stderr
    return path


def test_letters_prints_every_new_case_in_its_own_language(db, tmp_path):
    out = tmp_path / "letters.html"
    done = voorzorg(
        db, "letters", "--from", "2026-12-01", "--to", "2026-12-01", "-o", str(out), env=ENV
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"2 letters in {out}"
    html = out.read_text()
    sam, alex = html.split('<article class="sheet letter"')[1:]
    assert 'lang="nl"' in sam and "Beste Sam," in sam and "Stadskantoor, Venlo" in sam
    assert re.search(r"Reageer uiterlijk op \d\d-\d\d-\d{4}\.", sam)
    assert "Stuur uw code" in sam and "+3197010000000" in sam  # the ways that exist
    assert "A. Jansen, coördinator nazorg" in sam  # the organisation's own wording
    assert 'lang="en"' in alex and "Dear Alex," in alex and "Please reply by" in alex
    assert "Or call us" not in alex  # the safety house has no phone in the YAML
    assert "Dat kan zo:" not in html


def test_accounts_from_the_command_line(db):
    add = voorzorg(
        db, "user", "add", "a@example.org", "--role", "admin", stdin="long enough pass\n", env=ENV
    )
    assert add.returncode == 0, add.stderr
    listed = voorzorg(db, "user", "list", env=ENV)
    assert listed.stdout.split("\t")[:2] == ["a@example.org", "admin"] and "active" in listed.stdout
    assert voorzorg(db, "user", "disable", "a@example.org", env=ENV).returncode == 0
    assert "disabled" in voorzorg(db, "user", "list", env=ENV).stdout
    reset = voorzorg(
        db, "user", "reset-password", "a@example.org", stdin="another long pass\n", env=ENV
    )
    assert reset.returncode == 0 and "enabled" in reset.stdout
    missing = voorzorg(db, "user", "disable", "nobody@example.org", env=ENV)
    assert (
        missing.returncode == 1 and missing.stderr == "voorzorg: no account 'nobody@example.org'\n"
    )


def test_ctrl_d_at_the_password_prompt_is_one_clear_line(db):
    done = voorzorg(db, "user", "add", "b@example.org", "--role", "admin", stdin="", env=ENV)
    assert done.returncode == 1
    assert done.stderr == "voorzorg: no password given (input ended)\n"


def test_serve_prints_its_urls_and_links_follow_the_port(db, tmp_path):
    port = free_port()
    env = {k: v for k, v in ENV.items() if k != "TWILIO_FROM"}
    env["VOORZORG_SANDBOX"] = "1"  # the sandbox is a choice, never a missing variable
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [VOORZORG, "--db", str(db), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**__import__("os").environ, **env},
        )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        home = httpx.get(base + "/")
        assert home.status_code == 200
        assert 'href="/admin/login"' in home.text and 'href="/simulator"' in home.text
        text = log.read_text()
        assert f"{base}/admin" in text and f"{base}/simulator" in text
    finally:
        process.terminate()
        process.wait(timeout=20)
