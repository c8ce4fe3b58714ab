"""`voorzorg scripts validate`: everything that can be wrong with a script, before it runs."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from jinja2 import TemplateSyntaxError, meta

from conversations.engine import prompts
from conversations.render import ENV, RenderError, render
from conversations.script import (
    CASE_STATUSES,
    CONDITIONS,
    KEYWORDS,
    NEWER_TEXTS,
    PURPOSES,
    REQUIRED_TEXTS,
    RESUME,
    STATUSES,
    Script,
    locations,
)
from conversations.segments import count_segments
from conversations.state import Facts, Offer, State
from conversations.variables import VARIABLES, template_variables
from locales import N_

MAX_SEGMENTS = 2  # GSM-7: more is warned
MAX_UCS2_SEGMENTS = 3  # Arabic, Polish, Turkish need UCS-2 (70 characters a segment)
UCS2_LANGUAGES = frozenset({"ar", "pl", "tr"})  # their letters are not in GSM-7
LOCK_SCREEN_LINES = 2
LOCK_SCREEN_CHARS = 100
# Words that must never show on a lock screen: justice, prison, probation, reporting.
REVEALING = re.compile(
    r"gevangenis|detentie|gedetineerd|celstraf|straf|penitentiair|\bPI\b|bajes|justitie|"
    r"reclassering|veroordeel|vonnis|rechter|\bcel\b|zelfmeld|\bmelden\b|"
    r"prison|jail|detention|sentence|inmate|custody|probation|convict|court|\breport\b|"
    r"więzie|wiezie|areszt|wyrok|kurator|zgłosić|zglosic|"
    r"cezaevi|hapis|ceza|tutuklu|mahkum|denetimli|teslim ol|"
    r"سجن|حبس|عقوب|احتجاز|محكوم|مراقبة السلوك|تسلم نفسك",
    re.IGNORECASE,
)
# A sender name is the first thing on a lock screen: these hint at justice.
JUSTICE_HINTS = re.compile(
    REVEALING.pattern + r"|\bDJI\b|\bCJIB\b|\bOM\b|veiligheidshuis|politie|police|\bZVH\b",
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
# Short values bring a message's words closest to the start: the lock-screen check uses them.
SHORT_FACTS = replace(
    SAMPLE_FACTS, first_name="Sam", organisation="Venlo", sender="Venlo", organisation_phone=""
)


@dataclass(frozen=True)
class Finding:
    """One problem in a script. `template` is English with `{names}` for `params`, marked
    for the catalogs, so the editor can show it in the reader's language."""

    level: str  # "error" or "warning"
    where: str
    template: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        return self.template.format(**dict(self.params))

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"

    def said(self, translate: Callable[[str], str]) -> str:
        """The finding in another language: `translate` maps English to it (gettext)."""
        text = translate(self.template).format(**dict(self.params))
        return f"{translate(self.level)}: {self.where}: {text}"


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


def _err(where: str, template: str, **params: object) -> Finding:
    return Finding("error", where, template, tuple((k, str(v)) for k, v in params.items()))


def _warn(where: str, template: str, **params: object) -> Finding:
    return Finding("warning", where, template, tuple((k, str(v)) for k, v in params.items()))


def _references(script: Script) -> Iterator[Finding]:
    steps = script.steps
    if script.start not in steps:
        yield _err("start", N_("unknown step {step}"), step=repr(script.start))
    if script.after_withdraw and script.after_withdraw not in steps:
        yield _err("after_withdraw", N_("unknown step {step}"), step=repr(script.after_withdraw))
    for keyword, target in script.keyword_steps.items():
        if target not in steps:
            yield _err(f"keyword_steps.{keyword}", N_("unknown step {step}"), step=repr(target))
    for step in steps.values():
        where = f"steps.{step.id}"
        for target in _targets(step):
            if target not in steps:
                yield _err(where, N_("unknown step {step}"), step=repr(target))
        if step.kind == "say" and step.say is None:
            yield _err(where, N_("a step needs `say`, `choices` or `text`"))
        ids = [c.id for c in step.choices]
        if len(ids) != len(set(ids)):
            yield _err(where, N_("two choices share an id"))
        if step.fallback is not None and step.fallback not in ids:
            yield _err(
                where,
                N_("fallback names no choice of this step: {choice}"),
                choice=repr(step.fallback),
            )
        if step.wake is not None and step.kind != "say":
            yield _err(where, N_("only a step that ends the conversation can have `wake`"))
        if step.kind == "booking" and step.none_fit is None:
            yield _err(where, N_("a booking step needs `none_fit`: where to go when no time fits"))
        if step.kind == "choice" and step.fallback is None:
            yield _err(
                where, N_("a choice step needs a `fallback` choice for replies never understood")
            )


def _targets(step) -> list[str]:
    out = [step.next, step.text_next, step.booked, step.none_fit, step.wake]
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
        yield _err(f"steps.{sid}", N_("unreachable from the start step"))
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
        yield _err(f"steps.{sid}", N_("no way out: no path from here reaches an end"))
    yield from _say_cycles(script)


def _say_cycles(script: Script) -> Iterator[Finding]:
    for step in script.steps.values():
        seen, sid = set(), step.id
        while sid in script.steps and script.steps[sid].kind == "say" and script.steps[sid].next:
            if script.steps[sid].next == RESUME:
                break
            if sid in seen:
                yield _err(f"steps.{step.id}", N_("say-only steps form a loop"))
                break
            seen.add(sid)
            sid = script.steps[sid].next


def _texts(script: Script) -> Iterator[Finding]:
    for key in REQUIRED_TEXTS:
        if key not in script.texts:
            yield _err(f"texts.{key}", N_("missing"))
    for key in NEWER_TEXTS:
        if key not in script.texts:
            yield _warn(f"texts.{key}", N_("missing: the engine falls back to an older text"))
    for where, text in locations(script):
        if "*" not in text.sources:
            for lang in script.languages:
                if lang not in text.sources:
                    yield _err(where, N_("missing translation: {language}"), language=lang)
        for lang, error in text.errors.items():
            yield _err(f"{where}.{lang}", N_("does not compile: {error}"), error=error)
        for lang, source in text.sources.items():
            if lang in text.errors:
                continue
            try:
                unknown = meta.find_undeclared_variables(ENV.parse(source)) - VARIABLES - {"range"}
            except TemplateSyntaxError:
                continue
            for name in sorted(unknown):
                yield _err(f"{where}.{lang}", N_("unknown variable {name}"), name=repr(name))


def _vocabulary(script: Script) -> Iterator[Finding]:
    for key in script.keywords.keys() - set(KEYWORDS):
        yield _err(
            f"keywords.{key}", N_("unknown keyword; known: {known}"), known=", ".join(KEYWORDS)
        )
    for key in set(KEYWORDS) - script.keywords.keys():
        yield _err(f"keywords.{key}", N_("missing"))
    for lang in script.languages:
        if lang not in script.language_names:
            yield _err(f"language_names.{lang}", N_("missing"))
    for step in script.steps.values():
        where = f"steps.{step.id}"
        if step.condition is not None and step.condition not in CONDITIONS:
            yield _err(where, N_("unknown condition {name}"), name=repr(step.condition))
        if step.purpose is not None and step.purpose not in PURPOSES:
            yield _err(where, N_("unknown consent purpose {name}"), name=repr(step.purpose))
        if step.status is not None and step.status not in CASE_STATUSES:
            yield _err(where, N_("unknown status {name}"), name=repr(step.status))
        for c in step.choices:
            if c.record is not None and c.record not in STATUSES:
                yield _err(
                    f"{where}.choices.{c.id}",
                    N_("unknown answer status {name}"),
                    name=repr(c.record),
                )
            for m in (*c.match, *c.maybe):
                if m.startswith("@") and m[1:] not in script.synonyms:
                    yield _err(
                        f"{where}.choices.{c.id}", N_("unknown synonym set {name}"), name=repr(m)
                    )
    for topic, side in script.side_questions.items():
        if not side.match:
            yield _err(f"side_questions.{topic}", N_("needs `match`: what people write to ask it"))


def _rendered(script: Script) -> Iterator[Finding]:
    """Render every message: a neutral lock screen (short sample values), SMS segments
    (long sample values)."""
    for lang in script.languages:
        for where, message in sample_messages(script, lang, SHORT_FACTS):
            if not message.startswith("\x00") and (hit := REVEALING.search(lock_screen(message))):
                yield _err(
                    where,
                    N_("the lock screen (first two lines) reveals too much: {word}"),
                    word=repr(hit.group()),
                )
        for where, message in sample_messages(script, lang):
            if message.startswith("\x00"):
                yield _err(where, N_("does not render: {error}"), error=message[1:])
                continue
            yield from _segments(where, lang, message)


def _segments(where: str, lang: str, message: str) -> Iterator[Finding]:
    seg = count_segments(message)
    if seg.encoding == "UCS-2" and lang not in UCS2_LANGUAGES:
        yield _warn(
            where,
            N_("needs UCS-2 because of {characters}: {count} SMS segment(s)"),
            characters=repr(seg.non_gsm),
            count=seg.count,
        )
    if seg.encoding == "UCS-2" and seg.count > MAX_UCS2_SEGMENTS:
        yield _err(
            where,
            N_(
                "{count} SMS segments in UCS-2 (at most {most}, {characters} characters): "
                "shorten it or split it into two messages"
            ),
            count=seg.count,
            most=MAX_UCS2_SEGMENTS,
            characters=MAX_UCS2_SEGMENTS * 67,
        )
    elif seg.encoding == "GSM-7" and seg.count > MAX_SEGMENTS:
        yield _warn(
            where, N_("{count} SMS segments ({encoding})"), count=seg.count, encoding=seg.encoding
        )


def lock_screen(message: str) -> str:
    """What a phone shows of a message before it is opened: two lines, about 100 characters."""
    lines = message.split("\n")[:LOCK_SCREEN_LINES]
    return "\n".join(lines)[:LOCK_SCREEN_CHARS]


def sender_warnings(sender: str) -> list[str]:
    """Warnings for an organisation's sender name: it heads every message on a lock screen."""
    found = dict.fromkeys(m.group() for m in JUSTICE_HINTS.finditer(sender))
    return [
        f"the sender name {sender!r} hints at justice ({word!r}) on a lock screen; "
        "prefer a neutral name, such as the municipality's"
        for word in found
    ]


def sample_messages(
    script: Script, lang: str, facts: Facts = SAMPLE_FACTS
) -> Iterator[tuple[str, str]]:
    """Every message rendered with sample values; a failed render starts with NUL."""
    state = State(step=None, language=lang, appointment=SAMPLE_OFFER.to_dict())
    variables = template_variables(script, facts, SAMPLE_NOW, state)
    variables["offer"] = variables["appointment"]
    variables["meaning"] = "uw schulden zijn geregeld"
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
