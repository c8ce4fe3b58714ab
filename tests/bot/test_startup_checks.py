"""`serve` starts only on a configuration that works: an explicit sandbox or complete
provider settings with a public HTTPS URL; anything else stops it with one clear line."""

from dataclasses import replace

import pytest

from bot.config import check_serve, load_settings
from bot.errors import ConfigError
from tests.cli import voorzorg

KEY = {"VOORZORG_SECRET_KEY": "k" * 40}
TWILIO = {
    **KEY,
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM": "+3197010000000",
}
TELEGRAM = {**KEY, "TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "s" * 20}


def settings(tmp_path, **env):
    return load_settings(db=str(tmp_path / "v.db"), environ=env)


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {**KEY, "TWILIO_ACCOUNT_SID": "AC1"},
            "TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not: set both to use Twilio",
        ),
        (
            {**KEY, "TWILIO_AUTH_TOKEN": "t"},
            "TWILIO_AUTH_TOKEN is set but TWILIO_ACCOUNT_SID is not: set both to use Twilio",
        ),
        (
            {**KEY, "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"},
            "Twilio is set up without a sender: set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID",
        ),
        (
            {**KEY, "TELEGRAM_BOT_TOKEN": "1:x"},
            "TELEGRAM_BOT_TOKEN is set but TELEGRAM_WEBHOOK_SECRET is not: set it (any long "
            "random text) or use VOORZORG_TELEGRAM_MODE=polling",
        ),
        (
            {**KEY, "TELEGRAM_WEBHOOK_SECRET": "s" * 20},
            "TELEGRAM_WEBHOOK_SECRET is set but TELEGRAM_BOT_TOKEN is not: set both for Telegram",
        ),
    ],
)
def test_partial_provider_settings_are_named(tmp_path, env, line):
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, **env)
    assert str(caught.value) == line


def test_telegram_polling_needs_no_webhook_secret(tmp_path):
    found = settings(tmp_path, **KEY, TELEGRAM_BOT_TOKEN="1:x", VOORZORG_TELEGRAM_MODE="polling")
    check_serve(found)  # no public URL needed either


def test_the_sandbox_is_chosen_never_the_result_of_a_missing_variable(tmp_path):
    nothing = settings(tmp_path, **KEY)
    with pytest.raises(ConfigError, match="no provider is set up"):
        check_serve(nothing)
    check_serve(settings(tmp_path, **KEY, VOORZORG_SANDBOX="1"))
    check_serve(replace(nothing, sandbox_chosen=True))  # what `serve --demo` does


@pytest.mark.parametrize(
    ("public_url", "problem"),
    [
        (None, "VOORZORG_PUBLIC_URL is not set"),
        ("http://127.0.0.1:8080", "is not a public https:// address"),
        ("https://localhost", "is not a public https:// address"),
        ("http://voorzorg.example.nl", "is not a public https:// address"),
    ],
)
@pytest.mark.parametrize("providers", [TWILIO, TELEGRAM])
def test_real_providers_need_a_public_https_url(tmp_path, providers, public_url, problem):
    env = {**providers, **({"VOORZORG_PUBLIC_URL": public_url} if public_url else {})}
    with pytest.raises(ConfigError, match=problem):
        check_serve(settings(tmp_path, **env))


def test_a_public_https_url_is_fine(tmp_path):
    check_serve(settings(tmp_path, **TWILIO, VOORZORG_PUBLIC_URL="https://voorzorg.example.nl"))


def test_local_stand_ins_allow_a_loopback_url(tmp_path):
    env = {
        **TWILIO,
        **TELEGRAM,
        "TWILIO_API_URL": "http://127.0.0.1:9001",
        "TELEGRAM_API_URL": "http://localhost:9002",
        "VOORZORG_PUBLIC_URL": "http://127.0.0.1:8080",
    }
    check_serve(settings(tmp_path, **env))
    half = {**env, "TELEGRAM_API_URL": "https://api.telegram.org"}  # one real provider
    with pytest.raises(ConfigError, match="not a public https"):
        check_serve(settings(tmp_path, **half))


def test_serve_refuses_to_start_with_one_line(tmp_path):
    done = voorzorg(tmp_path / "v.db", "serve", "--port", "1", env=TWILIO)
    assert done.returncode == 1
    assert done.stderr == (
        "voorzorg: VOORZORG_PUBLIC_URL is not set: Twilio and Telegram must reach this "
        "server; set it to its public https:// address\n"
    )
    partial = voorzorg(tmp_path / "v.db", "serve", env={**KEY, "TWILIO_ACCOUNT_SID": "AC1"})
    assert partial.stderr.count("\n") == 1 and "TWILIO_AUTH_TOKEN is not" in partial.stderr
    nothing = voorzorg(tmp_path / "v.db", "serve", env=KEY)
    assert nothing.returncode == 1 and "voorzorg serve --demo" in nothing.stderr
