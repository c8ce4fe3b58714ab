"""Words for the codes staff pages show: statuses, answers, consent purposes, reasons,
contact kinds and outcomes, plan roles. Codes stay in the database and the CSV; people
read these labels, translated through the catalogs (`_(label(code))` in templates).
"""

from __future__ import annotations

from locales import N_

LABELS: dict[str, str] = {
    # case statuses
    "new": N_("not yet contacted"),
    "contacted": N_("contacted"),
    "responding": N_("in conversation"),
    "completed": N_("intake completed"),
    "refused": N_("does not want help"),
    "wrong_person": N_("wrong person"),
    "closed": N_("closed"),
    # conditions
    "identity": N_("identity document"),
    "housing": N_("housing"),
    "income": N_("income and work"),
    "debts": N_("debts"),
    "care": N_("care and health insurance"),
    "network": N_("social network"),
    "children": N_("children or others they care for"),
    # answers
    "ok": N_("in order"),
    "help": N_("wants help"),
    "unknown": N_("does not know"),
    # consent purposes
    "share_with_municipality": N_("share with the municipality"),
    "share_with_partners": N_("share with partners"),
    # escalation reasons
    "no_response": N_("no response"),
    "asked_for_human": N_("asks for a person"),
    "no_slot_fits": N_("no appointment time fits"),
    "postponement": N_("asks for postponement"),
    "kind_check": N_("cares for children or others and wants help"),
    "opted_out": N_("wants no more messages"),
    "not_understood": N_("the bot did not understand the answers"),
    "report_soon": N_("reports soon"),
    "stalled_intake": N_("stopped halfway through the questions"),
    "someone_else": N_("someone else answered (a relative, for example)"),
    # contact attempts
    "phone": N_("phone"),
    "text": N_("text message"),
    "letter": N_("letter"),
    "home_visit": N_("home visit"),
    "existing_care": N_("via existing care"),
    "social_team": N_("via the social team"),
    "reached": N_("reached"),
    "no_answer": N_("no answer"),
    "voicemail": N_("voicemail"),
    "wrong_number": N_("wrong number"),
    "sent": N_("sent"),
    # the plan
    "person": N_("the person"),
    "municipality": N_("the municipality"),
    "partner": N_("a partner"),
    "open": N_("to do"),
    "done": N_("done"),
    "dropped": N_("dropped"),
    # outcomes
    "plan_made": N_("plan made"),
    "referred": N_("referred"),
    "reached_by_phone": N_("reached by phone"),
    "not_reachable": N_("not reachable"),
    # channels and who wrote
    "sms": N_("SMS"),
    "whatsapp": N_("WhatsApp"),
    "telegram": N_("Telegram"),
    "simulator": N_("simulator"),
    "terminal": N_("terminal"),
    "email": N_("e-mail"),
    "bot": N_("bot"),
    "staff": N_("alert to staff"),
    "note": N_("note"),
    "consent": N_("consent"),
    "attempt": N_("contact attempt"),
    # outbox statuses
    "pending": N_("waiting"),
    "delivered": N_("delivered"),
    "failed": N_("not delivered"),
    "queued": N_("queued"),
    "undelivered": N_("not delivered"),
    "read": N_("read"),
    "sandboxed": N_("kept in the sandbox"),
    "sending": N_("being sent"),
    "held": N_("waiting for the person's answer"),
    "cancelled": N_("not sent: it went another way"),
    # appointment modes
    "video": N_("video"),
    "visit": N_("visit"),
    "kept": N_("kept"),
    "missed": N_("missed"),
    "booked": N_("booked"),
}


def label(code: str | None) -> str:
    """The English label of a code (translate it with `_`); unknown codes as they are."""
    if code is None:
        return "–"
    return LABELS.get(code, code)
