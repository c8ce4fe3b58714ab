import pytest

from conversations.matching import match_choice, match_keyword, words

YES_NO = [["ja", "yes", "ok", "oke"], ["nee", "no"]]


@pytest.mark.parametrize(
    "reply",
    [
        "1",
        "1.",
        "1)",
        "optie 1",
        "ja",
        "JA!",
        "jaa",
        "Jaaaa!!",
        "yes",
        "Yes please",
        "ok",
        "oké",
        "👍",
        "👍🏽",
        "ja hoor",
        " ja ",
    ],
)
def test_yes(reply):
    assert match_choice(reply, YES_NO) == 0


@pytest.mark.parametrize("reply", ["2", "nee", "NEE!", "neee", "no", "👎", "nee dank je"])
def test_no(reply):
    assert match_choice(reply, YES_NO) == 1


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   ",
        "3",
        "0",
        "12",
        "ja nee",
        "misschien",
        "ja want ik heb er eigenlijk heel erg veel zin in",
        "🤪",
        "\x00",
    ],
)
def test_unclear(reply):
    assert match_choice(reply, YES_NO) is None


def test_accents_and_case_do_not_matter():
    assert words("ÉÉN Ruïne") == ["een", "ruine"]
    assert match_keyword("STÖP", {"stop": ["stop"]}) == "stop"


def test_keywords_in_short_messages_only():
    kw = {"stop": ["stop", "stoppen"]}
    assert match_keyword("stop aub", kw) == "stop"
    assert match_keyword("please stop", kw) == "stop"
    assert match_keyword("ik wil graag stoppen met roken en drinken", kw) is None
    assert match_keyword("niet stoppen", kw) is None
    assert match_keyword("shop", kw) is None
