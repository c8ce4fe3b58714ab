"""The variables a script text can use, as the engine fills them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conversations import booking
from conversations.script import CONDITIONS, Script, Text
from conversations.state import Facts, Offer, State

VARIABLES = frozenset(
    {
        "first_name",
        "report_date",
        "days_left",
        "invite_code",
        "organisation",
        "organisation_phone",
        "organisation_address",
        "organisation_website",
        "sender",
        "prison",
        "language",
        "answers",
        "appointment",
        "offer",
        "meaning",
    }
)


def template_variables(
    script: Script, facts: Facts, now: dt.datetime, state: State
) -> dict[str, Any]:
    """The names a script text can use; VARIABLES lists them for the validator."""
    today = facts.calendar.local(now).date()
    return {
        "first_name": facts.first_name,
        "report_date": facts.report_date,
        "days_left": (facts.report_date - today).days,
        "invite_code": facts.invite_code,
        "organisation": facts.organisation,
        "organisation_phone": facts.organisation_phone,
        "organisation_address": facts.organisation_address,
        "organisation_website": facts.organisation_website,
        "sender": facts.sender,
        "prison": facts.prison,
        "language": state.language,
        "timezone": facts.calendar.tz,
        "answers": _summary(script, state),
        "appointment": _appointment(script, facts, state, now),
    }


def _appointment(
    script: Script, facts: Facts, state: State, now: dt.datetime
) -> dict[str, Any] | None:
    if not state.appointment:
        return None
    return booking.offer_vars(
        script, state.language, Offer.from_dict(state.appointment), now, facts.calendar
    )


def _summary(script: Script, state: State) -> list[dict[str, Any]]:
    lang, default = state.language, script.default_language

    def label(text: Text | None, fallback: str) -> str:
        return text.template(lang, default).render() if text else fallback

    rows = []
    for condition in CONDITIONS:
        answer = state.answers.get(condition)
        if answer:
            status = str(answer["status"])
            rows.append(
                {
                    "condition": condition,
                    "label": label(script.condition_labels.get(condition), condition),
                    "status": status,
                    "status_label": label(script.status_labels.get(status), status),
                    "note": answer.get("note") or "",
                }
            )
    return rows
