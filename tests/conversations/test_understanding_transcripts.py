"""Issue 11 as people would live it: free words, side questions, consent, other languages."""

import dataclasses
import datetime as dt

from conversations.script import NEWER_TEXTS
from conversations.state import (
    AnswerRecorded,
    AppointmentBooked,
    AppointmentCancelled,
    ConsentChanged,
    Escalated,
    EscalationCorrected,
    LanguageChanged,
    OptedOut,
    State,
)
from conversations.testing import SAM, Conversation, play

TO_DEBTS = ("ja", "ja", "ja", "1", "1", "1")
TO_SUMMARY = ("ja", "ja", "ja", *["1"] * 7)


def escalations(chat: Conversation) -> list[Escalated]:
    return [e for e in chat.effects if isinstance(e, Escalated)]


def answers(chat: Conversation) -> list[AnswerRecorded]:
    return [e for e in chat.effects if isinstance(e, AnswerRecorded)]


def test_double_negative_is_gone_and_no_debts_means_in_order(intake):
    chat = Conversation(intake)
    for text in TO_DEBTS:
        chat.send(text)
    play(
        chat,
        """
        < Zijn uw geldzaken in orde?
        > nee ik heb geen schulden
        < Vraag 5 van 7: zorg.
    """,
    )
    assert chat.state.answers["debts"]["status"] == "ok"


def test_bare_nee_at_money_means_help_and_unclear_words_are_asked_back(intake):
    chat = Conversation(intake)
    for text in TO_DEBTS:
        chat.send(text)
    play(
        chat,
        """
        > weet ik veel
        < Vraag 5 van 7
    """,
    )
    assert chat.state.answers["debts"]["status"] == "unknown"


def test_free_words_at_a_condition_are_kept_but_not_recorded_as_help(intake):
    chat = Conversation(intake)
    for text in TO_DEBTS:
        chat.send(text)
    play(
        chat,
        """
        > mijn moeder helpt me daarmee
        < Dank u. Een medewerker leest uw bericht. Welk antwoord past het best?
        < 1 Ja, dat is in orde
        > 1
        < Vraag 5 van 7
    """,
    )
    assert answers(chat)[-1] == AnswerRecorded("debts", "ok", "mijn moeder helpt me daarmee")


def test_unsure_reading_asks_back_in_one_short_question(intake):
    chat = Conversation(intake)
    for text in TO_DEBTS:
        chat.send(text)
    play(
        chat,
        """
        > ok?
        < Bedoelt u: u heeft geen schulden, of ze zijn geregeld?
        < 1 Ja
        < 2 Nee
        > nee
        < Geen probleem. Dit was de vraag:
        < Zijn uw geldzaken in orde?
    """,
    )
    assert "debts" not in chat.state.answers


def test_keyword_does_not_steal_an_answer(intake):
    """`mn moeder helpt` is no HULP keyword: at the network question it is the answer."""
    chat = Conversation(intake)
    for text in ("ja", "ja", "ja", "1", "1", "1", "1", "1"):
        chat.send(text)
    play(
        chat,
        """
        < Zijn er mensen die u helpen?
        > mn moeder helpt
        < Vraag 7 van 7
    """,
    )
    assert chat.state.answers["network"]["status"] == "ok"
    said = "\n".join(m.text for m in chat.last)
    assert "team Voorzorg" not in said


def test_side_questions_are_answered_then_the_question_again(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > wie ben jij?
        < Wij zijn het team Voorzorg van Gemeente Venlo.
        < Eerst een vraag. Bent u Sam?
        > is dit echt de gemeente?
        < Ja, dit bericht komt echt van Gemeente Venlo.
        < Bel Gemeente Venlo zelf op 077 359 6666.
        < Bent u Sam?
        > ja
        > waarom wil je dat weten?
        < Wij vragen dit om u op tijd te helpen.
        < Mogen wij uw antwoorden delen met Gemeente Venlo?
        > wat gebeurt er met mijn antwoorden?
        < Uw antwoorden gaan alleen naar Gemeente Venlo, en alleen als u dat goed vindt.
        < Mogen wij uw antwoorden delen
        > kan ik jullie bellen?
        < Ja, u kunt Gemeente Venlo bellen op 077 359 6666.
        > ik ben bang
        < Dat is heel begrijpelijk.
        < Mogen wij uw antwoorden delen
    """,
    )
    assert chat.state.consent == {}
    assert chat.state.answers == {}
    assert escalations(chat) == []


def test_what_is_cjib_at_the_money_question(intake):
    chat = Conversation(intake)
    for text in TO_DEBTS:
        chat.send(text)
    play(
        chat,
        """
        > wat is cjib?
        < Het CJIB int boetes
        < Zijn uw geldzaken in orde?
    """,
    )
    assert "debts" not in chat.state.answers


def test_ok_after_mens_is_no_consent(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > ja
        > MENS
        < Een medewerker van Gemeente Venlo neemt contact met u op.
        < Mogen wij uw antwoorden delen met Gemeente Venlo?
        > ok
        < Bedoelt u: u mag mijn antwoorden delen met Gemeente Venlo?
        < 1 Ja
        < 2 Nee
        > 👍
        < Sorry, dat begreep ik niet. Kies een nummer.
        < Mogen wij uw antwoorden delen met Gemeente Venlo?
        > ja
        < Mogen ook andere hulpverleners uw antwoorden zien?
    """,
    )
    assert [e for e in chat.effects if isinstance(e, ConsentChanged)] == [
        ConsentChanged("share_with_municipality", True)
    ]


def test_detour_message_and_question_are_separate_messages(intake):
    chat = Conversation(intake)
    chat.send("ja")
    said = chat.send("MENS")
    assert len(said) == 2 and said[1].startswith("Mogen wij uw antwoorden delen")


def test_i_want_to_talk_to_someone_is_the_talk_option(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > ja
        > ik wil iemand spreken
        < Een medewerker van Gemeente Venlo neemt binnen 1 werkdag contact met u op.
        < Wilt u intussen toch al verder met de vragen?
    """,
    )
    assert escalations(chat)[0].reason == "asked_for_human"


def test_polish_start_switches_and_asks_in_polish(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > Dzień dobry, tak to ja
        < Od teraz piszemy do Pana/Pani po polsku.
        < Liever Nederlands? Stuur NL.
        < Dziękujemy, Sam.
        < Czy możemy przekazać odpowiedzi do Gemeente Venlo?
        > tak
        < Czy inne osoby pomagające mogą też zobaczyć odpowiedzi?
        > nie
        < Pytanie 1 z 7
        > STOP
        < Nie dostanie Pan/Pani już od nas wiadomości.
    """,
    )
    assert LanguageChanged("pl") in chat.effects
    assert chat.state.consent == {"share_with_municipality": True, "share_with_partners": False}


def test_i_do_not_understand_dutch_switches_and_asks_again_without_guessing(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > nie rozumiem po holendersku
        < Od teraz piszemy do Pana/Pani po polsku.
        < Czy jest Pan/Pani Sam?
        > tak
        < Dziękujemy, Sam.
    """,
    )
    assert LanguageChanged("pl") in chat.effects
    assert not [e for e in chat.effects if isinstance(e, OptedOut)]  # "nie" was no answer


def test_turkish_start(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > evet benim
        < Bundan sonra size Türkçe yazıyoruz.
        < Cevaplarınızı Gemeente Venlo ile paylaşabilir miyiz?
        > evet
        < Başka yardım edenler de cevaplarınızı görebilir mi?
        > hayır
        < Soru 1/7
        > pasaportum var
        < Soru 2/7
    """,
    )
    assert chat.state.language == "tr"
    assert chat.state.answers["identity"]["status"] == "ok"


def test_arabic_start(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > نعم انا
        < من الآن نكتب لك بالعربية.
        < هل نشارك إجاباتك مع Gemeente Venlo؟
        > موافق
        < هل يرى مساعدون آخرون إجاباتك أيضا؟
        > لا
        < السؤال 1 من 7
        > ١
        < السؤال 2 من 7
    """,
    )
    assert chat.state.language == "ar"
    assert chat.state.answers["identity"]["status"] == "ok"


def test_language_lists_all_five(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > TAAL
        < 1 Nederlands
        < 2 English
        < 3 Polski
        < 4 Türkçe
        < 5 العربية
        > 3
        < Od teraz piszemy do Pana/Pani po polsku.
        < Czy jest Pan/Pani Sam?
    """,
    )


def test_polish_keywords(intake):
    chat = Conversation(intake, language="pl")
    play(
        chat,
        """
        > CZLOWIEK
        < Pracownik Gemeente Venlo skontaktuje się
        > pomoc
        < To zespół Voorzorg.
        > koniec
        < Nie dostanie Pan/Pani już od nas wiadomości.
    """,
    )
    assert OptedOut() in chat.effects


def test_refusal_then_toch_hulp(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > ja
        > nee
        < Wij delen niets.
        > 2
        < U krijgt geen vragen meer.
        > ik wil toch hulp
        < Wij stellen u zo een paar korte vragen.
        < Mogen wij uw antwoorden delen met Gemeente Venlo?
        > ja
        < Mogen ook andere hulpverleners uw antwoorden zien?
    """,
    )
    assert chat.state.consent["share_with_municipality"] is True


def test_after_refusing_another_message_is_no_dead_end(intake):
    chat = Conversation(intake)
    for text in ("ja", "nee", "2"):
        chat.send(text)
    play(
        chat,
        """
        > hallo?
        < Wilt u toch hulp van Gemeente Venlo?
        < 1 Ik wil toch hulp
        < 2 Nee, dank u
    """,
    )
    assert "Wij hebben uw antwoorden al" not in "\n".join(m.text for m in chat.last)


def test_uitstel_twice_is_one_request_and_the_intake_goes_on(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > ja
        > UITSTEL
        < Schrijf kort waarom u uitstel wilt.
        > UITSTEL
        < Schrijf kort waarom u uitstel wilt.
        > mijn moeder is ziek
        < Tot dan blijft de datum donderdag 14 januari.
        < Mogen wij uw antwoorden delen met Gemeente Venlo?
        > uitstel
        < U heeft al om uitstel gevraagd.
        < Mogen wij uw antwoorden delen met Gemeente Venlo?
        > ja
        < Mogen ook andere hulpverleners uw antwoorden zien?
    """,
    )
    assert escalations(chat) == [Escalated("postponement", "mijn moeder is ziek")]


def test_mens_twice_is_one_escalation(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > MENS
        < Een medewerker van Gemeente Venlo neemt contact met u op.
        > MENS
        < Dat hebben wij al doorgegeven.
        < Bent u Sam?
    """,
    )
    assert escalations(chat) == [Escalated("asked_for_human")]


def test_mens_again_days_later_is_a_new_escalation(intake):
    chat = Conversation(intake)
    chat.send("MENS")
    chat.now += dt.timedelta(days=7)
    chat.send("MENS")
    assert escalations(chat) == [Escalated("asked_for_human")] * 2


def test_relative_answering_reveals_nothing_and_does_not_opt_out(intake):
    chat = Conversation(intake)
    play(
        chat,
        """
        > nee, dit is zijn moeder
        < Wij spreken Sam graag zelf.
        > oke
        < Goed. Wij wachten op een bericht van Sam.
        > ja ik ben het, sam
        < Dank u, Sam.
        < Mogen wij uw antwoorden delen
    """,
    )
    assert not chat.state.opted_out and OptedOut() not in chat.effects
    assert escalations(chat) == [Escalated("someone_else", "nee, dit is zijn moeder")]


def test_plain_nee_is_still_a_wrong_number(intake):
    chat = Conversation(intake)
    chat.send("nee")
    assert chat.state.opted_out


def test_unidentified_person_is_asked_again_not_stranded(intake):
    chat = Conversation(intake)
    for text in ("asdf", "qwerty", "zxcv"):
        chat.send(text)
    said = chat.send("hmm hmm?")
    assert chat.state.step == "right_person"
    assert "Wij hebben uw antwoorden al" not in "\n".join(said)


def test_corrected_kind_check_updates_its_alert(intake):
    chat = Conversation(intake)
    for text in ("ja", "ja", "ja", *["1"] * 6, "3", "0"):
        chat.send(text)
    play(
        chat,
        """
        < - Kinderen en mantelzorg: hulp gewenst
        > 2
        > 7
        < Vraag 7 van 7
        > nee
        < - Kinderen en mantelzorg: in orde
    """,
    )
    assert escalations(chat) == [Escalated("kind_check")]
    assert EscalationCorrected("kind_check", "children", "ok") in chat.effects


def test_ja_alone_at_the_kind_check_asks_whether_help_is_wanted(intake):
    chat = Conversation(intake)
    for text in ("ja", "ja", "ja", *["1"] * 6):
        chat.send(text)
    play(
        chat,
        """
        > ja
        < Wat bedoelt u? Kies een nummer.
        < 1 Ja, en dat is geregeld
        < 2 Ja, ik wil hulp
        > ik wil hulp
        < Voor wie zorgt u?
    """,
    )
    assert escalations(chat) == [Escalated("kind_check")]


def test_finished_only_after_a_finished_intake(intake):
    chat = Conversation(intake)
    for text in (*TO_SUMMARY, "1", "1"):
        chat.send(text)
    assert chat.send("hoi")[0].startswith("Dank u voor uw bericht. Wij hebben uw antwoorden al.")


def test_phone_appointment_says_who_calls_and_tomorrow_gets_no_day_before_line(intake):
    tomorrow = SAM.offers[0]
    chat = Conversation(intake, now=tomorrow.start - dt.timedelta(hours=20))
    for text in TO_SUMMARY:
        chat.send(text)
    chat.send("1")
    said = "\n".join(chat.send("1"))
    assert "telefonisch (wij bellen u)" in said
    assert "Een medewerker belt u dan op dit nummer." in said
    assert "de dag ervoor" not in said


def test_video_appointment_says_how_the_link_comes(intake):
    video = dataclasses.replace(SAM.offers[0], mode="video")
    chat = Conversation(intake, facts=dataclasses.replace(SAM, offers=(video,)))
    for text in (*TO_SUMMARY, "1", "1"):
        chat.send(text)
    said = "\n".join(m.text for m in chat.last)
    assert "De link voor het videobellen krijgt u van ons in een bericht" in said
    assert "Wij sturen u de dag ervoor een herinnering." in said


def test_verzet_then_no_time_fits_keeps_the_booked_time(intake):
    chat = Conversation(intake)
    for text in (*TO_SUMMARY, "1", "1"):
        chat.send(text)
    booked = chat.state.appointment
    play(
        chat,
        """
        > VERZET
        < Kies een tijd:
        > geen tijd past
        < Uw afspraak blijft staan: dinsdag 22 december om 10:00.
        < belt u om samen een andere tijd te kiezen.
    """,
    )
    assert chat.state.appointment == booked
    assert AppointmentCancelled() not in chat.effects
    assert Escalated("no_slot_fits") in chat.effects


def test_verzet_to_another_time_books_it(intake):
    chat = Conversation(intake)
    for text in (*TO_SUMMARY, "1", "1"):
        chat.send(text)
    chat.send("VERZET")
    chat.send("de derde")
    assert chat.effects[-1] == AppointmentBooked(SAM.offers[2]) or any(
        e == AppointmentBooked(SAM.offers[2]) for e in chat.effects
    )
    assert chat.state.appointment["start"] == SAM.offers[2].start.isoformat()


def test_old_state_without_new_fields_still_loads():
    old = '{"step": "debts", "language": "nl", "misses": 0, "answers": {}}'
    state = State.from_json(old)
    assert state.pending is None and state.escalated == {} and not state.completed


def test_an_older_script_without_the_newer_texts_still_runs(intake):
    """Conversations on a stored version 1 script keep working with this engine."""
    texts = {k: v for k, v in intake.texts.items() if k not in NEWER_TEXTS}
    older = dataclasses.replace(intake, texts=texts)
    chat = Conversation(older)
    for text in ("ja", "ok", "1", "MENS", "MENS", "UITSTEL", "ziek", "UITSTEL", "ja nee", "2"):
        assert chat.send(text)


def test_what_is_this_at_the_consent_question_is_a_side_question(intake):
    chat = Conversation(intake)
    chat.send("ja")
    play(
        chat,
        """
        > wat is dit eigenlijk?
        < Wij zijn het team Voorzorg van Gemeente Venlo.
        < Mogen wij uw antwoorden delen met Gemeente Venlo?
    """,
    )
    assert chat.state.consent == {}  # nothing recorded from a question
