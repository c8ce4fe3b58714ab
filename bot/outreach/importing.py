"""Reading the files that come in: self-reporter CSV and organisations YAML.

Parsing collects every problem with its line, so a file is fixed in one go; nothing is
written unless the whole file is valid (or the caller chose to skip invalid rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import phonenumbers
import yaml

from bot.errors import FileError
from conversations.script import parse_yaml
from conversations.templates import PURPOSES
from storage.cases import CaseInput
from storage.organisations import Contact, Organisation, Slot, municipality_key

MAX_FILE_BYTES = 50 * 1024 * 1024
REQUIRED_COLUMNS = ("reference", "first_name", "municipality", "report_date")
OPTIONAL_COLUMNS = ("phone", "prison", "language")
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # no "/": it is in page paths
ORG_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("monday", "maandag"),
            ("tuesday", "dinsdag"),
            ("wednesday", "woensdag"),
            ("thursday", "donderdag"),
            ("friday", "vrijdag"),
            ("saturday", "zaterdag"),
            ("sunday", "zondag"),
        ]
    )
    for name in names
}
MODES = ("phone", "video", "visit")
KINDS = ("municipality", "safety_house")


T = TypeVar("T")


@dataclass
class Parsed(Generic[T]):
    items: list[tuple[int, T]] = field(default_factory=list)  # (line, item)
    errors: list[str] = field(default_factory=list)


def decode(data: bytes, what: str) -> str:
    if not data.strip():
        raise FileError(f"{what} is empty")
    if len(data) > MAX_FILE_BYTES:
        raise FileError(
            f"{what} is {len(data) / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES // 10**6} MB"
        )
    if b"\x00" in data[:4096]:
        raise FileError(f"{what} is not text (it contains NUL bytes): expected UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileError(
            f"{what} is not UTF-8: invalid byte 0x{data[exc.start]:02x} on line {line}"
        ) from None


T_ = phonenumbers.PhoneNumberType
# Numbers that cannot get a text message, with a word for the import's warning line.
NOT_TEXTABLE = {
    T_.FIXED_LINE: "landline",
    T_.PREMIUM_RATE: "premium-rate",
    T_.TOLL_FREE: "toll-free",
    T_.SHARED_COST: "shared-cost",
    T_.VOIP: "VoIP",
    T_.UAN: "company number",
    T_.PAGER: "pager",
    T_.VOICEMAIL: "voicemail",
}


def _parse_phone(raw: str) -> tuple[phonenumbers.PhoneNumber, int]:
    """The number and its type (one look-up: a type other than UNKNOWN means valid)."""
    try:
        number = phonenumbers.parse(raw, "NL")
    except phonenumbers.NumberParseException:
        raise ValueError(f"phone {raw!r} is not a phone number") from None
    kind = phonenumbers.number_type(number)
    if kind == T_.UNKNOWN:
        raise ValueError(f"phone {raw!r} is not a valid phone number")
    return number, kind


def normalise_phone(raw: str) -> str:
    """E.164 for a Dutch or international number; ValueError with the reason otherwise."""
    return checked_phone(raw)[0]


def checked_phone(raw: str) -> tuple[str, str | None]:
    """E.164 and why the number cannot get texts (landline, premium-rate, toll-free,
    shared-cost, VoIP: in the Netherlands 085/088, 0800, 0900/0906/0909), None for a
    mobile, from one parse; ValueError with the reason when it is not a valid number."""
    number, kind = _parse_phone(raw)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, NOT_TEXTABLE.get(kind)


PROGRESS_EVERY = 2000  # lines between two reports to `progress`


def parse_cases(
    data: bytes,
    served: dict[str, str],
    languages: tuple[str, ...],
    today: dt.date,
    progress: Callable[[str, int, int], None] | None = None,
) -> Parsed[tuple[CaseInput, str]]:
    """Rows of a self-reporter CSV, each with the id of the organisation serving it.

    `progress` is told ("checking", line, lines in the file) as the rows are read.
    """
    text = decode(data, "the CSV file")
    lines = text.count("\n") + (not text.endswith("\n"))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise FileError(f"the CSV file has no readable header row: {exc}") from None
    _check_header(header)
    out: Parsed[tuple[CaseInput, str]] = Parsed()
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                out.errors.append(f"line {line}: {len(cells)} fields, the header has {len(header)}")
                continue
            row = {k: v.strip() for k, v in zip(header, cells, strict=True)}
            reference = row["reference"][:64]
            if (first := seen.setdefault(reference, line)) != line:
                out.errors.append(f"line {line}: reference {reference} also on line {first}")
                continue
            try:
                out.items.append((line, _case_row(row, served, languages, today)))
            except ValueError as exc:
                out.errors.append(f"line {line}: {exc}")
            if progress is not None and line % PROGRESS_EVERY == 0:
                progress("checking", line, lines)
    except csv.Error as exc:
        out.errors.append(f"line {reader.line_num}: {exc}")
    if progress is not None:
        progress("checking", lines, lines)
    if not out.items and not out.errors:
        raise FileError("the CSV file has a header but no rows")
    return out


def _check_header(header: list[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    doubled = sorted({c for c in header if header.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(repr(c[:40]) for c in unknown[:5])}")
    if doubled:
        problems.append(f"column(s) named twice: {', '.join(doubled)}")
    if problems:
        expected = ",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        raise FileError(f"wrong header: {'; '.join(problems)} (expected {expected})")


def _case_row(
    row: dict[str, str], served: dict[str, str], languages: tuple[str, ...], today: dt.date
) -> tuple[CaseInput, str]:
    for column in REQUIRED_COLUMNS:
        if not row.get(column):
            raise ValueError(f"{column} is empty")
    reference = row["reference"]
    if not REFERENCE.match(reference):
        raise ValueError(f"reference {reference[:40]!r} may hold only letters, digits and . _ -")
    first_name = row["first_name"]
    if len(first_name) > 100:
        raise ValueError("first_name is longer than 100 characters")
    try:
        report_date = dt.date.fromisoformat(row["report_date"])
    except ValueError:
        raise ValueError(
            f"report_date {row['report_date'][:40]!r} is not a date like 2027-01-14"
        ) from None
    if report_date < today:
        raise ValueError(f"report_date {report_date} is in the past")
    organisation = served.get(municipality_key(row["municipality"]))
    if organisation is None:
        raise ValueError(
            f"municipality {row['municipality'][:60]!r} is not served by any organisation "
            "(load it with `voorzorg org load` first)"
        )
    language = (row.get("language") or languages[0]).lower()
    if language not in languages:
        raise ValueError(
            f"language {language[:10]!r} is not offered; choose one of {', '.join(languages)}"
        )
    phone, kind = checked_phone(row["phone"]) if row.get("phone") else (None, None)
    prison = row.get("prison") or None
    data = CaseInput(  # values many rows share are kept once (a cohort is held in memory)
        reference=reference,
        first_name=first_name,
        municipality=sys.intern(row["municipality"]),
        report_date=report_date,
        phone=phone,
        prison=sys.intern(prison) if prison else None,
        language=sys.intern(language),
        phone_type=kind,
    )
    return data, organisation


def parse_organisations(data: bytes, already_served: dict[str, str]) -> Parsed[Organisation]:
    """Organisations from YAML; `already_served` maps municipalities to orgs in the database."""
    text = decode(data, "the YAML file")
    try:
        raw = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise FileError(f"the YAML file does not parse: {exc}".replace("\n", " ")) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("organisations"), list):
        raise FileError("the YAML file needs a top-level list `organisations:`")
    out: Parsed[Organisation] = Parsed()
    owner: dict[str, str] = {}
    for n, entry in enumerate(raw["organisations"], 1):
        where = f"organisations[{n}]"
        try:
            org = _organisation(entry)
        except (ValueError, TypeError, KeyError) as exc:
            out.errors.append(f"{where}: {exc}")
            continue
        for m in org.municipalities:
            key = municipality_key(m)
            other = owner.get(key) or already_served.get(key)
            if other and other != org.id:
                out.errors.append(
                    f"{where} ({org.id}): municipality {m!r} is already served by {other}"
                )
            owner[key] = org.id
        if any(org.id == o.id for _, o in out.items):
            out.errors.append(f"{where}: id {org.id!r} appears twice")
        out.items.append((n, org))
    return out


def _organisation(raw: Any) -> Organisation:
    if not isinstance(raw, dict):
        raise ValueError("an organisation is a mapping with id, name, kind, municipalities")
    org_id = str(raw.get("id", ""))
    if not ORG_ID.match(org_id):
        raise ValueError(f"id {org_id!r} must be lower-case letters, digits, - or _")
    if not raw.get("name"):
        raise ValueError(f"{org_id}: name is missing")
    if raw.get("kind") not in KINDS:
        raise ValueError(f"{org_id}: kind must be one of {', '.join(KINDS)}")
    municipalities = raw.get("municipalities") or []
    if not isinstance(municipalities, list) or not municipalities:
        raise ValueError(f"{org_id}: municipalities must be a non-empty list")
    return Organisation(
        id=org_id,
        name=str(raw["name"]),
        kind=raw["kind"],
        province=str(raw["province"]) if raw.get("province") else None,
        phone=str(raw["phone"]) if raw.get("phone") else None,
        municipalities=tuple(str(m).strip() for m in municipalities),
        contacts=tuple(_contact(org_id, c) for c in raw.get("contacts") or []),
        slots=tuple(_slot(org_id, s) for s in raw.get("slots") or []),
        timeline=_timeline(org_id, raw.get("timeline") or {}),
        sender_name=_short(org_id, "sender_name", raw.get("sender_name"), 40),
        address=_short(org_id, "address", raw.get("address"), 200),
        closing_days=_closing_days(org_id, raw.get("closing_days") or []),
        website=_short(org_id, "website", raw.get("website"), 200),
        letter=_letter(org_id, raw.get("letter") or {}),
        whatsapp_templates=_whatsapp_templates(org_id, raw.get("whatsapp_templates") or {}),
    )


LETTER_KEYS = ("intro", "closing", "signature")


def _letter(org_id: str, raw: Any) -> str:
    """The letter's own wording per language: {nl: {intro, closing, signature}, en: ...}."""
    if not isinstance(raw, dict):
        raise ValueError(f"{org_id}: letter must map languages to intro, closing, signature")
    wording = {}
    for language, texts in raw.items():
        if not isinstance(texts, dict) or set(texts) - set(LETTER_KEYS):
            raise ValueError(f"{org_id}: letter.{language} may hold {', '.join(LETTER_KEYS)}")
        wording[str(language)] = {
            k: _short(org_id, f"letter.{language}.{k}", v, 1000) for k, v in texts.items()
        }
    return json.dumps(wording, ensure_ascii=False, sort_keys=True)


def _closing_days(org_id: str, raw: Any) -> tuple[dt.date, ...]:
    """Dates the organisation is closed (YAML dates or YYYY-MM-DD text)."""
    if not isinstance(raw, list):
        raise ValueError(f"{org_id}: closing_days must be a list of dates like 2026-12-24")
    days = []
    for value in raw:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
            raise ValueError(f"{org_id}: closing_days: {value!r} is not a date like 2026-12-24")
        try:
            days.append(value if isinstance(value, dt.date) else dt.date.fromisoformat(value))
        except ValueError:
            raise ValueError(f"{org_id}: closing_days: {value!r} is not a date") from None
    return tuple(sorted(set(days)))


CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")


def _whatsapp_templates(org_id: str, raw: Any) -> str:
    """{purpose: {language: Content SID}}: the organisation's approved WhatsApp templates."""
    if not isinstance(raw, dict):
        raise ValueError(f"{org_id}: whatsapp_templates must map purposes to languages")
    for purpose, per_language in raw.items():
        if purpose not in PURPOSES:
            raise ValueError(
                f"{org_id}: whatsapp_templates.{purpose} is unknown; known: {', '.join(PURPOSES)}"
            )
        if not isinstance(per_language, dict) or not per_language:
            raise ValueError(f"{org_id}: whatsapp_templates.{purpose} must map languages to SIDs")
        for language, sid in per_language.items():
            if not isinstance(sid, str) or not CONTENT_SID.match(sid):
                raise ValueError(
                    f"{org_id}: whatsapp_templates.{purpose}.{language} must be a Content SID "
                    "(HX and 32 hexadecimal digits)"
                )
    return json.dumps(raw, sort_keys=True)


def _short(org_id: str, key: str, value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValueError(f"{org_id}: {key} must be text of at most {limit} characters")
    return value.strip()


TIMELINE_KEYS = {
    "reminder_days": "a list of working days after the first message, like [2, 4]",
    "escalate_after_days": "working days without a reply before escalating",
    "escalate_before_report_days": "escalate no later than this many working days before",
    "retention_days": "days after the report date until personal data is erased",
}


def _timeline(org_id: str, raw: Any) -> str:
    """Per-organisation timeline settings, checked here so a typo fails the load."""
    if not isinstance(raw, dict):
        raise ValueError(f"{org_id}: timeline must be a mapping")
    for key, value in raw.items():
        if key not in TIMELINE_KEYS:
            raise ValueError(
                f"{org_id}: timeline.{key} is unknown; known: {', '.join(TIMELINE_KEYS)}"
            )
        numbers = value if key == "reminder_days" else [value]
        if not isinstance(numbers, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 365 for n in numbers
        ):
            raise ValueError(f"{org_id}: timeline.{key} must be {TIMELINE_KEYS[key]}")
    return json.dumps(raw, sort_keys=True)


def _contact(org_id: str, raw: Any) -> Contact:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise ValueError(f"{org_id}: every contact needs a name")
    email = str(raw.get("email", ""))
    if not EMAIL.match(email):
        raise ValueError(f"{org_id}: contact e-mail {email!r} is not an e-mail address")
    chat = raw.get("telegram_chat_id")
    if chat is not None and not isinstance(chat, int):
        raise ValueError(f"{org_id}: telegram_chat_id of {email} must be a number")
    phone = normalise_phone(str(raw["phone"])) if raw.get("phone") else None
    return Contact(str(raw["name"]), email.lower(), phone, chat, bool(raw.get("backup", False)))


def _slot(org_id: str, raw: Any) -> Slot:
    if not isinstance(raw, dict):
        raise ValueError(f"{org_id}: a slot is a mapping with weekday, from, to, minutes, mode")
    weekday = WEEKDAYS.get(str(raw.get("weekday", "")).lower())
    if weekday is None:
        raise ValueError(f"{org_id}: slot weekday {raw.get('weekday')!r} is not a day of the week")
    start, end = str(raw.get("from", "")), str(raw.get("to", ""))
    if not (TIME.match(start) and TIME.match(end)) or start >= end:
        raise ValueError(f"{org_id}: slot times must be HH:MM with from before to ({start}-{end})")
    minutes = raw.get("minutes")
    if not isinstance(minutes, int) or minutes <= 0:
        raise ValueError(f"{org_id}: slot minutes must be a positive number")
    if raw.get("mode") not in MODES:
        raise ValueError(f"{org_id}: slot mode must be one of {', '.join(MODES)}")
    if raw["mode"] == "visit" and not raw.get("place"):
        raise ValueError(f"{org_id}: a visit slot needs a place")
    capacity = raw.get("capacity", 1)
    if not isinstance(capacity, int) or capacity <= 0:
        raise ValueError(f"{org_id}: slot capacity must be a positive number")
    place = str(raw["place"]) if raw.get("place") else None
    return Slot(weekday, start, end, minutes, raw["mode"], place, capacity)
