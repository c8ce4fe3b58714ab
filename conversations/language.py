"""Which offered language a free reply is written in (lingua, restricted to the offered ones)."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from conversations.matching import words

SURE = 0.8  # at or above: switch to that language
LIKELY = 0.5  # at or above (and below SURE): offer the switch
MIN_LETTERS = 5  # shorter replies ("ja", "ok", "tak") say too little about their language
MIN_WORDS = 2  # one Latin-script word is too often a name, a typo or keyboard noise
KNOWN = ("nl", "en", "pl", "tr", "ar", "de", "fr", "es")


@dataclass(frozen=True)
class Guess:
    language: str
    confidence: float

    @property
    def sure(self) -> bool:
        return self.confidence >= SURE


@cache
def _detector() -> LanguageDetector:
    """Built once per process, lazily: loading the models takes a while."""
    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in KNOWN
    ]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _latin(word: str) -> bool:
    return all("LATIN" in unicodedata.name(c, "") or c.isdigit() for c in word)


def detect(text: str, offered: Collection[str]) -> Guess | None:
    """The offered language a reply is most likely in, or None when it says too little.

    A reply in Latin letters needs two words at least; confidence is spread over the
    offered languages only; a guess below `LIKELY` is None.
    """
    tokens = [w for w in words(text) if not w.isdigit() and w != "?"]
    latin = all(w.isascii() or _latin(w) for w in tokens)
    if sum(map(len, tokens)) < MIN_LETTERS or (latin and len(tokens) < MIN_WORDS):
        return None
    wanted = [code for code in offered if code in KNOWN]
    if len(wanted) < 2:
        return None
    values = {
        v.language.iso_code_639_1.name.lower(): v.value
        for v in _detector().compute_language_confidence_values(text)
    }
    total = sum(values.get(code, 0.0) for code in wanted)
    if total <= 0:
        return None
    best = max(wanted, key=lambda code: values.get(code, 0.0))
    confidence = values.get(best, 0.0) / total
    return Guess(best, confidence) if confidence >= LIKELY else None
