"""WhatsApp templates are checked like scripts: purposes, facts, languages, placeholders
numbered 1..n and each used, and WhatsApp's length limit."""

import datetime as dt

from conversations.state import Facts
from conversations.templates import (
    check_templates,
    load_templates,
    missing_languages,
    parse_templates,
)


def test_the_shipped_templates_pass():
    assert check_templates(load_templates(), ("nl", "en")) == []


def test_every_kind_of_mistake_is_named():
    templates = parse_templates(
        {
            "purposes": {
                "reminder_1": {"variables": ["sender", "shoe_size"], "en": "{{1}} {{3}}"},
                "birthday": {"variables": ["sender"], "nl": "{{1}}", "en": "{{1}}"},
                "nudge": {"variables": ["sender"], "nl": "{{1}}" + "x" * 1100, "en": "{{1}}"},
            }
        }
    )
    assert check_templates(templates, ("nl", "en")) == [
        "whatsapp_templates.reminder_1: unknown variable(s) shoe_size",
        "whatsapp_templates.reminder_1.nl: missing",
        "whatsapp_templates.reminder_1.en: placeholders must be {{1}}, {{2}}, each used",
        "whatsapp_templates.birthday: unknown purpose (one of first_contact, reminder_1, "
        "reminder_2, nudge, appointment_reminder, staff_reply)",
        "whatsapp_templates.nudge.nl: 1160 characters with long values; WhatsApp allows 1024",
    ]


def test_variables_are_filled_in_order_from_the_facts():
    facts = Facts("Sam", dt.date(2027, 1, 14), "K7P2QD", "Gemeente Venlo", "Venlo")
    assert load_templates()["reminder_1"].fill(facts) == {"1": "Venlo", "2": "Sam"}


def test_a_language_without_a_template_is_a_warning():
    templates = parse_templates({"purposes": {"nudge": {"variables": ["sender"], "nl": "{{1}}"}}})
    assert check_templates(templates, ("nl", "tr")) == []
    assert missing_languages(templates, ("nl", "tr")) == [
        "whatsapp_templates.nudge.tr: no template text; after WhatsApp's 24 hours these "
        "messages go by SMS"
    ]
