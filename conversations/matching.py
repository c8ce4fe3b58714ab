"""Understanding short replies: normalisation, synonyms, typos, keywords, confidence.

Everything here is pure and cheap: it runs for every inbound message. A reply is read
against the options of the open question; the result says which option it means and
whether that is certain, or which options it may mean (the engine then asks back).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

# Emoji people use as answers, mapped to a word every script's synonym sets know.
# A thumbs-up is an acknowledgement ("ok"), not a clear yes.
TYPO_MIN_LETTERS = 4  # shorter words are never read as a typo of another
_EMOJI_WORDS = {
    "👍": " ok ",
    "👌": " ok ",
    "✅": " yes ",
    "✔": " yes ",
    "☑": " yes ",
    "🙂": " ok ",
    "😊": " ok ",
    "👎": " no ",
    "❌": " no ",
    "✖": " no ",
    "🤷": " unknown ",
    "❓": " ? ",
    "?": " ? ",
    "؟": " ? ",  # Arabic question mark
}
# Letters that NFKD leaves alone but phones often type without: Polish, Turkish, Arabic.
_FOLD = str.maketrans(
    {
        "ł": "l",
        "ı": "i",
        "ø": "o",
        "ß": "ss",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ـ": None,  # tatweel
        "'": None,
        "’": None,
        "`": None,
    }
)
FILLER = frozenset(
    "aub asjeblieft alsjeblieft alstublieft astublieft svp pls plz please graag nu now "
    "even effe hoor ff nou eh ehm euh uh uhm hm hmm well proszę prosze lütfen lutfen "
    "فضلك".split()
)
NEGATION = frozenset(
    "niet geen nooit not dont never no nie bez değil degil yok hic hiç لا ليس ما مش".split()
)
# Words that make an answer uncertain: "bijna verlopen", "mijn moeder is overleden",
# and putting it off: "ja ff kijken".
DOUBT = frozenset(
    "bijna overleden dood vroeger kijken checken nakijken moment almost nearly died check "
    "later prawie zmarl sprawdze neredeyse oldu bakayim تقريبا توفي".split()
)
# Words that set one part of a reply against another: "ja, maar hij is bijna verlopen".
CONTRAST = frozenset("maar alleen behalve but except ale ama fakat لكن بس".split())
# Words that may come with an option's number: "optie 2", "nr 2".
NUMBER_WORDS = frozenset(
    "optie nr nummer keuze antwoord option number no opcja numer secenek رقم".split()
)
_WORD = re.compile(r"[^\W_]+|\?")
MAX_WORDS_FOR_KEYWORD = 3
BARE_SLACK = 1  # other words a bare "ja"/"nee" may come with and still be sure
CONTENT_SLACK = 5  # other words a specific phrase may come with and still be sure


def words(text: str) -> list[str]:
    """Lower-case, accent-free word tokens in any script; answer emoji become words."""
    if text.isascii():  # no emoji, accents or other digits: NFKD and casefold change nothing
        return _WORD.findall(text.lower().translate(_FOLD))  # "?" is a token as it is
    for emoji, word in _EMOJI_WORDS.items():
        if emoji in text:
            text = text.replace(emoji, word)
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return [_ascii_digits(t) for t in _WORD.findall(plain)]


def _ascii_digits(token: str) -> str:
    """`٣` (Arabic-Indic three) and `3` are the same answer."""
    if token.isdigit() and not token.isascii():
        return "".join(str(unicodedata.digit(c)) for c in token)
    return token


_REPEATED = re.compile(r"(.)\1+")


@functools.lru_cache(maxsize=16384)
def squeeze(word: str) -> str:
    """Collapse repeated letters, so `jaaa` and `ja`, `okeee` and `oke` compare equal.
    Cached: the same few thousand words (keyword forms, answers) come by all day."""
    return _REPEATED.sub(r"\1", word)


def phrase_key(text: str) -> str:
    return " ".join(squeeze(w) for w in words(text))


def near(a: str, b: str, substitutions: bool = True) -> bool:
    """Equal after squeezing, or one typo apart (edit or swap) for words of 4+ letters.

    Keywords pass `substitutions=False`: `shop` must not opt anyone out.
    """
    a, b = squeeze(a), squeeze(b)
    if a == b:
        return True
    if min(len(a), len(b)) < TYPO_MIN_LETTERS or abs(len(a) - len(b)) > 1:
        return False
    return _one_edit_apart(a, b, substitutions)


def _one_edit_apart(a: str, b: str, substitutions: bool) -> bool:
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return substitutions
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def similar(typed: str, wanted: str) -> bool:
    """Whether a typed word is a phrase word with a typo, strictly enough for answers.

    Equal after squeezing; a swap of two letters from 4 letters on; one edit (rapidfuzz
    OSA distance) from 5 letters on; two from 9. `helpt` is therefore not `help`.
    """
    return _alike(squeeze(typed), squeeze(wanted))


def _alike(a: str, b: str) -> bool:
    """`similar` for words already squeezed (squeezing twice changes nothing)."""
    if a == b:
        return True
    shortest = min(len(a), len(b))
    if shortest < 4 or a.isdigit() or b.isdigit():
        return False
    if shortest == 4:
        return len(a) == len(b) and _one_edit_apart(a, b, substitutions=False)
    budget = 2 if shortest >= 9 else 1
    return OSA.distance(a, b, score_cutoff=budget) <= budget


def meaningful(tokens: Sequence[str]) -> list[str]:
    return [t for t in tokens if t not in FILLER]


def match_keyword(text: str, keywords: Mapping[str, Iterable[str]]) -> str | None:
    """The global keyword a message is (nearly) only: `Stop!`, `stop aub`, `HELP me`.

    Only messages of at most three meaningful words count, the keyword must be the
    first or last of them, and a negation (`niet stoppen`) cancels it. A typo (`Stpo`)
    counts only when the keyword is the whole message: `mn moeder helpt` is no HELP.
    """
    tokens = meaningful(words(text))
    tokens = [t for t in tokens if t != "?"] or tokens  # "hallo?" is no cry for help; "?" is
    if not tokens or len(tokens) > MAX_WORDS_FOR_KEYWORD or NEGATION & set(tokens):
        return None
    ends = {squeeze(tokens[0]), squeeze(tokens[-1])}
    for name, forms in keywords.items():
        if not ends.isdisjoint(forms):
            return name  # the common case: an exact keyword, checked without edit distance
    if len(tokens) != 1 or len(squeeze(tokens[0])) < TYPO_MIN_LETTERS:
        return None  # only a lone word of some length can be a keyword with a typo
    for name, forms in keywords.items():
        if any(near(tokens[0], form, substitutions=False) for form in forms):
            return name
    return None


@dataclass(frozen=True)
class Vocabulary:
    """The phrases that select one option: `sure` ones decide, `maybe` ones only suggest."""

    sure: tuple[str, ...]
    maybe: tuple[str, ...] = ()


@dataclass(frozen=True)
class Understanding:
    """What a reply means for a question with options.

    `option` is set when the reply clearly means that option. Otherwise `candidates`
    lists the options it may mean (empty: none at all); the engine asks back.
    """

    option: int | None = None
    candidates: tuple[int, ...] = ()

    @property
    def unclear(self) -> bool:
        return self.option is None and not self.candidates


NOTHING = Understanding()


@dataclass(frozen=True)
class _Hit:
    option: int
    start: int
    end: int
    bare: bool  # only answer words such as "ja", "nee", "ok"
    maybe: bool

    def inside(self, other: _Hit) -> bool:
        return (
            other.start <= self.start
            and self.end <= other.end
            and (other.end - other.start) > (self.end - self.start)
        )


def understand(
    text: str, options: Sequence[Vocabulary], answer_words: Collection[str] = ()
) -> Understanding:
    """Read a reply against the options of a question, with a confidence.

    A number picks its option. Otherwise every phrase of every option is looked for
    in the reply (typos allowed, see `similar`); a phrase inside a longer one found
    does not count (`geen schulden` hides `schulden`). Specific phrases outweigh bare
    answer words (`nee, ik heb geen schulden`; `nee, dit is zijn moeder`). The reply
    is certain when one option explains every specific phrase found (or, without
    those, every answer word), no negation or doubt (`bijna`, `overleden`) is left
    over, no `maar` sets an answer word against it, it is not a question, and not much
    else was said; a reply that fits several options gives them as candidates.
    """
    raw = meaningful(words(text))
    asking = "?" in raw
    tokens = [t for t in raw if t != "?"]
    if not tokens:
        return NOTHING
    numbered = _numbered(tokens, len(options))
    if numbered is not None:
        return numbered
    hits = _outermost(_hits(tokens, options, frozenset(answer_words)))
    content = [h for h in hits if not h.bare]
    decisive = content or hits
    if not decisive:
        return NOTHING
    spans: dict[tuple[int, int], set[int]] = {}
    for hit in decisive:
        spans.setdefault((hit.start, hit.end), set()).add(hit.option)
    common = set.intersection(*spans.values())
    if len(common) != 1:
        return Understanding(None, tuple(sorted(common or set.union(*spans.values()))))
    (option,) = common
    covered = {i for h in hits for i in range(h.start, h.end)}
    rest = set(t for i, t in enumerate(tokens) if i not in covered)
    maybe = all(h.maybe for h in decisive if h.option == option)
    slack = CONTENT_SLACK if content else BARE_SLACK
    against = CONTRAST & rest and _bare_against(hits, option)
    doubtful = maybe or asking or against or (NEGATION | DOUBT) & rest or len(rest) > slack
    return Understanding(None, (option,)) if doubtful else Understanding(option)


def _bare_against(hits: Sequence[_Hit], option: int) -> bool:
    """Whether an answer word in the reply points away from `option` ("ja, maar ...")."""
    spans: dict[tuple[int, int], set[int]] = {}
    for hit in hits:
        if hit.bare:
            spans.setdefault((hit.start, hit.end), set()).add(hit.option)
    return any(option not in options for options in spans.values())


def _numbered(tokens: Sequence[str], count: int) -> Understanding | None:
    """`2`, `2.`, `optie 2`, `nr 2`: the option with that number (None: no number reply).

    `ja 2` is no number reply: it may mean "yes, two children"."""
    numbers = [t for t in tokens if t.isdigit()]
    others = [t for t in tokens if not t.isdigit()]
    if len(numbers) != 1 or len(others) > 1 or not set(others) <= NUMBER_WORDS:
        return None
    n = int(numbers[0])
    return Understanding(n - 1) if 1 <= n <= count else NOTHING


def _hits(
    tokens: Sequence[str], options: Sequence[Vocabulary], answer_words: frozenset[str]
) -> list[_Hit]:
    found = []
    squeezed = [squeeze(t) for t in tokens]
    for index, vocabulary in enumerate(options):
        for phrases, maybe in ((vocabulary.sure, False), (vocabulary.maybe, True)):
            for wanted, start in _PhraseIndex.of(phrases).find(squeezed):
                bare = all(w in answer_words for w in wanted)
                found.append(_Hit(index, start, start + len(wanted), bare, maybe))
    return found


class _PhraseIndex:
    """The phrases of one option, arranged so a reply is not compared with every one:
    one-word phrases by word (exact) and by length (a typo needs 4+ letters and at most
    two more or fewer), phrases of several words shortest first."""

    def __init__(self, phrases: tuple[str, ...]):
        self.phrases = [_phrase_words(p) for p in phrases]
        self.exact: dict[str, list[int]] = {}
        self.by_length: dict[int, list[tuple[str, int]]] = {}
        longer = []
        for position, wanted in enumerate(self.phrases):
            if len(wanted) == 1:
                (word,) = wanted
                self.exact.setdefault(word, []).append(position)
                if len(word) >= TYPO_MIN_LETTERS and not word.isdigit():
                    self.by_length.setdefault(len(word), []).append((word, position))
            elif wanted:
                longer.append((len(wanted), position))
        self.longer = [position for _, position in sorted(longer)]

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def of(phrases: tuple[str, ...]) -> _PhraseIndex:
        """Cached: the same options' phrases come by for every reply to a question."""
        return _PhraseIndex(phrases)

    def find(self, tokens: Sequence[str]) -> list[tuple[tuple[str, ...], int]]:
        """(words, start) of every phrase in the (squeezed) tokens, in phrase order then
        start: what comparing each phrase with `_occurrences` finds, in that order."""
        found: list[tuple[int, int]] = []
        for start, token in enumerate(tokens):
            found += [(position, start) for position in self.exact.get(token, ())]
            if len(token) >= TYPO_MIN_LETTERS and not token.isdigit():
                for length in range(len(token) - 2, len(token) + 3):
                    for word, position in self.by_length.get(length, ()):
                        if word != token and _alike(token, word):
                            found.append((position, start))
        for position in self.longer:
            wanted = self.phrases[position]
            if len(wanted) > len(tokens):
                break
            found += [(position, start) for start in _occurrences(tokens, wanted)]
        return [(self.phrases[position], start) for position, start in sorted(found)]


@functools.lru_cache(maxsize=16384)
def _phrase_words(phrase: str) -> tuple[str, ...]:
    """The squeezed words a phrase is looked for as; none for a phrase with a number (a
    number picks an option by position). Cached: the scripts' phrases come by all day."""
    wanted = tuple(squeeze(w) for w in words(phrase))
    return () if any(w.isdigit() for w in wanted) else wanted


def _occurrences(tokens: Sequence[str], wanted: Sequence[str]) -> list[int]:
    """Where the (squeezed) words `wanted` stand in the (squeezed) tokens, typos allowed."""
    if len(wanted) == 1:  # most phrases are one word
        (word,) = wanted
        return [start for start, token in enumerate(tokens) if _alike(token, word)]
    return [
        start
        for start in range(len(tokens) - len(wanted) + 1)
        if all(_alike(tokens[start + i], w) for i, w in enumerate(wanted))
    ]


def _outermost(hits: list[_Hit]) -> list[_Hit]:
    return [h for h in hits if not any(h.inside(other) for other in hits)]


def match_choice(
    text: str, options: Sequence[Iterable[str]], answer_words: Collection[str] = ()
) -> int | None:
    """Index of the one option a reply clearly means, or None when unclear.

    `options[i]` holds the phrases that mean option i (its label and synonyms).
    """
    vocabularies = [Vocabulary(tuple(phrases)) for phrases in options]
    return understand(text, vocabularies, answer_words).option


FREE_TEXT_MIN_WORDS = 3


def is_free_text(text: str) -> bool:
    """A reply of a few words at least: something the person wants us to read."""
    return len([t for t in meaningful(words(text)) if t != "?"]) >= FREE_TEXT_MIN_WORDS
