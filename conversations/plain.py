"""What an editor sees per message: SMS cost, and whether it reads at B1 level."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from conversations.script import Script
from conversations.segments import count_segments
from conversations.validate import SAMPLE_FACTS, sample_messages

MAX_SENTENCE_WORDS = 15  # B1 advice: about ten words a sentence
MAX_WORD_LETTERS = 14  # Dutch compounds get long; past this most readers stumble
_SENTENCE = re.compile(r"[^.!?\n]+")
_WORD = re.compile(r"[^\W\d_]+")
# Readability judges the script's own words: ordinary values, not worst-case lengths.
ORDINARY = replace(
    SAMPLE_FACTS, first_name="Sam", organisation="Gemeente Venlo", sender="Gemeente Venlo"
)


@dataclass(frozen=True)
class MessageCheck:
    where: str
    text: str
    segments: int
    encoding: str
    long_sentences: tuple[str, ...]
    long_words: tuple[str, ...]


def check_messages(script: Script) -> list[MessageCheck]:
    out = []
    for lang in script.languages:
        worst = sample_messages(script, lang)
        ordinary = sample_messages(script, lang, ORDINARY)
        for (where, longest), (_, text) in zip(worst, ordinary, strict=True):
            if longest.startswith("\x00"):
                continue  # does not render: the validator reports it
            seg = count_segments(longest)
            sentences = tuple(
                s.strip()
                for s in _SENTENCE.findall(_without_options(text))
                if len(s.split()) > MAX_SENTENCE_WORDS
            )
            words = tuple(
                dict.fromkeys(w for w in _WORD.findall(text) if len(w) > MAX_WORD_LETTERS)
            )
            out.append(MessageCheck(where, text, seg.count, seg.encoding, sentences, words))
    return out


def _without_options(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not re.match(r"^\d+ ", line))
