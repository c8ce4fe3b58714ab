"""Global keywords work at every kind of step, in both languages."""

import pytest

from conversations.state import ConsentChanged, Escalated, OptedOut
from conversations.testing import Conversation

# Replies that bring a conversation to a given kind of step.
POSITIONS = {
    "choice": [],  # "Bent u Sam?"
    "consent choice": ["ja"],
    "condition choice": ["ja", "ja", "ja"],
    "free text": ["ja", "ja", "ja", "1", "2"],
    "summary": ["ja", "ja", "ja", *["1"] * 7],
    "booking": ["ja", "ja", "ja", *["1"] * 7, "1"],
    "finished": ["ja", "ja", "ja", *["1"] * 7, "1", "1"],
}


def at(intake, position, language=None):
    chat = Conversation(intake, language=language)
    for text in POSITIONS[position]:
        chat.send(text)
    return chat


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("word", ["STOP", "stop aub", "Stop!", "STOPPEN"])
def test_stop(intake, position, word):
    chat = at(intake, position)
    said = chat.send(word)
    assert said == [
        "Gemeente Venlo: U krijgt geen berichten meer van ons. "
        "Wilt u toch weer berichten? Stuur dan START."
    ]
    assert chat.state.opted_out and OptedOut() in chat.effects
    assert chat.send("1") == []


@pytest.mark.parametrize("position", POSITIONS)
def test_start_after_stop_resumes_where_you_were(intake, position):
    chat = at(intake, position)
    step = chat.state.step
    chat.send("stop")
    said = chat.send("start")
    assert said[0].startswith("Gemeente Venlo: Welkom terug.")
    assert chat.state.step == step and not chat.state.opted_out


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("word", ["info", "?", "Info?"])
def test_help(intake, position, word):
    chat = at(intake, position)
    step = chat.state.step
    said = chat.send(word)
    assert said[0].startswith("Gemeente Venlo: Dit is het team Voorzorg van Gemeente Venlo.")
    assert "Stuur MENS of bel 077 359 6666" in said[0]
    assert chat.state.step == step


@pytest.mark.parametrize(
    "position", ["choice", "consent choice", "free text", "summary", "finished"]
)
@pytest.mark.parametrize("word", ["HULP", "hulp!", "HELP", "hlep"])
def test_hulp_is_help_where_it_is_not_an_answer(intake, position, word):
    chat = at(intake, position)
    assert chat.send(word)[0].startswith("Gemeente Venlo: Dit is het team Voorzorg")


@pytest.mark.parametrize("word", ["hulp", "HELP"])
def test_hulp_at_a_condition_question_means_i_want_help(intake, word):
    """Where "I want help" is an answer, the answer wins; `info` still gives the help text."""
    chat = at(intake, "condition choice")
    chat.send(word)
    assert chat.state.answers["identity"]["status"] == "help"


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("word", ["MENS", "mens aub", "medewerker"])
def test_human(intake, position, word):
    chat = at(intake, position)
    step = chat.state.step
    said = chat.send(word)
    assert said[0].startswith("Goed. Een medewerker van Gemeente Venlo neemt contact met u op.")
    assert chat.effects[-1] == Escalated("asked_for_human")
    assert chat.state.step == step


@pytest.mark.parametrize("position", POSITIONS)
def test_human_in_english(intake, position):
    chat = at(intake, position, language="en")
    said = chat.send("HUMAN")
    assert said[0].startswith("OK. Someone from Gemeente Venlo will contact you.")


@pytest.mark.parametrize("position", POSITIONS)
def test_language(intake, position):
    chat = at(intake, position)
    step = chat.state.step
    assert chat.send("TAAL")[0].startswith("Welke taal wilt u?")
    said = chat.send("2")
    assert said[0] == "From now on we write to you in English."
    assert chat.state.language == "en" and chat.state.step == step
    assert chat.send("LANGUAGE")[0].startswith("Which language do you want?")


@pytest.mark.parametrize("position", POSITIONS)
def test_language_picker_accepts_a_keyword_instead(intake, position):
    chat = at(intake, position)
    chat.send("taal")
    chat.send("stop")
    assert chat.state.opted_out and not chat.state.picking_language


@pytest.mark.parametrize("position", POSITIONS)
def test_invite_code(intake, position):
    chat = at(intake, position)
    step = chat.state.step
    said = chat.send("K7P2QD")
    if step is None:
        assert said == ["Fijn dat u er bent. Dit was onze vraag:"]
    else:
        assert said[0] == "Fijn dat u er bent. Dit was onze vraag:" and len(said) == 2
    assert chat.state.step == step


@pytest.mark.parametrize("position", ["choice", "consent choice"])
def test_withdraw_before_consent(intake, position):
    chat = at(intake, position)
    assert (
        chat.send("intrekken")[0]
        == "U heeft ons nog geen toestemming gegeven. Wij delen dus niets."
    )


@pytest.mark.parametrize(
    "position", ["condition choice", "free text", "summary", "booking", "finished"]
)
def test_withdraw_after_consent(intake, position):
    chat = at(intake, position)
    said = chat.send("INTREKKEN")
    assert said[0] == "U heeft uw toestemming ingetrokken. Wij delen vanaf nu niets meer."
    assert ConsentChanged("share_with_municipality", False) in chat.effects
    assert chat.state.step == "refused"


def test_withdraw_in_english(intake):
    chat = at(intake, "condition choice", language="en")
    assert (
        chat.send("withdraw")[0]
        == "You have withdrawn your permission. From now on we share nothing."
    )
