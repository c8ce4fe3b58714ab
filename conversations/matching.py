"""Understanding short replies: normalisation, synonyms, typos, keywords.

Everything here is pure and cheap: it runs for every inbound message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

# Emoji people use as answers, mapped to a word every script's synonym sets know.
_EMOJI_WORDS = {
    "👍": " yes ",
    "👌": " ok ",
    "✅": " yes ",
    "✔": " yes ",
    "☑": " yes ",
    "🙂": " yes ",
    "😊": " yes ",
    "👎": " no ",
    "❌": " no ",
    "✖": " no ",
    "🤷": " unknown ",
    "❓": " ? ",
    "?": " ? ",
}
FILLER = frozenset(
    "aub asjeblieft alsjeblieft alstublieft astublieft svp pls plz please graag nu now "
    "even effe hoor ff".split()
)
NEGATION = frozenset("niet geen not dont never nooit".split())
_WORD = re.compile(r"[a-z0-9]+|\?")
MAX_WORDS_FOR_KEYWORD = 3


def words(text: str) -> list[str]:
    """Lower-case, accent-free word tokens; answer emoji become words."""
    for emoji, word in _EMOJI_WORDS.items():
        if emoji in text:
            text = text.replace(emoji, word)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(plain)


def squeeze(word: str) -> str:
    """Collapse repeated letters, so `jaaa` and `ja`, `okeee` and `oke` compare equal."""
    return re.sub(r"(.)\1+", r"\1", word)


def phrase_key(text: str) -> str:
    return " ".join(squeeze(w) for w in words(text))


def near(a: str, b: str, substitutions: bool = True) -> bool:
    """Equal after squeezing, or one typo apart (edit or swap) for words of 4+ letters.

    Keywords pass `substitutions=False`: `shop` must not opt anyone out.
    """
    a, b = squeeze(a), squeeze(b)
    if a == b:
        return True
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 1:
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


def meaningful(tokens: Sequence[str]) -> list[str]:
    return [t for t in tokens if t not in FILLER]


def match_keyword(text: str, keywords: Mapping[str, Iterable[str]]) -> str | None:
    """The global keyword a short message asks for: `Stop!`, `stop aub`, `HELP me`.

    Only messages of at most three meaningful words count, the keyword must be the
    first or last of them, and a negation (`niet stoppen`) cancels it.
    """
    tokens = meaningful(words(text))
    tokens = [t for t in tokens if t != "?"] or tokens  # "hallo?" is no cry for help; "?" is
    if not tokens or len(tokens) > MAX_WORDS_FOR_KEYWORD or NEGATION & set(tokens):
        return None
    ends = {squeeze(tokens[0]), squeeze(tokens[-1])}
    for name, forms in keywords.items():
        if ends & set(forms):
            return name  # the common case: an exact keyword, checked without edit distance
    for name, forms in keywords.items():
        for form in forms:
            if any(near(end, form, substitutions=False) for end in ends):
                return name
    return None


def match_choice(text: str, options: Sequence[Iterable[str]]) -> int | None:
    """Index of the one option a reply means, or None when unclear.

    `options[i]` holds the phrases that mean option i (its label and synonyms). A
    reply means option i when it is its number (`2`, `2.`, `optie 2`), or when it
    starts with one of its phrases (`ja`, `JA!`, `jaa graag`, `👍`).
    """
    tokens = meaningful(words(text))
    if not tokens:
        return None
    numbers = [t for t in tokens if t.isdigit()]
    if len(numbers) == 1 and len(tokens) <= 2:
        n = int(numbers[0])
        return n - 1 if 1 <= n <= len(options) else None
    hits = {i: n for i, phrases in enumerate(options) if (n := _matched_prefix(tokens, phrases))}
    if len(hits) != 1:
        return None
    ((index, length),) = hits.items()
    rest = set(tokens[length:])
    if any(rest & _single_words(p) for i, p in enumerate(options) if i != index):
        return None  # both "ja" and "nee": ask again rather than guess
    return index


def _single_words(phrases: Iterable[str]) -> set[str]:
    return {w[0] for w in map(words, phrases) if len(w) == 1 and not w[0].isdigit()}


def _matched_prefix(tokens: Sequence[str], phrases: Iterable[str]) -> int:
    """Length of the longest phrase the reply starts with (0: none)."""
    best = 0
    for phrase in phrases:
        wanted = words(phrase)
        if not wanted or len(wanted) > len(tokens):
            continue
        if len(tokens) > len(wanted) + 2:
            continue  # a long sentence that merely starts with "ja" is not an answer
        if all(near(t, w) for t, w in zip(tokens, wanted, strict=False)):
            best = max(best, len(wanted))
    return best
