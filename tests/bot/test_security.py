"""Web-facing hardening: the script editor off the event loop, health, headers, bodies."""

from __future__ import annotations

import datetime as dt
import html
import re
import threading

from bot.channels.fakes import FakeTelegram
from bot.config import load_settings
from bot.staff import script_editor
from storage import users
from tests.bot.app_client import app_client

PASSWORD = "correct horse battery staple"
NESTED = (
    "{% for a in range(200) %}{% for b in range(200) %}{% for c in range(200) %}"
    "{% endfor %}{% endfor %}{% endfor %}"
)


def settings_for(tmp_path, **env: str):
    return load_settings(
        db=str(tmp_path / "v.db"), environ={"VOORZORG_SECRET_KEY": "s" * 40, **env}
    )


async def signed_in_admin(client, service) -> str:
    """Sign in as an administrator; the editor page's CSRF token."""
    async with service.rt.db.transaction() as tx:
        await users.add_user(
            tx, "admin@example.org", PASSWORD, "admin", None, dt.datetime.now(dt.UTC)
        )
    form = await client.get("/admin/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    await client.post(
        "/admin/login",
        data={"login_token": token, "email": "admin@example.org", "password": PASSWORD},
    )
    page = await client.get("/admin/scripts/intake")
    return page


async def test_a_hostile_draft_is_checked_off_the_event_loop_and_refused(tmp_path, monkeypatch):
    threads = []
    review = script_editor.review
    monkeypatch.setattr(
        script_editor,
        "review",
        lambda source, language: threads.append(threading.get_ident()) or review(source, language),
    )
    async with app_client(settings_for(tmp_path)) as (client, service):
        page = await signed_in_admin(client, service)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        source = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page.text, re.S)[1])
        hostile = source.replace(
            "Wij zijn het team Voorzorg.", "Wij zijn het team Voorzorg." + NESTED, 1
        )
        assert hostile != source
        for action in ("check", "preview"):
            answer = await client.post(
                f"/admin/scripts/intake/{action}", data={"csrf": csrf, "source": hostile}
            )
            assert answer.status_code == 200
            assert "more than 20000 steps" in html.unescape(answer.text)
    assert threads and threading.get_ident() not in threads


async def test_healthz_says_503_when_the_database_takes_no_writes(tmp_path):
    async with app_client(settings_for(tmp_path)) as (client, service):
        assert (await client.get("/healthz")).status_code == 200
        await service.rt.db._writer.execute("PRAGMA query_only = ON")  # as if the disk were full
        answer = await client.get("/healthz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "database unavailable"}


async def test_hsts_only_when_the_public_url_is_https(tmp_path):
    async with app_client(settings_for(tmp_path)) as (client, _):
        assert "strict-transport-security" not in (await client.get("/healthz")).headers
    https = settings_for(tmp_path, VOORZORG_PUBLIC_URL="https://voorzorg.example.nl")
    async with app_client(https, url="https://voorzorg.example.nl") as (client, _):
        answer = await client.get("/healthz")
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_deeply_nested_json_is_a_400_not_a_500(tmp_path):
    secret = "telegram-webhook-secret"
    with FakeTelegram() as fake:
        settings = settings_for(
            tmp_path,
            TELEGRAM_BOT_TOKEN="4242:fake-token",
            TELEGRAM_WEBHOOK_SECRET=secret,
            TELEGRAM_API_URL=fake.url,
        )
        answer = await post_update(settings, secret, "[" * 30_000 + "]" * 30_000)
    assert answer.status_code == 400


async def post_update(settings, secret: str, message: str):
    update = '{"update_id": 1, "message": ' + message + "}"
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "content-type": "application/json"}
    async with app_client(settings) as (client, _):
        return await client.post("/webhooks/telegram", content=update, headers=headers)
