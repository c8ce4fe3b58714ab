"""A wrong or lost key, and a broken database, stop every command with one clear line."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import time

from bot.channels.fakes import free_port
from tests.cli import EXAMPLES, NOW, voorzorg

KEY_A = {"VOORZORG_SECRET_KEY": "a-key-that-is-long-enough-0123456789-AAAA"}
KEY_B = {"VOORZORG_SECRET_KEY": "a-key-that-is-long-enough-0123456789-BBBB"}
COHORT = """reference,first_name,phone,municipality,report_date
ZM-1,Sam,0622334455,Venlo,2027-01-14
"""


def prepared(tmp_path, env: dict) -> object:
    db = tmp_path / "var" / "voorzorg.db"
    cohort = tmp_path / "cohort.csv"
    cohort.write_text(COHORT)
    loaded = voorzorg(db, "org", "load", str(EXAMPLES / "organisations.yaml"), env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert voorzorg(db, "import", str(cohort), "--now", NOW, env=env).returncode == 0
    return db


def events(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, done_at, outcome FROM scheduled_events").fetchall()


def test_tick_with_the_wrong_key_changes_nothing_and_exits_non_zero(tmp_path):
    db = prepared(tmp_path, KEY_A)
    before = events(db)
    done = voorzorg(db, "tick", "--now", "2026-12-03T10:00:00+01:00", env=KEY_B)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "voorzorg: VOORZORG_SECRET_KEY is not the key this database was written with; "
        "nothing was changed (set the right key, or restore the sandbox key file)"
    ]
    assert events(db) == before  # no reminder or escalation marked failed: SealError


def test_serve_with_the_wrong_key_stops_at_once(tmp_path):
    db = prepared(tmp_path, KEY_A)
    done = serve(db, KEY_B)
    assert done.returncode == 1
    assert "voorzorg: VOORZORG_SECRET_KEY is not the key" in done.stderr


def test_serve_on_a_broken_database_exits_non_zero(tmp_path):
    db = tmp_path / "v.db"
    db.write_bytes(b"not a database " * 400)
    done = serve(db, KEY_A)
    assert done.returncode == 1
    assert done.stderr.strip().endswith("file is not a database")


def serve(db, env: dict) -> subprocess.CompletedProcess:
    """`voorzorg serve` that is expected to stop by itself, soon."""
    started = time.monotonic()
    done = voorzorg(db, "serve", "--port", str(free_port()), env=env)
    assert time.monotonic() - started < 30
    return done


def test_the_sandbox_key_lives_outside_var_and_is_private(tmp_path):
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_CONFIG_HOME": ""}
    db = prepared(tmp_path, env)
    key = home / ".config" / "voorzorg" / "sandbox.key"
    assert key.exists()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert sorted(p.name for p in db.parent.iterdir() if "key" in p.name) == []
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_a_lost_sandbox_key_is_not_regenerated_over_existing_data(tmp_path):
    key = tmp_path / "keys" / "sandbox.key"
    env = {"VOORZORG_KEY_FILE": str(key)}
    db = prepared(tmp_path, env)
    key.unlink()
    done = voorzorg(db, "case", "export", "ZM-1", env=env)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"voorzorg: the sandbox key {key} is missing but {db} holds data sealed with it; "
        "restore the key file (or set VOORZORG_KEY_FILE or VOORZORG_SECRET_KEY)"
    ]
    assert not key.exists()
