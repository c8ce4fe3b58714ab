"""`voorzorg scripts ...`: check scripts, measure the matcher, and round-trip translations
through PO files (for a translator or a tool like Weblate)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from bot.config import load_settings
from bot.errors import UserError
from bot.runtime import open_runtime
from conversations import corpus
from conversations.script import (
    ScriptError,
    default_scripts_dir,
    load_default_scripts,
    load_script,
    load_script_file,
)
from conversations.templates import (
    TEMPLATES_FILE,
    check_templates,
    load_templates,
    missing_languages,
)
from conversations.translations import export_po, import_po, unreviewed
from conversations.validate import validate
from storage import scripts as script_store


async def validate_files(args: argparse.Namespace) -> int:
    """Check the scripts in a folder (the shipped ones by default) or one file."""
    target = Path(args.path) if args.path else default_scripts_dir()
    files = sorted(target.glob("*.yaml")) if target.is_dir() else [target]
    if not files:
        raise UserError(f"no scripts (*.yaml) in {target}")
    errors = 0
    for path in files:
        try:
            findings = validate(load_script_file(path))
        except ScriptError as exc:
            print(f"error: {exc}")
            errors += 1
            continue
        for finding in findings:
            print(f"{path.name}: {finding}")
        errors += sum(f.level == "error" for f in findings)
        if not findings:
            print(f"{path.name}: ok")
    if target == default_scripts_dir():
        errors += _check_whatsapp_templates()
    return 1 if errors else 0


def _check_whatsapp_templates() -> int:
    """The WhatsApp templates against the default scripts' languages; returns the errors."""
    languages = tuple(
        dict.fromkeys(lang for s in load_default_scripts().values() for lang in s.languages)
    )
    templates = load_templates()
    problems = check_templates(templates, languages)
    missing = missing_languages(templates, languages)
    for problem in problems:
        print(f"{TEMPLATES_FILE.name}: error: {problem}")
    for warning in missing:
        print(f"{TEMPLATES_FILE.name}: warning: {warning}")
    if not problems and not missing:
        print(f"{TEMPLATES_FILE.name}: ok")
    return len(problems)


async def corpus_figures(args: argparse.Namespace) -> int:
    """How the matcher reads a labelled corpus: wrong records, asked back, resolved."""
    return corpus.main([args.file] if args.file else [])


async def po_export(args: argparse.Namespace) -> int:
    """The script's texts in one language as a PO catalog: the published version, or with
    `--draft` the draft being prepared."""
    async with open_runtime(load_settings(db=args.db), inline=True) as rt:
        if args.draft:
            now = dt.datetime.now(dt.UTC)
            row = await script_store.draft(rt.db, args.script, "cli", now)
            script = load_script(row["source"], f"{args.script} draft") if row else None
        else:
            script = await script_store.published(rt.db, args.script)
    if script is None:
        raise UserError(f"no script {args.script!r}")
    if args.language not in script.languages:
        raise UserError(
            f"{args.script} has no language {args.language!r}; it has {', '.join(script.languages)}"
        )
    catalog = export_po(script, args.language)
    if args.output:
        _write(args.output, catalog)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(catalog.decode("utf-8"))
    return 0


async def po_import(args: argparse.Namespace) -> int:
    """Write a PO catalog's translations into the script's draft; an admin publishes it."""
    po = _read(args.file)
    now = dt.datetime.now(dt.UTC)
    async with open_runtime(load_settings(db=args.db), inline=True) as rt:
        draft = await script_store.draft(rt.db, args.script, "cli", now)
        if draft is None:
            raise UserError(f"no script {args.script!r}")
        source = import_po(draft["source"], po, args.file)
        await script_store.save_draft(rt.db, args.script, source, draft["revision"], "cli", now)
    script = load_script(source, f"{args.script} draft")
    findings = validate(script)
    for finding in findings:
        print(finding)
    waiting = unreviewed(script)
    print(
        f"saved as the draft of {args.script} ({len(waiting)} texts await review); "
        "publish it in /admin/scripts"
    )
    return 1 if any(f.level == "error" for f in findings) else 0


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None


def _write(path: str, data: bytes) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None


def register(scripts: argparse._SubParsersAction, command) -> None:
    """Add the `scripts` subcommands to the CLI's parser."""
    command("validate", validate_files, "check scripts", scripts).add_argument("path", nargs="?")
    p = command("corpus", corpus_figures, "the matcher's figures on a labelled corpus", scripts)
    p.add_argument("file", nargs="?", help=f"YAML corpus (default {corpus.DEFAULT_CORPUS})")
    p = command("export-po", po_export, "a language's script texts as a PO file", scripts)
    p.add_argument("language")
    p.add_argument("--script", default="intake")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument("--draft", action="store_true", help="the draft instead of the published")
    p = command("import-po", po_import, "translations from a PO file into the draft", scripts)
    p.add_argument("file")
    p.add_argument("--script", default="intake")
