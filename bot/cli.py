"""The `voorzorg` command. Errors print one line to stderr and exit non-zero."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot import progress, script_commands
from bot.channels.setup import open_channels
from bot.clock import FakeClock, SystemClock
from bot.commands import add_commands, read_password, with_runtime
from bot.config import check_serve, load_settings
from bot.errors import ConfigError, FileError, NoRoute, UserError
from bot.outreach import handoff, retention, timeline, turns
from bot.outreach.cohort import import_cohort
from bot.outreach.importing import parse_organisations
from bot.outreach.inbound import record_processed
from bot.outreach.scheduler import tick
from bot.outreach.sender import deliver_due
from bot.runtime import Runtime, open_runtime
from bot.staff import report as report_pages
from conversations.script import ScriptError
from conversations.validate import sender_warnings
from storage import DatabaseUnavailable, SchemaTooNew, WrongKey, contacts, outbox, users
from storage.cases import audit, get_case
from storage.export import case_export
from storage.organisations import get_organisation, save_organisation, served_municipalities
from storage.report import monitoring

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


def _now(raw: str | None) -> dt.datetime:
    if raw is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise UserError(f"--now {raw!r} is not ISO 8601 (like 2026-12-01T10:00:00+01:00)") from None
    if moment.tzinfo is None:
        raise UserError("--now needs a UTC offset, like 2026-12-01T10:00:00+01:00")
    return moment.astimezone(dt.UTC)  # everything stored is UTC, so timestamps compare as text


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None


async def cmd_org_load(args: argparse.Namespace) -> int:
    data = _read(args.file)

    async def body(rt: Runtime) -> int:
        parsed = parse_organisations(data, await served_municipalities(rt.db))
        if parsed.errors:
            raise FileError("\n".join(parsed.errors))
        stamp = dt.datetime.now(dt.UTC).isoformat()
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        async with rt.db.transaction() as tx:
            for _, org in parsed.items:
                counts[await save_organisation(tx, org, stamp)] += 1
                for warning in sender_warnings(org.sender_name or org.name):
                    print(f"warning: {org.id}: {warning}")
            await audit(tx, "cli", "org_load", None, stamp, json.dumps(counts))
        print(_summary("organisations", counts))
        return 0

    return await with_runtime(args, body)


async def cmd_import(args: argparse.Namespace) -> int:
    data = _read(args.file)
    now = _now(args.now)

    async def body(rt: Runtime) -> int:
        bar = progress.on_terminal(sys.stderr, "cases")  # none in cron's or CI's output
        try:
            result = await import_cohort(
                rt, data, now, skip_invalid=args.skip_invalid, progress=bar
            )
        finally:
            if bar is not None:
                bar.close()
        for error in result.skipped:
            print(f"skipped {error}", file=sys.stderr)
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(_summary("cases", result.counts))
        return 0

    return await with_runtime(args, body)


def _summary(what: str, counts: dict[str, int]) -> str:
    return f"{sum(counts.values())} {what}: " + ", ".join(f"{v} {k}" for k, v in counts.items())


async def _case(rt: Runtime, reference: str):
    case = await get_case(rt.db, rt.vault, reference=reference)
    if case is None:
        raise UserError(f"no case with reference {reference!r}")
    return case


async def cmd_chat(args: argparse.Namespace) -> int:
    now = _now(args.now)

    async def body(rt: Runtime) -> int:
        case = await _case(rt, args.reference)
        async with rt.db.transaction() as tx:
            ids = await turns.start(tx, rt, case, ("terminal", None), now)
        await _print_outbox(rt, ids)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            moment = now if args.now else dt.datetime.now(dt.UTC)
            case = await _case(rt, args.reference)
            async with rt.db.transaction() as tx:
                await record_processed(tx, rt.vault, case.id, "terminal", text, moment)
                ids = await turns.receive(tx, rt, case, text, ("terminal", None), moment)
            await _print_outbox(rt, ids)
        return 0

    return await with_runtime(args, body)


async def _print_outbox(rt: Runtime, ids: list[int]) -> None:
    """The terminal is a channel too: it delivers from the outbox and marks delivery."""
    if not ids:
        return
    for text in await outbox.texts(rt.db, rt.vault, ids):
        print(text, flush=True)
    async with rt.db.transaction() as tx:
        await outbox.mark_delivered(tx, ids, dt.datetime.now(dt.UTC))


async def cmd_case_export(args: argparse.Namespace) -> int:
    async def body(rt: Runtime) -> int:
        case = await _case(rt, args.reference)
        document = await case_export(
            rt.db, rt.vault, case, everything=args.everything, zone=rt.calendar.tz
        )
        action = "case_export_everything" if args.everything else "case_export"
        async with rt.db.transaction() as tx:
            await audit(tx, "cli", action, case.id, dt.datetime.now(dt.UTC).isoformat())
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return 0

    return await with_runtime(args, body)


async def cmd_tick(args: argparse.Namespace) -> int:
    now = _now(args.now)
    settings = load_settings(db=args.db)

    async def body(rt: Runtime) -> int:
        counts = await tick(rt, timeline.HANDLERS, now)
        for (kind, outcome), n in sorted(counts.items()):
            print(f"{kind}: {n} {outcome}")
        if not counts:
            print("nothing due")
        if args.no_send:
            return 0
        if not (settings.providers_configured or settings.sandbox_chosen):
            print(
                "voorzorg: queued, not delivered: no provider is set up (TWILIO_..., "
                "TELEGRAM_BOT_TOKEN); VOORZORG_SANDBOX=1 delivers to the sandbox",
                file=sys.stderr,
            )
            return 0
        channels = await open_channels(settings)
        try:
            clock = FakeClock(now) if args.now else SystemClock()
            delivered = await deliver_due(rt, channels, clock)
        finally:
            for channel in channels.values():
                await channel.close()
        for status, n in sorted(delivered.items()):
            print(f"delivered: {n} {status}")
        return 0

    async with open_runtime(settings, inline=True) as rt:
        return await body(rt)


async def cmd_case_erase(args: argparse.Namespace) -> int:
    async def body(rt: Runtime) -> int:
        case = await _case(rt, args.reference)
        async with rt.db.transaction() as tx:
            await retention.erase(
                tx, rt.vault, case.id, dt.datetime.now(dt.UTC), "erased on request", actor="cli"
            )
        await rt.db.checkpoint()  # erased data leaves the WAL too
        print(f"{case.reference}: personal data erased")
        return 0

    return await with_runtime(args, body)


async def cmd_case_takeover(args: argparse.Namespace) -> int:
    async def body(rt: Runtime) -> int:
        case = await _case(rt, args.reference)
        contact = await contacts.of_user(rt.db, args.contact.lower(), case.organisation_id)
        if contact is None:
            raise UserError(f"{args.contact} is no contact person of {case.organisation_id}")
        async with rt.db.transaction() as tx:
            await handoff.take_over(tx, rt, case, contact["id"], dt.datetime.now(dt.UTC))
        print(f"{case.reference}: taken over; the bot relays until `voorzorg case handback`")
        return 0

    return await with_runtime(args, body)


async def cmd_case_say(args: argparse.Namespace) -> int:
    async def body(rt: Runtime) -> int:
        case = await _case(rt, args.reference)
        contact = await contacts.by_id(rt.db, case.taken_over_by) if case.taken_over_by else None
        if contact is None:
            raise UserError(f"{case.reference} is not taken over; `voorzorg case takeover` first")
        async with rt.db.transaction() as tx:
            try:
                await handoff.say_to_person(
                    tx, rt, case, contact["name"], args.text, dt.datetime.now(dt.UTC)
                )
            except NoRoute as exc:
                raise UserError(str(exc)) from None
        print(f"{case.reference}: queued")
        return 0

    return await with_runtime(args, body)


async def cmd_case_handback(args: argparse.Namespace) -> int:
    async def body(rt: Runtime) -> int:
        case = await _case(rt, args.reference)
        if case.taken_over_by is None:
            raise UserError(f"{case.reference} is not taken over")
        async with rt.db.transaction() as tx:
            await handoff.hand_back(tx, rt, case, dt.datetime.now(dt.UTC))
        print(f"{case.reference}: back with the bot")
        return 0

    return await with_runtime(args, body)


async def cmd_report(args: argparse.Namespace) -> int:
    try:
        start, end = report_pages.period(args.start, args.end, dt.date.today())
    except ValueError as exc:
        raise UserError(str(exc)) from None

    async def body(rt: Runtime) -> int:
        figures = await monitoring(rt.db, start, end, tz=rt.calendar.tz)
        render = report_pages.to_csv if args.format == "csv" else report_pages.to_html
        sys.stdout.write(render(figures))
        return 0

    return await with_runtime(args, body)


async def cmd_user_add(args: argparse.Namespace) -> int:
    if args.role == "contact" and not args.organisation:
        raise UserError("a contact person needs --organisation")
    password = read_password()

    async def body(rt: Runtime) -> int:
        if args.organisation and not await get_organisation(rt.db, args.organisation):
            raise UserError(f"no organisation {args.organisation!r}; `voorzorg org load` first")
        now = dt.datetime.now(dt.UTC)
        try:
            async with rt.db.transaction() as tx:
                await users.add_user(tx, args.email, password, args.role, args.organisation, now)
                await audit(tx, "cli", "user_add", None, now.isoformat(), args.email.lower())
        except ValueError as exc:
            raise UserError(str(exc)) from None
        except sqlite3.IntegrityError:
            raise UserError(f"{args.email} already has an account") from None
        print(f"{args.email.lower()}: {args.role} account created")
        return 0

    return await with_runtime(args, body)


async def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot import demo, logs
    from bot.web import server
    from bot.web.app import create_app

    logs.configure()
    settings = load_settings(db=args.db)
    if args.demo:
        settings = replace(settings, sandbox_chosen=True)
    if not settings.public_url_set:  # links in alerts follow where we actually listen
        settings = replace(settings, public_url=f"http://{_url_host(args.host)}:{args.port}")
    # Open once before serving: a wrong key or a broken database stops here, with one
    # line and a non-zero exit, instead of a server that cannot do its work.
    async with open_runtime(settings, inline=True) as rt:
        if args.demo and (seeded := await demo.seed(rt, dt.datetime.now(dt.UTC))):
            print(f"demo: {seeded} made-up cases; chat with them at /simulator", flush=True)
    check_serve(settings)  # after the key and the database: the most basic problem first
    server_ = uvicorn.Server(
        server.config(create_app(settings, worker_process=True), args.host, args.port)
    )
    base = f"http://{_url_host(args.host)}:{args.port}"
    print(f"Voorzorg serves {base}/admin (staff sign-in)", flush=True)
    if settings.sandbox:
        print(f"sandbox: chat as a self-reporter at {base}/simulator", flush=True)
    await server_.serve()
    return 0 if server_.started else 1


def _url_host(host: str) -> str:
    """A host as it goes in a URL: a wildcard address means this machine."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voorzorg", description=__doc__)
    parser.add_argument("--db", help="SQLite file (overrides VOORZORG_DB)")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Handler, help_: str, parent=sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_)
        p.add_argument("--db", default=argparse.SUPPRESS, help="SQLite file")
        p.set_defaults(handler=handler)
        return p

    p = command("serve", cmd_serve, "web server, sender and scheduler in one process")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--demo", action="store_true", help="seed made-up cases into an empty database")
    org = sub.add_parser("org", help="organisations").add_subparsers(
        dest="org_command", required=True
    )
    command("load", cmd_org_load, "create or update organisations from YAML", org).add_argument(
        "file"
    )
    p = command("import", cmd_import, "import self-reporters from CSV")
    p.add_argument("file")
    p.add_argument("--skip-invalid", action="store_true", help="import the valid rows anyway")
    p.add_argument("--now", help="the moment to import at (ISO 8601 with offset)")
    p = command("chat", cmd_chat, "talk to the bot as a self-reporter")
    p.add_argument("reference")
    p.add_argument("--now", help="the moment the messages are sent (ISO 8601 with offset)")
    case = sub.add_parser("case", help="cases").add_subparsers(dest="case_command", required=True)
    p = command("export", cmd_case_export, "one case as JSON", case)
    p.add_argument("reference")
    p.add_argument("--format", choices=["json"], default="json")
    p.add_argument(
        "--everything",
        action="store_true",
        help="all data held on the person, messages included (GDPR access)",
    )
    command("erase", cmd_case_erase, "erase a person's data now (on request)", case).add_argument(
        "reference"
    )
    p = command("takeover", cmd_case_takeover, "a contact person takes over the chat", case)
    p.add_argument("reference")
    p.add_argument("--contact", required=True, help="the contact person's e-mail")
    p = command("say", cmd_case_say, "send a message as the contact who took over", case)
    p.add_argument("reference")
    p.add_argument("text")
    command("handback", cmd_case_handback, "give the chat back to the bot", case).add_argument(
        "reference"
    )
    p = command("tick", cmd_tick, "run everything that is due, deliver it, then exit")
    p.add_argument("--now", help="the moment to run at (ISO 8601 with offset)")
    p.add_argument("--no-send", action="store_true", help="only queue; `serve` delivers")
    p = command("report", cmd_report, "monitoring report for a period")
    p.add_argument("--from", dest="start", help="first import day (default: 1st of this month)")
    p.add_argument("--to", dest="end", help="last import day (default: today)")
    p.add_argument("--format", choices=["html", "csv"], default="html")
    user = sub.add_parser("user", help="staff accounts").add_subparsers(
        dest="user_command", required=True
    )
    p = command("add", cmd_user_add, "add a staff account (password from stdin)", user)
    p.add_argument("email")
    p.add_argument("--role", choices=["admin", "contact"], required=True)
    p.add_argument("--organisation", help="the contact person's organisation id")
    add_commands(sub, user, command)
    scripts = sub.add_parser("scripts", help="conversation scripts").add_subparsers(
        dest="scripts_command", required=True
    )
    script_commands.register(scripts, command)
    return parser


STOPS = (
    UserError,
    ConfigError,
    FileError,
    SchemaTooNew,
    ScriptError,
    WrongKey,
    DatabaseUnavailable,
)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.umask(0o077)  # whatever Voorzorg creates (database, WAL, key) is ours alone
    try:
        return asyncio.run(args.handler(args))
    except STOPS as exc:
        for line in str(exc).splitlines():
            print(f"voorzorg: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("voorzorg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
