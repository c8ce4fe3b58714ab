"""WhatsApp templates: the approved texts sent when WhatsApp's 24-hour window is closed.

Pure: loading, checking and filling; the sender decides when one is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from conversations.state import Facts

TEMPLATES_FILE = Path(__file__).parent / "whatsapp_templates.yaml"
MAX_LENGTH = 1024  # WhatsApp's limit for a template body
PURPOSES = (
    "first_contact",
    "reminder_1",
    "reminder_2",
    "nudge",
    "appointment_reminder",
    "staff_reply",
)
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
FACTS = tuple(f.name for f in fields(Facts) if f.name != "offers")
LONGEST_VALUE = 60  # a long organisation name or first name, for the length check


@dataclass(frozen=True)
class Template:
    """One purpose's approved text per language, and the facts that fill {{1}}, {{2}}..."""

    purpose: str
    variables: tuple[str, ...]
    texts: dict[str, str]

    def fill(self, facts: Facts) -> dict[str, str]:
        """Twilio's `content_variables`: {"1": ..., "2": ...}, from the case's facts."""
        return {str(n): str(getattr(facts, name)) for n, name in enumerate(self.variables, 1)}


def load_templates(path: Path = TEMPLATES_FILE) -> dict[str, Template]:
    """The templates by purpose; malformed entries are kept for `check_templates` to name."""
    raw = yaml.safe_load(path.read_text("utf-8")) or {}
    return parse_templates(raw)


def parse_templates(raw: Any) -> dict[str, Template]:
    purposes = raw.get("purposes") if isinstance(raw, dict) else None
    if not isinstance(purposes, dict):
        return {}
    found = {}
    for purpose, body in purposes.items():
        body = body if isinstance(body, dict) else {}
        variables = body.get("variables") or []
        texts = {k: v for k, v in body.items() if k != "variables"}
        found[str(purpose)] = Template(
            str(purpose),
            tuple(str(v) for v in variables) if isinstance(variables, list) else (),
            {str(k): v if isinstance(v, str) else "" for k, v in texts.items()},
        )
    return found


def check_templates(templates: dict[str, Template], languages: tuple[str, ...]) -> list[str]:
    """Problems, one line each: unknown purposes and facts, a missing text in the first
    (default) language, placeholders that do not run 1..n over the variables, texts too
    long for WhatsApp. Other languages may lack a template: those people get SMS after
    24 hours (see `missing_languages`)."""
    problems = []
    for purpose, template in templates.items():
        where = f"whatsapp_templates.{purpose}"
        if purpose not in PURPOSES:
            problems.append(f"{where}: unknown purpose (one of {', '.join(PURPOSES)})")
        unknown = [v for v in template.variables if v not in FACTS]
        if unknown:
            problems.append(f"{where}: unknown variable(s) {', '.join(unknown)}")
        if not template.variables:
            problems.append(f"{where}: no variables listed")
        for language in languages:
            text = template.texts.get(language)
            if not text:
                if language == languages[0]:
                    problems.append(f"{where}.{language}: missing")
                continue
            problems += _check_text(f"{where}.{language}", text, len(template.variables))
        for language in template.texts.keys() - set(languages):
            problems.append(f"{where}.{language}: the script offers no such language")
    return problems


def _check_text(where: str, text: str, variables: int) -> list[str]:
    numbers = sorted({int(n) for n in PLACEHOLDER.findall(text)})
    problems = []
    if numbers != list(range(1, variables + 1)):
        expected = ", ".join(f"{{{{{n}}}}}" for n in range(1, variables + 1)) or "none"
        problems.append(f"{where}: placeholders must be {expected}, each used")
    longest = PLACEHOLDER.sub("x" * LONGEST_VALUE, text)
    if len(longest) > MAX_LENGTH:
        problems.append(
            f"{where}: {len(longest)} characters with long values; WhatsApp allows {MAX_LENGTH}"
        )
    return problems


def missing_languages(templates: dict[str, Template], languages: tuple[str, ...]) -> list[str]:
    """Purposes without a template text in a language the scripts offer (a warning: after
    24 hours those people get the message by SMS)."""
    return [
        f"whatsapp_templates.{purpose}.{language}: no template text; after WhatsApp's 24 "
        "hours these messages go by SMS"
        for purpose, template in templates.items()
        for language in languages
        if language != languages[0] and not template.texts.get(language)
    ]
