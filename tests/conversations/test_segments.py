import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.segments import count_segments

# Published test vectors (Twilio's segment calculator, sms-counter)


def test_plain_dutch_is_gsm7():
    assert count_segments("Hallo Sam. Bent u Sam?") == ("GSM-7", 1, "")


def test_boundaries():
    assert count_segments("a" * 160).count == 1
    assert count_segments("a" * 161).count == 2
    assert count_segments("a" * 306).count == 2
    assert count_segments("a" * 307).count == 3


def test_extended_characters_count_double():
    assert count_segments("€" * 80) == ("GSM-7", 1, "")
    assert count_segments("€" * 81).count == 2


def test_dutch_diaeresis_and_curly_quotes_force_ucs2():
    seg = count_segments("Eén “vraag” over ruïne")
    assert seg.encoding == "UCS-2" and set(seg.non_gsm) == {"“", "”", "ï"}
    assert count_segments("ë" * 70).count == 1
    assert count_segments("ë" * 71).count == 2


def test_emoji_take_two_units():
    assert count_segments("👍" * 35).count == 1
    assert count_segments("👍" * 36).count == 2


# Boundary cases


def test_an_empty_text_is_one_segment():
    assert count_segments("") == ("GSM-7", 1, "")


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 159 + "€", 2),  # 161 septets
        ("a" * 158 + "€", 1),  # 160 septets
        ("a" * 459, 3),
        ("a" * 460, 4),
    ],
)
def test_gsm7_single_segment_and_parts(text, count):
    assert count_segments(text) == ("GSM-7", count, "")


@pytest.mark.parametrize("escaped", list("€[]{}~^|\\\f"))
def test_an_escape_pair_on_the_boundary_moves_to_the_next_part(escaped):
    # septets 153 and 154: the pair does not fit the first part, which keeps 152
    assert count_segments("a" * 152 + escaped + "a" * 152) == ("GSM-7", 3, "")
    # septets 154 and 155: the pair starts the second part
    assert count_segments("a" * 153 + escaped + "a" * 151) == ("GSM-7", 2, "")
    # septets 152 and 153: the pair ends the first part
    assert count_segments("a" * 151 + escaped + "a" * 153) == ("GSM-7", 2, "")


def test_escape_pairs_fill_parts_of_152():
    assert count_segments("€" * 152).count == 2  # 76 per part
    assert count_segments("€" * 153).count == 3  # 306 septets, but no part holds 76.5


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("ë" * 70, 1),
        ("ë" * 71, 2),
        ("ë" * 68 + "👍", 1),  # 70 units
        ("ë" * 69 + "👍", 2),  # 71 units
        ("ë" * 134, 2),
        ("ë" * 135, 3),
    ],
)
def test_ucs2_single_segment_and_parts(text, count):
    assert count_segments(text).count == count


def test_an_emoji_on_the_boundary_moves_to_the_next_part():
    # units 67 and 68: the surrogate pair does not fit the first part, which keeps 66
    assert count_segments("ë" * 66 + "👍" + "ë" * 66) == ("UCS-2", 3, "ë👍")
    # units 68 and 69: the pair starts the second part
    assert count_segments("ë" * 67 + "👍" + "ë" * 65).count == 2
    # units 66 and 67: the pair ends the first part
    assert count_segments("ë" * 65 + "👍" + "ë" * 67).count == 2


def test_emoji_fill_parts_of_66():
    assert count_segments("👍" * 66).count == 2  # 33 per part
    assert count_segments("👍" * 67).count == 3  # 134 units, but no part holds 33.5


def test_gsm7_extension_characters_are_single_units_in_ucs2():
    assert count_segments("€" * 69 + "ë").count == 1  # 70 units
    assert count_segments("€" * 70 + "ë").count == 2


# The scan with regular expressions counts as the character-by-character fill did.


def _reference(text: str) -> tuple[str, int, str]:
    """The counting before the regex scan: one membership test per character."""
    gsm7 = set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    extended = set("^{}\\[~]|€\f")
    non_gsm = "".join(dict.fromkeys(c for c in text if c not in gsm7 | extended))
    if non_gsm:
        sizes, single, part, encoding = [2 if ord(c) > 0xFFFF else 1 for c in text], 70, 67, "UCS-2"
    else:
        sizes, single, part, encoding = [2 if c in extended else 1 for c in text], 160, 153, "GSM-7"
    if sum(sizes) <= single:
        return encoding, 1, non_gsm
    count, used = 1, 0
    for size in sizes:
        if used + size > part:
            count, used = count + 1, 0
        used += size
    return encoding, count, non_gsm


# plain, escaped, the characters a regex class must escape, UCS-2, emoji, a lone surrogate
ALPHABET = "a €[]\\^-\f\n\rëï“👍\ud83d\udc4dé"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=480) | st.text(max_size=200))
def test_counts_as_the_character_by_character_fill(text):
    assert count_segments(text) == _reference(text)


@pytest.mark.parametrize("length", [*range(150, 162), *range(300, 310), *range(455, 462)])
@pytest.mark.parametrize("filler", ["a", "€", "a€", "ë", "ë👍", "👍", "a\ud83d"])
def test_counts_as_the_fill_around_every_boundary(length, filler):
    text = (filler * length)[:length]
    assert count_segments(text) == _reference(text)
