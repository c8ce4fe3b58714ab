"""`voorzorg scripts validate`: everything that can be wrong with a script, before it runs."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from jinja2 import TemplateSyntaxError, meta

from conversations.engine import VARIABLES, prompts, template_variables
from conversations.render import ENV, RenderError, render
from conversations.script import (
    CASE_STATUSES,
    CONDITIONS,
    KEYWORDS,
    PURPOSES,
    REQUIRED_TEXTS,
    RESUME,
    STATUSES,
    Script,
    Text,
)
from conversations.segments import count_segments
from conversations.state import Facts, Offer, State

MAX_SEGMENTS = 2
# Words that must never stand in a message's first line: a lock screen shows it.
REVEALING = re.compile(
    r"gevangenis|detentie|gedetineerd|celstraf|straf|penitentiair|\bPI\b|bajes|"
    r"prison|jail|detention|sentence|inmate|custody",
    re.IGNORECASE,
)
SAMPLE_FACTS = Facts(
    first_name="Alexandra-Marie",
    report_date=dt.date(2027, 1, 14),
    invite_code="K7P2QD",
    organisation="Zorg- en Veiligheidshuis Noord- en Midden-Limburg",
    sender="Zorg- en Veiligheidshuis",
    organisation_phone="088 123 4567",
    organisation_address="Stationsplein 1, 6041 GA Roermond",
    prison="PI Roermond",
)
SAMPLE_NOW = dt.datetime(2026, 12, 14, 10, 0, tzinfo=dt.UTC)
SAMPLE_OFFER = Offer(
    1, dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC), 45, "visit", "Stadskantoor, Laagste Dijk 12"
)
SAMPLE_FACTS = replace(SAMPLE_FACTS, offers=(SAMPLE_OFFER,) * 3)


@dataclass(frozen=True)
class Finding:
    level: str  # "error" or "warning"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


def validate(script: Script) -> list[Finding]:
    findings = [
        *_references(script),
        *_reachability(script),
        *_texts(script),
        *_vocabulary(script),
    ]
    if not any(f.level == "error" for f in findings):
        findings.extend(_rendered(script))
    return findings


def _err(where: str, message: str) -> Finding:
    return Finding("error", where, message)


def _references(script: Script) -> Iterator[Finding]:
    steps = script.steps
    if script.start not in steps:
        yield _err("start", f"unknown step {script.start!r}")
    if script.after_withdraw and script.after_withdraw not in steps:
        yield _err("after_withdraw", f"unknown step {script.after_withdraw!r}")
    for keyword, target in script.keyword_steps.items():
        if target not in steps:
            yield _err(f"keyword_steps.{keyword}", f"unknown step {target!r}")
    for step in steps.values():
        where = f"steps.{step.id}"
        for target in _targets(step):
            if target not in steps:
                yield _err(where, f"unknown step {target!r}")
        if step.kind == "say" and step.say is None:
            yield _err(where, "a step needs `say`, `choices` or `text`")
        ids = [c.id for c in step.choices]
        if len(ids) != len(set(ids)):
            yield _err(where, "two choices share an id")
        for attr in ("fallback", "free_text"):
            value = getattr(step, attr)
            if value is not None and value not in ids:
                yield _err(where, f"{attr} names no choice of this step: {value!r}")
        if step.kind == "booking" and step.none_fit is None:
            yield _err(where, "a booking step needs `none_fit`: where to go when no time fits")
        if step.kind == "choice" and step.fallback is None:
            yield _err(
                where, "a choice step needs a `fallback` choice for replies never understood"
            )


def _targets(step) -> list[str]:
    out = [step.next, step.text_next, step.booked, step.none_fit]
    for c in step.choices:
        out += [c.next, c.return_to]
    return [t for t in out if t is not None and t != RESUME]


def _reachability(script: Script) -> Iterator[Finding]:
    steps = script.steps
    reached: set[str] = set()
    roots = (script.start, script.after_withdraw, *script.keyword_steps.values())
    todo = [s for s in roots if s in steps]
    while todo:
        sid = todo.pop()
        if sid not in reached:
            reached.add(sid)
            todo.extend(t for t in _targets(steps[sid]) if t in steps)
    for sid in steps.keys() - reached:
        yield _err(f"steps.{sid}", "unreachable from the start step")
    # Every step must lead to an end: a say-only step without `next`, or a choice to None.
    ending = {s.id for s in steps.values() if s.kind == "say" and s.next in (None, RESUME)}
    ending |= {s.id for s in steps.values() if any(c.next is None for c in s.choices)}
    changed = True
    while changed:
        changed = False
        for s in steps.values():
            if s.id not in ending and any(t in ending for t in _targets(s)):
                ending.add(s.id)
                changed = True
    for sid in sorted(reached - ending):
        yield _err(f"steps.{sid}", "no way out: no path from here reaches an end")
    yield from _say_cycles(script)


def _say_cycles(script: Script) -> Iterator[Finding]:
    for step in script.steps.values():
        seen, sid = set(), step.id
        while sid in script.steps and script.steps[sid].kind == "say" and script.steps[sid].next:
            if script.steps[sid].next == RESUME:
                break
            if sid in seen:
                yield _err(f"steps.{step.id}", "say-only steps form a loop")
                break
            seen.add(sid)
            sid = script.steps[sid].next


def _all_texts(script: Script) -> Iterator[tuple[str, Text]]:
    for key, text in script.texts.items():
        yield f"texts.{key}", text
    for step in script.steps.values():
        if step.say is not None:
            yield f"steps.{step.id}.say", step.say
        for c in step.choices:
            yield f"steps.{step.id}.choices.{c.id}.label", c.label
    for key, text in {**script.condition_labels, **script.status_labels}.items():
        yield f"labels.{key}", text


def _texts(script: Script) -> Iterator[Finding]:
    for key in REQUIRED_TEXTS:
        if key not in script.texts:
            yield _err(f"texts.{key}", "missing")
    for where, text in _all_texts(script):
        if "*" not in text.sources:
            for lang in script.languages:
                if lang not in text.sources:
                    yield _err(where, f"missing translation: {lang}")
        for lang, error in text.errors.items():
            yield _err(f"{where}.{lang}", f"does not compile: {error}")
        for lang, source in text.sources.items():
            if lang in text.errors:
                continue
            try:
                unknown = meta.find_undeclared_variables(ENV.parse(source)) - VARIABLES - {"range"}
            except TemplateSyntaxError:
                continue
            for name in sorted(unknown):
                yield _err(f"{where}.{lang}", f"unknown variable {name!r}")


def _vocabulary(script: Script) -> Iterator[Finding]:
    for key in script.keywords.keys() - set(KEYWORDS):
        yield _err(f"keywords.{key}", f"unknown keyword; known: {', '.join(KEYWORDS)}")
    for key in set(KEYWORDS) - script.keywords.keys():
        yield _err(f"keywords.{key}", "missing")
    for lang in script.languages:
        if lang not in script.language_names:
            yield _err(f"language_names.{lang}", "missing")
    for step in script.steps.values():
        where = f"steps.{step.id}"
        if step.condition is not None and step.condition not in CONDITIONS:
            yield _err(where, f"unknown condition {step.condition!r}")
        if step.purpose is not None and step.purpose not in PURPOSES:
            yield _err(where, f"unknown consent purpose {step.purpose!r}")
        if step.status is not None and step.status not in CASE_STATUSES:
            yield _err(where, f"unknown status {step.status!r}")
        for c in step.choices:
            if c.record is not None and c.record not in STATUSES:
                yield _err(f"{where}.choices.{c.id}", f"unknown answer status {c.record!r}")
            for m in c.match:
                if m.startswith("@") and m[1:] not in script.synonyms:
                    yield _err(f"{where}.choices.{c.id}", f"unknown synonym set {m!r}")


def _rendered(script: Script) -> Iterator[Finding]:
    """Render every message with long sample values: neutral first line, SMS segments."""
    for lang in script.languages:
        for where, message in sample_messages(script, lang):
            if message.startswith("\x00"):
                yield _err(where, f"does not render: {message[1:]}")
                continue
            first_line = message.split("\n", 1)[0]
            if hit := REVEALING.search(first_line):
                yield _err(where, f"first line reveals too much on a lock screen: {hit.group()!r}")
            seg = count_segments(message)
            if seg.encoding == "UCS-2":
                yield Finding(
                    "warning",
                    where,
                    f"needs UCS-2 because of {seg.non_gsm!r}: {seg.count} SMS segment(s)",
                )
            if seg.count > MAX_SEGMENTS:
                yield Finding("warning", where, f"{seg.count} SMS segments ({seg.encoding})")


def sample_messages(
    script: Script, lang: str, facts: Facts = SAMPLE_FACTS
) -> Iterator[tuple[str, str]]:
    """Every message rendered with sample values; a failed render starts with NUL."""
    state = State(step=None, language=lang, appointment=SAMPLE_OFFER.to_dict())
    variables = template_variables(script, facts, SAMPLE_NOW, state)
    variables["offer"] = variables["appointment"]
    for step in script.steps.values():
        where = f"steps.{step.id}.{lang}"
        try:
            for message in prompts(script, step.id, facts, SAMPLE_NOW, lang, SAMPLE_OFFER):
                yield where, message.text
        except RenderError as exc:
            yield where, f"\x00{exc}"
    for key, text in script.texts.items():
        where = f"texts.{key}.{lang}"
        try:
            yield where, render(text.template(lang, script.default_language), variables)
        except RenderError as exc:
            yield where, f"\x00{exc}"
