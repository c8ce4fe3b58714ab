"""Settings from the environment (and an optional `.env`), each with a working default."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    db_path: Path
    public_url: str
    secret_key: str
    timezone: str
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_bot_username: str | None = None  # for the t.me deep link on letters
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str | None = None
    whatsapp_is_sms: bool = False  # a WhatsApp sender is the same person as that SMS number
    telegram_mode: str = "webhook"  # or "polling", for local development
    sms_per_second: float = 10.0
    tick_seconds: float = 30.0  # how often `serve` runs what is due
    window: tuple[dt.time, dt.time] = (dt.time(9), dt.time(20))  # messages to people
    sandbox_chosen: bool = False  # VOORZORG_SANDBOX=1 or `serve --demo`
    public_url_set: bool = False  # VOORZORG_PUBLIC_URL given; else `serve` follows --port

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def providers_configured(self) -> bool:
        return self.twilio_enabled or self.telegram_enabled

    @property
    def sandbox(self) -> bool:
        """Nothing leaves the machine: chosen, or (outside `serve`) nothing is set up."""
        return self.sandbox_chosen or not self.providers_configured

    def secrets(self) -> tuple[str, ...]:
        """What logs must never show (`bot.logs.Redact`)."""
        return (
            self.secret_key,
            self.twilio_auth_token or "",
            self.telegram_bot_token or "",
            self.telegram_webhook_secret or "",
        )


def load_settings(db: str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    env = {**dotenv_values(".env"), **(os.environ if environ is None else environ)}

    def get(name: str, default: str | None = None) -> str | None:
        value = env.get(name)
        return value if value not in (None, "") else default

    db_path = Path(db or get("VOORZORG_DB", "var/voorzorg.db"))
    draft = Settings(
        db_path=db_path,
        public_url=str(get("VOORZORG_PUBLIC_URL", "http://127.0.0.1:8080")).rstrip("/"),
        public_url_set=get("VOORZORG_PUBLIC_URL") is not None,
        secret_key="",
        timezone=_zone(str(get("VOORZORG_TIMEZONE", "Europe/Amsterdam"))),
        twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
        twilio_from=get("TWILIO_FROM"),
        twilio_messaging_service_sid=get("TWILIO_MESSAGING_SERVICE_SID"),
        twilio_api_url=str(get("TWILIO_API_URL", "https://api.twilio.com")).rstrip("/"),
        telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
        telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
        telegram_api_url=str(get("TELEGRAM_API_URL", "https://api.telegram.org")).rstrip("/"),
        telegram_bot_username=get("TELEGRAM_BOT_USERNAME"),
        smtp_host=get("SMTP_HOST"),
        smtp_port=_port(get("SMTP_PORT", "25")),
        smtp_from=get("SMTP_FROM"),
        whatsapp_is_sms=_flag(get("VOORZORG_WHATSAPP_IS_SMS", "false")),
        telegram_mode=_choice(
            "VOORZORG_TELEGRAM_MODE",
            get("VOORZORG_TELEGRAM_MODE", "webhook"),
            ("webhook", "polling"),
        ),
        sms_per_second=_number("VOORZORG_SMS_PER_SECOND", get("VOORZORG_SMS_PER_SECOND", "10")),
        tick_seconds=_number("VOORZORG_TICK_SECONDS", get("VOORZORG_TICK_SECONDS", "30")),
        window=_window(get("VOORZORG_SENDING_WINDOW", "09:00-20:00")),
        sandbox_chosen=_flag(get("VOORZORG_SANDBOX", "false")),
    )
    key = get("VOORZORG_SECRET_KEY")
    if key is None:
        if not draft.sandbox:
            raise ConfigError("VOORZORG_SECRET_KEY is required when Twilio or Telegram is set up")
        key = _sandbox_secret(_key_file(env, db_path), db_path)
    if len(key) < 32:
        raise ConfigError("VOORZORG_SECRET_KEY must be at least 32 characters")
    _check_providers(draft)
    return replace(draft, secret_key=key)


def _check_providers(s: Settings) -> None:
    """A provider set up halfway is a mistake to name, never a reason to fall back."""
    if bool(s.twilio_account_sid) != bool(s.twilio_auth_token):
        given, missing = (
            ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
            if s.twilio_account_sid
            else ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID")
        )
        raise ConfigError(f"{given} is set but {missing} is not: set both to use Twilio")
    if s.twilio_enabled and not (s.twilio_from or s.twilio_messaging_service_sid):
        raise ConfigError(
            "Twilio is set up without a sender: set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"
        )
    if s.telegram_webhook_secret and not s.telegram_bot_token:
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET is set but TELEGRAM_BOT_TOKEN is not: set both for Telegram"
        )
    if s.telegram_enabled and s.telegram_mode == "webhook" and not s.telegram_webhook_secret:
        # Refused rather than warned: without the secret every update would be refused
        # (403) or, worse, anyone could post updates; a deaf bot must not look healthy.
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is set but TELEGRAM_WEBHOOK_SECRET is not: set it (any long "
            "random text) or use VOORZORG_TELEGRAM_MODE=polling"
        )


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")


def is_loopback(url: str) -> bool:
    """Whether a URL points at this machine (127.0.0.0/8, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def check_serve(s: Settings) -> None:
    """What `serve` needs beyond `load_settings`: an explicit sandbox or real providers,
    and with real providers a public HTTPS URL they can call (one clear line if not)."""
    if s.sandbox_chosen:
        return
    if not s.providers_configured:
        raise ConfigError(
            "no provider is set up (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or "
            "TELEGRAM_BOT_TOKEN): set one, or choose the sandbox with `voorzorg serve --demo` "
            "or VOORZORG_SANDBOX=1"
        )
    called_back = s.twilio_enabled or (s.telegram_enabled and s.telegram_mode == "webhook")
    if not called_back:
        return
    apis = [s.twilio_api_url] * s.twilio_enabled + [s.telegram_api_url] * s.telegram_enabled
    stand_ins = all(is_loopback(url) for url in apis)  # the fake providers, in tests
    if stand_ins and (is_loopback(s.public_url) or not s.public_url_set):
        return
    if not s.public_url_set:
        raise ConfigError(
            "VOORZORG_PUBLIC_URL is not set: Twilio and Telegram must reach this server; "
            "set it to its public https:// address"
        )
    if is_loopback(s.public_url) or urlsplit(s.public_url).scheme != "https":
        raise ConfigError(
            f"VOORZORG_PUBLIC_URL {s.public_url!r} is not a public https:// address, so "
            "Twilio and Telegram cannot reach it (and signatures would never match)"
        )


def _window(raw: str | None) -> tuple[dt.time, dt.time]:
    try:
        opens, closes = (dt.time.fromisoformat(p.strip()) for p in str(raw).split("-"))
    except ValueError:
        raise ConfigError(
            f"VOORZORG_SENDING_WINDOW must look like 09:00-20:00, not {raw!r}"
        ) from None
    if opens >= closes:
        raise ConfigError("VOORZORG_SENDING_WINDOW must open before it closes")
    return opens, closes


def _zone(raw: str) -> str:
    """An IANA time zone name this machine knows, like Europe/Amsterdam."""
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"VOORZORG_TIMEZONE {raw!r} is no known time zone (like Europe/Amsterdam)"
        ) from None
    return raw


def _flag(raw: str | None) -> bool:
    return str(raw).strip().lower() in ("1", "true", "yes", "on")


def _choice(name: str, raw: str | None, options: tuple[str, ...]) -> str:
    if raw not in options:
        raise ConfigError(f"{name} must be one of {', '.join(options)}, not {raw!r}")
    return raw


def _number(name: str, raw: str | None) -> float:
    try:
        value = float(str(raw))
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be above zero")
    return value


def _port(raw: str | None) -> int:
    try:
        return int(raw or "25")
    except ValueError:
        raise ConfigError(f"SMTP_PORT must be a number, not {raw!r}") from None


def _key_file(env: Mapping[str, str | None], db_path: Path) -> Path:
    """Where the sandbox key lives: `VOORZORG_KEY_FILE`, else the user's configuration
    directory, never beside the database (a copy of `var/` must not hold both).

    A key from before (`secret.key` beside the database) keeps working where it is.
    """
    if chosen := env.get("VOORZORG_KEY_FILE"):
        return Path(chosen).expanduser()
    legacy = db_path.parent / "secret.key"
    if legacy.exists():
        return legacy
    home = Path(env.get("HOME") or Path.home())
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return config_home / "voorzorg" / "sandbox.key"


def _sandbox_secret(path: Path, db_path: Path) -> str:
    """The sandbox's key, generated once (readable only by us) while no data needs it.

    A database that already holds data was sealed with some key: a new one would lock
    it away for good, so a missing key file then stops the command instead.
    """
    if path.exists():
        return path.read_text("utf-8").strip()
    if db_path.exists() and db_path.stat().st_size > 0:
        raise ConfigError(
            f"the sandbox key {path} is missing but {db_path} holds data sealed with it; "
            "restore the key file (or set VOORZORG_KEY_FILE or VOORZORG_SECRET_KEY)"
        )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(draft, path)  # atomic: of two first runs at once, one key wins
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text("utf-8").strip()
