"""Fixed texts for self-reporters exist in every language the intake offers."""

import pytest

from locales import LANGUAGES, gettext

PERSON_FACING = (
    "Please send your answer as text. We cannot read photos, stickers or voice messages.",
    "Voorzorg: too many tries. Please call the number on your letter.",
    "Voorzorg: we do not know this code. Please check the letter and try again.",
    "Voorzorg: we do not know this number yet. Please send the code from your letter.",
    "You changed a message. Please send your answer as a new message.",
)


def test_the_catalogs_cover_the_intake_languages(intake):
    assert set(intake.languages) <= set(LANGUAGES)


@pytest.mark.parametrize("language", ["nl", "pl", "tr", "ar"])
@pytest.mark.parametrize("message", PERSON_FACING)
def test_person_facing_texts_are_translated(language, message):
    translated = gettext(language, message)
    assert translated and translated != message
    if message.startswith("Voorzorg:"):
        assert translated.startswith("Voorzorg:")  # the sender's name first
