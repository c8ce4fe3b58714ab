"""The default intake as people would go through it, in Dutch and English."""

from conversations.state import AnswerRecorded, ConsentChanged, Escalated, OptedOut, StatusChanged
from conversations.testing import Conversation, play


def test_whole_intake_in_dutch(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        < Gemeente Venlo: Hallo Sam.
        < Bent u Sam?
        > JA!
        < Dank u, Sam.
        < Op donderdag 14 januari moet u zich melden. Dat is over 31 dagen.
        < Uw antwoorden gaan naar Gemeente Venlo
        < Mogen wij uw antwoorden delen met Gemeente Venlo?
        < 1 Ja, dat mag
        > jaa
        < Mogen ook andere hulpverleners uw antwoorden zien?
        > nee
        < Vraag 1 van 7: uw ID.
        > 1
        < Vraag 2 van 7: wonen.
        > 2
        < Wilt u er iets over vertellen?
        > De huur loopt door en ik weet niet hoe
        < Vraag 3 van 7
        > weet ik niet
        < Vraag 4 van 7
        > 👍
        < Vraag 5 van 7
        > ok
        < Vraag 6 van 7
        > ja
        < Vraag 7 van 7
        > 1
        < Dit geven wij door aan Gemeente Venlo:
        < - Identiteitsbewijs: in orde
        < - Wonen: hulp gewenst
        < - Inkomen en werk: weet ik niet
        < - Kinderen en mantelzorg: in orde
        < Klopt dit?
        > klopt
        < Dank u wel, Sam. Wij sturen dit naar Gemeente Venlo.
        < Maak een afspraak met Gemeente Venlo. Kies een tijd:
        < 1 dinsdag 22 december om 10:00, telefonisch
        < 3 donderdag 24 december om 13:00, op bezoek (Stadskantoor Venlo)
        < 4 Andere tijden
        < 5 Geen tijd past
        > 3
        < Uw afspraak staat: donderdag 24 december om 13:00, op bezoek (Stadskantoor Venlo).
        < Kunt u niet? Stuur VERZET of AFZEGGEN.
    """,
    )
    assert chat.state.step is None
    assert chat.state.consent == {"share_with_municipality": True, "share_with_partners": False}
    assert chat.state.answers["housing"] == {
        "status": "help",
        "note": "De huur loopt door en ik weet niet hoe",
    }
    assert StatusChanged("completed") in chat.effects


def test_whole_intake_in_english(intake):
    chat = Conversation(intake, language="en")
    play(
        chat,
        """
        < Gemeente Venlo: Hello Sam.
        < Are you Sam?
        > yes
        < On Thursday 14 January you have to report.
        < May we share your answers with Gemeente Venlo?
        > yes
        > not sure
        < Question 1 of 7
        > yes
        > no
        < Do you want to tell us more?
        > 0
        < Question 3 of 7
        > 1
        > 1
        > 1
        > 1
        < Question 7 of 7
        > no
        < This is what we pass on to Gemeente Venlo:
        < - Housing: help wanted
        > yes
        < Thank you, Sam.
        < Make an appointment with Gemeente Venlo. Choose a time:
        < 1 Tuesday 22 December at 10:00, by phone
        > other times
        < 1 Tuesday 29 December at 10:00, by phone
        > none fit
        < Someone from Gemeente Venlo will call you to choose a time together.
    """,
    )
    assert Escalated("no_slot_fits") in chat.effects
    assert chat.state.consent == {"share_with_municipality": True}
    assert chat.state.answers["housing"] == {"status": "help", "note": None}


def test_refusing_consent_shares_nothing_and_says_how_to_change_your_mind(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > ja
        > nee
        < Wij delen niets. Dank u voor uw antwoord.
        < Bedenkt u zich? Dat mag altijd. Kies dan 1.
        > 2
        < U krijgt geen vragen meer.
    """,
    )
    assert ConsentChanged("share_with_municipality", False) in chat.effects
    assert StatusChanged("refused") in chat.effects
    assert not any(isinstance(e, AnswerRecorded) for e in chat.effects)


def test_changing_your_mind_after_refusing(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > ja
        > nee
        > 1
        < Mogen wij uw antwoorden delen
        > ja
        < Mogen ook andere hulpverleners uw antwoorden zien?
    """,
    )
    assert chat.state.consent["share_with_municipality"] is True


def test_withdrawing_consent_mid_intake(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > ja
        > ja
        > ja
        > 1
        > INTREKKEN
        < U heeft uw toestemming ingetrokken. Wij delen vanaf nu niets meer.
        < Bedenkt u zich?
    """,
    )
    assert chat.state.consent == {"share_with_municipality": False, "share_with_partners": False}


def test_wrong_person_learns_nothing_and_hears_nothing_more(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > nee
        < Sorry voor dit bericht. Het was niet voor u.
        > wat is dit dan?
        < (silence)
    """,
    )
    said = "\n".join(m.text for m in chat.last)
    assert "melden" not in said
    assert OptedOut() in chat.effects
    assert StatusChanged("wrong_person") in chat.effects


def test_stop_then_start(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > ja
        > Stop!
        < U krijgt geen berichten meer van ons. Wilt u toch weer berichten? Stuur dan START.
        > ja
        < (silence)
        > hallo?
        < (silence)
        > START
        < Welkom terug.
        < Mogen wij uw antwoorden delen
        > ja
        < Mogen ook andere hulpverleners uw antwoorden zien?
    """,
    )


def test_stop_variants(intake):
    for text in (
        "stop",
        "STOP",
        "Stop!",
        "stop aub",
        "stoppen",
        "STOPPEN",
        "afmelden",
        "Stpo",
        "unsubscribe",
        "please stop",
    ):
        chat = Conversation(intake)
        chat.send(text)
        assert chat.state.opted_out, text


def test_not_stopping_when_saying_not_to_stop(intake):
    chat = Conversation(intake)
    chat.send("ik wil niet stoppen")
    assert not chat.state.opted_out


def test_kind_check_help_alerts_at_once(intake):
    chat = Conversation(intake)
    for text in ("ja", "ja", "ja", "1", "1", "1", "1", "1", "1"):
        chat.send(text)
    play(
        chat,
        """
        < Vraag 7 van 7
        > 3
        < Dat regelen we meteen. Voor wie zorgt u?
        > mijn dochter van 6
        < Dit geven wij door
        < - Kinderen en mantelzorg: hulp gewenst
    """,
    )
    assert Escalated("kind_check") in chat.effects
    assert chat.state.answers["children"] == {"status": "help", "note": "mijn dochter van 6"}


def test_kind_check_free_text_is_asked_back_not_taken_as_help(intake):
    """Free words at the kind-check say who, not whether help is needed: ask, keep them."""
    chat = Conversation(intake)
    for text in ("ja", "ja", "ja", "1", "1", "1", "1", "1", "1"):
        chat.send(text)
    play(
        chat,
        """
        > ik heb twee kinderen van 3 en 5
        < Wat bedoelt u? Kies een nummer.
        < 1 Ja, en dat is geregeld
        < 2 Ja, ik wil hulp
        > 2
        < Dit geven wij door
    """,
    )
    assert chat.state.answers["children"] == {
        "status": "help",
        "note": "ik heb twee kinderen van 3 en 5",
    }
    assert [e for e in chat.effects if isinstance(e, Escalated)] == [Escalated("kind_check")]


def test_correcting_the_summary(intake):
    chat = Conversation(intake)
    for text in ("ja", "ja", "ja", "1", "1", "1", "1", "1", "1", "1"):
        chat.send(text)
    play(
        chat,
        """
        < Klopt dit?
        > nee
        < Wat wilt u veranderen?
        > 4
        < Vraag 4 van 7: geld.
        > 2
        < Wilt u er iets over vertellen?
        > CJIB boete van 400 euro
        < Dit geven wij door
        < - Schulden: hulp gewenst
        > 1
        < Dank u wel, Sam.
    """,
    )
    assert chat.state.answers["debts"]["note"] == "CJIB boete van 400 euro"


def test_garbage_gets_one_reask_then_a_human_then_moves_on(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > asdfgh
        < Sorry, dat begreep ik niet. Kies een nummer.
        < Bent u Sam?
        > 🤪🤪
        < Of stuur MENS. Dan neemt een medewerker contact met u op.
        < Bent u Sam?
        > ?!?!
        < Dit is het team Voorzorg
        > qwerty
        < We slaan deze vraag over.
        < Een medewerker van Gemeente Venlo belt u daarom op.
    """,
    )
    assert Escalated("asked_for_human") in chat.effects


def test_emoji_answers(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > 👍🏼
        < Mogen wij uw antwoorden delen
        > ✅
        < Mogen ook andere hulpverleners uw antwoorden zien?
        > 👎
        < Vraag 1 van 7
    """,
    )
    assert chat.state.consent == {"share_with_municipality": True, "share_with_partners": False}


def test_another_language_typed_switches(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > English
        < From now on we write to you in English.
        < Are you Sam?
        > taal
        < Which language do you want?
        < 1 Nederlands
        < 2 English
        > 1
        < Wij schrijven u vanaf nu in het Nederlands.
        < Bent u Sam?
    """,
    )


def test_invite_code_mid_conversation_repeats_the_question(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > k7p2qd
        < Fijn dat u er bent. Dit was onze vraag:
        < Bent u Sam?
    """,
    )


def test_huge_text_is_kept_within_bounds(intake):
    chat = Conversation(intake)
    for text in ("ja", "ja", "ja", "1", "2"):
        chat.send(text)
    chat.send("x" * 5000)
    assert len(chat.state.answers["housing"]["note"]) == 2000
    assert chat.state.step == "income"


def test_after_the_end_every_message_gets_an_answer(intake):
    chat = Conversation(intake)
    for text in ("ja", "ja", "ja", *["1"] * 7, "1", "1"):  # ... summary ok, book the first time
        chat.send(text)
    play(
        chat,
        """
        > nog een vraag
        < Wij hebben uw antwoorden al. Wilt u iemand spreken? Stuur MENS.
        > MENS
        < Een medewerker van Gemeente Venlo neemt contact met u op.
    """,
    )
