from conversations.segments import count_segments


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
