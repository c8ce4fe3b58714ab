"""`scripts validate` finds what would break a conversation, before it runs."""

import pytest

from conversations.script import ScriptError, load_default_scripts, load_script
from conversations.validate import sender_warnings, validate


@pytest.fixture
def source():
    return (load_default_scripts()["intake"]).source


def errors_of(text: str) -> list[str]:
    return [str(f) for f in validate(load_script(text)) if f.level == "error"]


def test_the_default_script_has_no_errors(intake):
    assert [f for f in validate(intake) if f.level == "error"] == []


def test_unknown_step_reference(source):
    found = errors_of(source.replace("next: consent_partners", "next: consent_partnrs"))
    assert "error: steps.consent_municipality: unknown step 'consent_partnrs'" in found


def test_unreachable_step(source):
    found = errors_of(source + "\n  orphan:\n    say: {nl: a, en: b}\n")
    assert "error: steps.orphan: unreachable from the start step" in found


def test_step_with_no_way_out(source):
    trap = (
        source.replace("opt_out: true\n        next: wrong_person", "next: trap")
        + """
  trap:
    fallback: again
    say: {nl: "Nog eens?", en: "Again?"}
    choices:
      - {id: again, label: {nl: Ja, en: "Yes"}, next: trap}
"""
    )
    assert "error: steps.trap: no way out: no path from here reaches an end" in errors_of(trap)


def test_missing_translation(source):
    found = errors_of(
        source.replace('      en: "First a question. Are you {{ first_name }}?"\n', "")
    )
    assert "error: steps.right_person.say: missing translation: en" in found


def test_template_that_does_not_compile(source):
    found = errors_of(source.replace("Are you {{ first_name }}?", "Are you {{ first_name }?"))
    assert any(f.startswith("error: steps.right_person.say.en: does not compile") for f in found)


def test_unknown_variable(source):
    found = errors_of(source.replace("Are you {{ first_name }}?", "Are you {{ last_name }}?"))
    assert "error: steps.right_person.say.en: unknown variable 'last_name'" in found


def test_revealing_first_line(source):
    found = errors_of(source.replace("Eerst een vraag. Bent u", "Over uw straf. Bent u"))
    assert (
        "error: steps.right_person.nl: the lock screen (first two lines) reveals too much: 'straf'"
        in found
    )


def test_missing_fallback(source):
    found = errors_of(source.replace("    fallback: unsure\n", ""))
    assert any("steps.right_person: a choice step needs a `fallback`" in f for f in found)


def test_unknown_synonym_set(source):
    found = errors_of(
        source.replace(
            'match: ["@yes", "@ack", "dat ben ik"', 'match: ["@yess", "@ack", "dat ben ik"'
        )
    )
    assert "error: steps.right_person.choices.yes: unknown synonym set '@yess'" in found


def test_ucs2_and_long_messages_are_warned(source):
    findings = validate(
        load_script(source.replace("Eerst een vraag.", "Eerst een “vraag” over ruïne."))
    )
    warnings = [str(f) for f in findings if f.level == "warning"]
    assert any(
        w.startswith("warning: steps.right_person.nl: needs UCS-2 because of '“”ï'")
        for w in warnings
    )


def test_not_yaml_is_a_script_error():
    with pytest.raises(ScriptError, match="not valid YAML"):
        load_script("steps: [unclosed", "broken.yaml")


def test_the_second_line_counts_for_the_lock_screen(source):
    found = errors_of(source.replace("Dit bericht is alleen voor u.", "Over uw detentie."))
    assert (
        "error: steps.why.nl: the lock screen (first two lines) reveals too much: 'detentie'"
        in (found)
    )


def test_the_third_line_is_not_on_the_lock_screen(intake):
    """`why` says "zich melden" on its third line: allowed."""
    assert "zich melden" in intake.steps["why"].say.sources["nl"].split("\n")[2]
    assert not [f for f in validate(intake) if f.level == "error"]


def test_lock_screen_words_in_other_languages(source):
    found = errors_of(source.replace("Najpierw pytanie.", "Pytanie o więzienie."))
    assert any("steps.right_person.pl: the lock screen" in f for f in found)


def test_arabic_longer_than_three_segments_is_an_error(source):
    long = "نحن نساعدك. " * 25
    found = errors_of(source.replace('ar: {draft: "أولا سؤال.', f'ar: {{draft: "{long}'))
    assert any(f.startswith("error: steps.right_person.ar:") and "UCS-2" in f for f in found)


def test_sender_name_that_hints_at_justice_is_warned():
    assert sender_warnings("Gemeente Venlo") == []
    assert sender_warnings("Reclassering Limburg")
    assert sender_warnings("Zorg- en Veiligheidshuis")
    assert "'DJI'" in sender_warnings("DJI Roermond")[0]


def test_wake_must_point_at_a_step(source):
    found = errors_of(source.replace("wake: talk_first", "wake: talk_frist"))
    assert "error: steps.waiting: unknown step 'talk_frist'" in found
