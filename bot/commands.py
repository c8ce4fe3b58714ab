"""More `voorzorg` commands: staff accounts (list, disable, reset-password) and the batch
print of letters. `bot.cli` wires them into its parser."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot.config import load_settings
from bot.errors import UserError
from bot.runtime import Runtime, open_runtime
from bot.staff import printouts
from storage import accounts
from storage.cases import audit, get_case
from storage.casework import new_cases

Command = Callable[[str, Callable, str, Any], argparse.ArgumentParser]


def read_password(twice: bool = True) -> str:
    """From stdin when it is not a terminal, else prompted (twice); Ctrl-D is a clear error."""
    try:
        if not sys.stdin.isatty():
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            return line.rstrip("\r\n")
        first = getpass.getpass("Password: ")
        if twice and first != getpass.getpass("Password again: "):
            raise UserError("the passwords differ")
        return first
    except EOFError:
        raise UserError("no password given (input ended)") from None


async def with_runtime(args: argparse.Namespace, body: Callable[[Runtime], Coroutine]) -> int:
    """A command's body with the runtime open; SQLite inline, since a command serves no
    web requests."""
    async with open_runtime(load_settings(db=args.db), inline=True) as rt:
        return await body(rt)


async def cmd_user_list(args: argparse.Namespace) -> int:
    async def body(rt: Runtime) -> int:
        for a in await accounts.listed(rt.db):
            state = f"disabled {a.disabled_at[:10]}" if a.disabled_at else "active"
            print(f"{a.email}\t{a.role}\t{a.organisation_id or '-'}\t{state}")
        return 0

    return await with_runtime(args, body)


async def _account(rt: Runtime, email: str) -> accounts.Account:
    found = await accounts.by_email(rt.db, email)
    if found is None:
        raise UserError(f"no account {email!r}")
    return found


async def cmd_user_disable(args: argparse.Namespace) -> int:
    async def body(rt: Runtime) -> int:
        account = await _account(rt, args.email)
        now = dt.datetime.now(dt.UTC)
        async with rt.db.transaction() as tx:
            await accounts.disable(tx, account.id, now)
            await audit(tx, "cli", "account_disable", None, now.isoformat(), account.email)
        print(f"{account.email}: disabled; its sessions have ended")
        return 0

    return await with_runtime(args, body)


async def cmd_user_reset_password(args: argparse.Namespace) -> int:
    password = read_password()

    async def body(rt: Runtime) -> int:
        account = await _account(rt, args.email)
        now = dt.datetime.now(dt.UTC)
        try:
            async with rt.db.transaction() as tx:
                await accounts.set_password(tx, account.id, password)
                await audit(tx, "cli", "account_password", None, now.isoformat(), account.email)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        print(f"{account.email}: new password set; the account is enabled")
        return 0

    return await with_runtime(args, body)


def _day(raw: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise UserError(f"{flag} {raw!r} is not a date like 2026-12-31") from None


async def cmd_letters(args: argparse.Namespace) -> int:
    """All letters of new cases imported in the period, in one printable HTML file."""
    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    if start > end:
        raise UserError("--from is after --to")

    async def body(rt: Runtime) -> int:
        today = rt.calendar.local(dt.datetime.now(dt.UTC)).date()
        contexts = []
        for reference in await new_cases(rt.db, start, end, rt.calendar.tz):
            case = await get_case(rt.db, rt.vault, reference=reference)
            if case is not None:
                contexts.append(await printouts.letter_context(rt.db, rt, case, today))
        html = printouts.letters_html(contexts, f"Voorzorg {start} – {end}")
        now = dt.datetime.now(dt.UTC).isoformat()
        async with rt.db.transaction() as tx:
            for c in contexts:
                await audit(tx, "cli", "print_letter", c["case"].id, now, "batch")
        if args.output:
            await asyncio.to_thread(Path(args.output).write_text, html, encoding="utf-8")
            print(f"{len(contexts)} letters in {args.output}")
        else:
            sys.stdout.write(html)
        return 0

    return await with_runtime(args, body)


def add_commands(sub: Any, user: Any, command: Command) -> None:
    """The user subcommands and `letters`, added to the `voorzorg` parser."""
    command("list", cmd_user_list, "list staff accounts", user)
    command("disable", cmd_user_disable, "disable a staff account", user).add_argument("email")
    p = command("reset-password", cmd_user_reset_password, "set a new password", user)
    p.add_argument("email")
    p = command("letters", cmd_letters, "print the letters of new cases into one HTML file", sub)
    p.add_argument("--from", dest="start", required=True, help="first import day")
    p.add_argument("--to", dest="end", required=True, help="last import day")
    p.add_argument("--output", "-o", help="the HTML file to write (default: stdout)")
