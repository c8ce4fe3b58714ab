"""Languages in a conversation: which offered language a free reply is written in (lingua,
restricted to the offered ones), and switching to it, by name or from the menu."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from conversations.matching import match_choice, meaningful, phrase_key, words
from conversations.render import render
from conversations.state import LanguageChanged, Message

if TYPE_CHECKING:
    from conversations.engine import _Turn

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


def warm() -> None:
    """Build the detector now (a second or so), so the first free reply does not wait."""
    _detector()


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


# -- switching language in a conversation ----------------------------------------------


def follow_language(turn: _Turn, text: str, keyword: str | None) -> str | None:
    """Switch to the offered language a free reply is clearly written in.

    Returns a language that is likely but not sure, for the caller to offer when the
    reply is not understood otherwise.
    """
    if keyword is not None or phrase_key(text).isdigit() or turn.is_invite_code(text):
        return None
    guess = detect(text, turn.script.languages)
    if guess is None or guess.language == turn.state.language:
        return None
    if not guess.sure:
        return guess.language
    before = turn.state.language
    turn.state = turn.state.evolve(language=guess.language)
    turn.effects.append(LanguageChanged(guess.language))
    announced = [turn.render_key("language_set")]
    if "language_switched" in turn.script.texts:  # in the language they had: the way back
        announced.append(in_language(turn, before, "language_switched"))
    turn.messages.append(Message("\n\n".join(announced)))
    return None


def in_language(turn: _Turn, language: str, key: str) -> str:
    template = turn.script.text(key).template(language, turn.script.default_language)
    return render(template, lambda: {**turn.variables(), "language": language})


def language_named(turn: _Turn, text: str, allow_keyword: bool = False) -> str | None:
    tokens = meaningful(words(text))
    if allow_keyword:
        tokens = tokens[1:] if len(tokens) > 1 else []
    if len(tokens) != 1:
        return None
    for lang, names in turn.script.language_names.items():
        if lang in turn.script.languages and any(phrase_key(n) == tokens[0] for n in names):
            return lang
    return None


def ask_language(turn: _Turn, also_in: str | None = None) -> None:
    """The language menu; `also_in` adds the question in a language the reply seemed in."""
    turn.read_as("language", also_in or "")
    turn.state = turn.state.evolve(picking_language=True, pending=None)
    names = [turn.script.language_names.get(lang, (lang,))[0] for lang in turn.script.languages]
    options = "\n".join(f"{n} {name}" for n, name in enumerate(names, 1))
    asks = [in_language(turn, also_in, "language_ask")] if also_in else []
    asks.append(turn.render_key("language_ask"))
    header = "\n".join(dict.fromkeys(asks))
    turn.messages.append(Message(f"{header}\n{options}", tuple(names)))


def pick_language(turn: _Turn, text: str) -> None:
    options = [[*turn.script.language_names.get(lang, ()), lang] for lang in turn.script.languages]
    index = match_choice(text, options)
    turn.state = turn.state.evolve(picking_language=False)
    if index is None:
        turn.handle(text)  # they ignored the menu: treat it as an ordinary message
        return
    set_language(turn, turn.script.languages[index])
    turn.prompt()


def set_language(turn: _Turn, lang: str) -> None:
    if lang != turn.state.language:
        turn.state = turn.state.evolve(language=lang)
        turn.effects.append(LanguageChanged(lang))
    turn.say("language_set")
