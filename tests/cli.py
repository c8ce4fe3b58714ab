"""Running the `voorzorg` command against a real SQLite file.

`voorzorg()` calls the command's `main` in this process, with its own environment, stdin,
stdout and stderr, and answers like `subprocess.run` would; `installed()` runs the
installed command in a process of its own, for the few tests about the command itself.
`prepare()` runs setup commands once per test session and gives later tests a copy.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from bot.cli import main

VOORZORG = str(Path(sys.executable).parent / "voorzorg")
EXAMPLES = Path(__file__).parent.parent / "examples"
NOW = "2026-12-01T09:30:00+01:00"
OURS = ("VOORZORG_", "TWILIO_", "TELEGRAM_", "SMTP_")
PASSWORD = "correct horse battery staple"


def environment(env: dict | None = None) -> dict[str, str]:
    """This process's environment without any Voorzorg settings, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    return {**clean, **(env or {})}


def voorzorg(
    db: Path, *args: str, stdin: str = "", env: dict | None = None
) -> subprocess.CompletedProcess:
    argv = ["--db", str(db), *args]
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, environment(env), clear=True),
        mock.patch.object(sys, "stdin", io.StringIO(stdin)),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        ThreadPoolExecutor(1) as pool,  # the test's thread may run a loop (Playwright's)
    ):
        code = pool.submit(_main, argv).result()
    return subprocess.CompletedProcess(
        [VOORZORG, *argv], code, stdout=out.getvalue(), stderr=err.getvalue()
    )


def _main(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's usage errors
        return exc.code if isinstance(exc.code, int) else 2


def installed(db: Path, *args: str, stdin: str = "", env: dict | None = None):
    return subprocess.run(
        [VOORZORG, "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(env),
        timeout=60,
        check=False,
    )


@dataclass(frozen=True)
class File:
    """A file a setup command reads, by its text (so equal setups share one database)."""

    name: str
    text: str


Step = tuple[tuple[str | File, ...], str]  # a command's arguments, and its stdin


def command(*args: str | File, stdin: str = "") -> Step:
    return args, stdin


def user(email: str, role: str, organisation: str | None = None) -> Step:
    """`voorzorg user add` with the tests' password."""
    extra = ("--organisation", organisation) if organisation else ()
    return command("user", "add", email, "--role", role, *extra, stdin=PASSWORD + "\n")


_prepared: dict[tuple, dict[str, bytes]] = {}  # (steps, environment) -> the files they made


def prepare(db: Path, steps: tuple[Step, ...], env: dict | None = None) -> None:
    """Run `steps` on a new database at `db`: the first time for real, later as a copy of
    what the first run left in the database's folder (the same commands on an empty
    database give the same data). `db`'s folder must be new."""
    key = (steps, tuple(sorted((k, v) for k, v in (env or {}).items() if k.startswith(OURS))))
    db.parent.mkdir(parents=True, exist_ok=True)
    commands = [
        ([_write(db.parent.parent, a) if isinstance(a, File) else a for a in args], stdin)
        for args, stdin in steps
    ]  # the files are written either way: a test may use them again
    if key not in _prepared:
        for args, stdin in commands:
            done = voorzorg(db, *args, stdin=stdin, env=env)
            assert done.returncode == 0, done.stderr
        made = [p for p in db.parent.iterdir() if p.is_file()]  # secret.key too, if made
        _prepared[key] = {p.name: p.read_bytes() for p in made}
    for name, data in _prepared[key].items():
        (db.parent / name).write_bytes(data)


def _write(folder: Path, file: File) -> str:
    (folder / file.name).write_text(file.text)
    return str(folder / file.name)
