"""WhatsApp's 24-hour window: free text within 24 hours of the person's last WhatsApp
message; after that an approved template (Twilio Content API), or SMS instead.

Within one turn only the first message carries a purpose (reminder_1, nudge, ...). With
the window closed, that message goes as its template and the rest of the turn is held
until the person answers; when the person answers, the held messages go out as free text
(see `delivery.answer_to_template`). Where no template is set, the messages go by SMS.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field

from bot.runtime import Runtime
from conversations.state import Facts
from conversations.templates import load_templates
from storage import inbound, organisations, outbox
from storage.cases import get_case

WINDOW = dt.timedelta(hours=24)
TEMPLATES = load_templates()


@dataclass(frozen=True)
class Template:
    """An approved template to send instead of free text."""

    content_sid: str
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """How a message goes: as written, as a template, held for the reply, or by SMS."""

    template: Template | None = None
    hold: bool = False
    reroute: bool = False
    why: str = ""


AS_WRITTEN = Plan()


def variables_for(purpose: str | None, facts: Facts) -> dict[str, str] | None:
    """The template variables of a purpose, filled from the case's facts (None: no template)."""
    template = TEMPLATES.get(purpose or "")
    return template.fill(facts) if template is not None else None


async def plan(rt: Runtime, row: sqlite3.Row, now: dt.datetime) -> Plan:
    """How this outbox message may go now."""
    if row["channel"] != "whatsapp" or row["audience"] != "person" or row["case_id"] is None:
        return AS_WRITTEN
    case_id = row["case_id"]
    since = await inbound.last_received(rt.db, case_id, "whatsapp")
    if since is not None and now - since < WINDOW:
        return AS_WRITTEN  # inside WhatsApp's 24 hours: free text may go
    template = await _template(rt, row)
    if template is not None:
        return Plan(template=template)
    if await outbox.template_outstanding(rt.db, case_id, since):
        return Plan(hold=True, why="waiting for the reply to the WhatsApp template")
    reason = "WhatsApp's 24 hours have passed"
    if row["purpose"]:
        reason += f" and no template is set for {row['purpose']}"
    return Plan(reroute=True, why=reason)


async def _template(rt: Runtime, row: sqlite3.Row) -> Template | None:
    """The organisation's approved template for this message's purpose and language."""
    if not row["purpose"] or not row["template_variables"]:
        return None
    case = await get_case(rt.db, rt.vault, case_id=row["case_id"])
    if case is None:
        return None
    sid = await organisations.whatsapp_template(
        rt.db, case.organisation_id, row["purpose"], case.language
    )
    if sid is None:
        return None
    sealed = rt.vault.open(row["template_variables"], "outbox.template_variables")
    variables = json.loads(sealed or "{}")
    return Template(sid, variables)
