"""Phrases looked for with cached words find exactly what the per-call tokenising found."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations import matching
from conversations.matching import Vocabulary, meaningful, similar, squeeze, understand, words
from conversations.script import load_default_scripts

SCRIPT = load_default_scripts()["intake"]
QUESTIONS = [
    [SCRIPT.vocabulary(c) for c in step.choices] for step in SCRIPT.steps.values() if step.choices
] + [  # phrases with a number (never looked for), several words, repeated letters
    [
        Vocabulary(("ja", "2 kinderen", "geen kinderen", "dat klopt niet"), ("misschien",)),
        Vocabulary(("nee", "drie 3", "weet ik niet", "jaaa zeker"), ("bijna", "kinderen")),
    ]
]
WORDS = sorted({w for q in QUESTIONS for v in q for p in v.sure + v.maybe for w in words(p)})


def reference_hits(
    tokens: list[str], options: list[Vocabulary], answer_words: frozenset[str]
) -> list[matching._Hit]:
    """`_hits` as it was: every phrase tokenised, every word compared with `similar`."""
    found = []
    for index, vocabulary in enumerate(options):
        for phrases, maybe in ((vocabulary.sure, False), (vocabulary.maybe, True)):
            for phrase in phrases:
                wanted = [squeeze(w) for w in words(phrase)]
                if not wanted or any(w.isdigit() for w in wanted):
                    continue
                bare = all(w in answer_words for w in wanted)
                for start in range(len(tokens) - len(wanted) + 1):
                    if all(similar(tokens[start + i], w) for i, w in enumerate(wanted)):
                        found.append(matching._Hit(index, start, start + len(wanted), bare, maybe))
    return found


def typo(word: str, how: int, where: int) -> str:
    """The word with a letter doubled, dropped, swapped or changed (or as it is)."""
    i = where % max(len(word), 1)
    return [
        word,
        word[:i] + word[i : i + 1] * 2 + word[i + 1 :],
        word[:i] + word[i + 1 :],
        word[:i] + word[i + 1 : i + 2] + word[i : i + 1] + word[i + 2 :],
        word[:i] + "x" + word[i + 1 :],
    ][how % 5]


one_typo = st.builds(typo, st.sampled_from(WORDS), st.integers(0, 9), st.integers(0, 20))
two_typos = st.builds(typo, one_typo, st.integers(0, 9), st.integers(0, 20))  # 9+ letters
reply_words = (
    one_typo
    | two_typos
    | st.sampled_from(["maar", "niet", "bijna", "2", "?", "aub", "jaaa", "neee", "okeee"])
)


@settings(max_examples=400, deadline=None)
@given(st.lists(reply_words, min_size=1, max_size=7), st.integers(0, len(QUESTIONS) - 1))
def test_hits_are_the_same_as_before(reply, question):
    tokens = [t for t in meaningful(words(" ".join(reply))) if t != "?"]
    options = QUESTIONS[question]
    answer_words = SCRIPT.answer_words
    assert matching._hits(tokens, options, answer_words) == reference_hits(
        tokens, options, answer_words
    )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.integers(0, len(QUESTIONS) - 1))
def test_any_text_reads_as_before(text, question):
    tokens = [t for t in meaningful(words(text)) if t != "?"]
    options = QUESTIONS[question]
    answer_words = SCRIPT.answer_words
    assert matching._hits(tokens, options, answer_words) == reference_hits(
        tokens, options, answer_words
    )
    understand(text, options, answer_words)  # and reads it without error


@pytest.mark.parametrize(
    "reply",
    ["2 kinderen", "ja, 2 kinderen", "dat klopt niet", "dat klpot niet", "jaaa zeker", "drie 3"],
)
def test_phrases_with_numbers_and_several_words_as_before(reply):
    tokens = [t for t in meaningful(words(reply)) if t != "?"]
    options = QUESTIONS[-1]
    assert matching._hits(tokens, options, SCRIPT.answer_words) == reference_hits(
        tokens, options, SCRIPT.answer_words
    )


def reference_words(text: str) -> list[str]:
    """`words` without its ASCII shortcut."""
    for emoji, word in matching._EMOJI_WORDS.items():
        if emoji in text:
            text = text.replace(emoji, word)
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(matching._FOLD))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return [matching._ascii_digits(t) for t in matching._WORD.findall(plain)]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text(max_size=30))
def test_words_of_ascii_text_as_before(text):
    assert words(text) == reference_words(text)


@pytest.mark.parametrize(
    "text", ["Ja?", "it's", "STOP!!", "a_b-c 12 `x`", "?", "Nee, ik ben 't niet"]
)
def test_words_of_plain_replies_as_before(text):
    assert words(text) == reference_words(text)


def test_every_word_with_one_or_two_letters_off_as_before():
    """Each phrase word of 4+ letters, against the questions it belongs to: as it is, one
    letter dropped, two dropped (9+ letters allow two), two added."""
    answer_words = SCRIPT.answer_words
    for question in QUESTIONS:
        own = {w for v in question for p in v.sure + v.maybe for w in words(p) if len(w) >= 4}
        for word in sorted(own):
            for reply in {word, word[1:], word[2:], word + "xx"}:
                tokens = [t for t in meaningful(words(reply)) if t != "?"]
                assert matching._hits(tokens, question, answer_words) == reference_hits(
                    tokens, question, answer_words
                ), reply


def test_a_choice_vocabulary_is_made_once_per_script_version():
    step = next(s for s in SCRIPT.steps.values() if s.choices)
    first = [SCRIPT.vocabulary(c) for c in step.choices]
    again = [SCRIPT.vocabulary(c) for c in step.choices]
    assert all(a is b for a, b in zip(first, again, strict=True))
    other = load_default_scripts()["intake"]  # another version object: its own vocabularies
    assert [other.vocabulary(c) for c in other.steps[step.id].choices] == first
