"""Translations people can review: drafts are marked, and texts round-trip through PO."""

import io

import pytest
from babel.messages.pofile import read_po, write_po

from conversations.script import ScriptError, load_script
from conversations.translations import export_po, import_po, locations, unreviewed
from conversations.validate import validate


def test_machine_translations_are_drafts_and_originals_are_reviewed(intake):
    welcome = intake.steps["welcome"].say
    assert {"pl", "tr", "ar"} <= welcome.drafts
    assert "nl" not in welcome.drafts and "en" not in welcome.drafts
    assert ("steps.welcome.say", "pl") in unreviewed(intake, "pl")
    assert unreviewed(intake, "en") == []


def test_export_marks_drafts_fuzzy_and_keys_by_location(intake):
    catalog = read_po(io.BytesIO(export_po(intake, "pl")))
    assert str(catalog.locale) == "pl"
    message = catalog.get("Eerst een vraag. Bent u {{ first_name }}?", "steps.right_person.say")
    assert message.string == "Najpierw pytanie. Czy jest Pan/Pani {{ first_name }}?"
    assert message.fuzzy
    contexts = {m.context for m in catalog if m.id}
    assert contexts == {where for where, _ in locations(intake)}


def test_round_trip_changes_nothing(intake):
    for language in intake.languages:
        assert import_po(intake.source, export_po(intake, language)) == intake.source


def test_a_reviewed_translation_comes_back_reviewed(intake):
    catalog = read_po(io.BytesIO(export_po(intake, "pl")))
    message = catalog.get("Eerst een vraag. Bent u {{ first_name }}?", "steps.right_person.say")
    message.string = "Najpierw pytanie: czy rozmawiam z {{ first_name }}?"
    message.flags.discard("fuzzy")
    label = catalog.get("Nee", "steps.consent_municipality.choices.no.label")
    label.string = "Nie, dziękuję"
    out = io.BytesIO()
    write_po(out, catalog)
    updated = load_script(import_po(intake.source, out.getvalue()))
    say = updated.steps["right_person"].say
    assert say.sources["pl"] == "Najpierw pytanie: czy rozmawiam z {{ first_name }}?"
    assert "pl" not in say.drafts
    no = updated.steps["consent_municipality"].choice("no").label
    assert no.sources["pl"] == "Nie, dziękuję" and "pl" in no.drafts
    assert updated.steps["welcome"].say.sources == intake.steps["welcome"].say.sources
    assert "# The default intake" in import_po(intake.source, out.getvalue())  # comments stay


def test_a_broken_translation_is_imported_for_the_validator_to_report(intake):
    catalog = read_po(io.BytesIO(export_po(intake, "tr")))
    message = catalog.get("Eerst een vraag. Bent u {{ first_name }}?", "steps.right_person.say")
    message.string = "{{ first_name"
    out = io.BytesIO()
    write_po(out, catalog)
    updated = load_script(import_po(intake.source, out.getvalue()))
    found = [str(f) for f in validate(updated) if f.level == "error"]
    assert any(f.startswith("error: steps.right_person.say.tr: does not compile") for f in found)


def test_import_needs_a_language(intake):
    with pytest.raises(ScriptError, match="names no language"):
        import_po(intake.source, b'msgid ""\nmsgstr ""\n')
