"""Conversation scripts: YAML data describing steps, texts per language, and keywords."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Template, TemplateSyntaxError

from conversations.matching import Vocabulary, phrase_key, words
from conversations.render import compile_text

CONDITIONS = ("identity", "housing", "income", "debts", "care", "network", "children")
STATUSES = ("ok", "help", "unknown")
PURPOSES = ("share_with_municipality", "share_with_partners")
KEYWORDS = (
    "stop",
    "start",
    "help",
    "human",
    "language",
    "withdraw",
    "move",
    "unbook",
    "postpone",
)
CASE_STATUSES = (
    "new",
    "contacted",
    "responding",
    "completed",
    "refused",
    "wrong_person",
    "closed",
)
REQUIRED_TEXTS = (
    "stopped",
    "restarted",
    "help",
    "human",
    "withdrawn",
    "nothing_to_withdraw",
    "language_ask",
    "language_set",
    "welcome_back",
    "reask",
    "reask_human",
    "fallback",
    "finished",
    "reminder_1",
    "reminder_2",
    "nudge",
    "offer",
    "more_times",
    "no_time_fits",
    "time_taken",
    "appointment_cancelled",
    "no_appointment",
    "appointment_reminder",
    "appointment_set",
)
# Texts newer than the first scripts: a script without them still runs (see FALLBACK_TEXTS),
# the validator asks for them.
NEWER_TEXTS = (
    "ask_back",
    "ask_back_many",
    "ask_back_free",
    "ask_back_no",
    "confirm_yes",
    "confirm_no",
    "human_again",
    "postponement_pending",
    "idle",
    "appointment_kept",
    "language_switched",
)
# What the engine says when an older script lacks a newer text.
FALLBACK_TEXTS = {
    "ask_back": "reask",
    "ask_back_many": "reask",
    "ask_back_free": "reask",
    "ask_back_no": "welcome_back",
    "human_again": "human",
    "idle": "finished",
    "appointment_kept": "no_appointment",
}
# What the engine says when an older script lacks a newer text that has no older kin.
BUILTIN_TEXTS = {
    "confirm_yes": {"nl": "Ja", "en": "Yes"},
    "confirm_no": {"nl": "Nee", "en": "No"},
    "postponement_pending": {
        "nl": "U heeft al om uitstel gevraagd. Een medewerker neemt contact met u op.",
        "en": "You have already asked to postpone. Someone will contact you.",
    },
}
ANSWER_SETS = ("yes", "no", "ack")  # synonym sets of bare answer words ("ja", "nee", "ok")
SIDE_TOPICS = ("who", "why", "real", "cjib", "call", "data", "scared")
RESUME = "@resume"  # a `next` that returns to where a keyword detour started


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: `yes`, `no`, `y`, `n`, `on`, `off` stay words in scripts."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(source: str) -> Any:
    return yaml.load(source, Loader=_Loader)


class ScriptError(ValueError):
    """A script file that cannot be loaded at all (not YAML, wrong shape)."""


@dataclass(frozen=True)
class Text:
    """One message in every language of the script, as source and compiled template.

    In YAML a language's text is a string (reviewed) or `{draft: "..."}`: a translation
    nobody has reviewed yet (machine-made or new). Drafts are used, and listed for review.
    """

    sources: dict[str, str]
    templates: dict[str, Template] = field(compare=False, repr=False)
    errors: dict[str, str] = field(default_factory=dict, compare=False)
    drafts: frozenset[str] = frozenset()  # languages whose text awaits review

    @classmethod
    def parse(cls, raw: Any) -> Text:
        if isinstance(raw, str):
            raw = {"*": raw}
        if not isinstance(raw, dict):
            raise ScriptError(f"a text must be a mapping of language to text, not {raw!r}")
        sources, drafts = {}, set()
        for lang, value in raw.items():
            sources[str(lang)], draft = _source(lang, value)
            if draft:
                drafts.add(str(lang))
        templates, errors = {}, {}
        for lang, source in sources.items():
            try:
                templates[lang] = compile_text(source)
            except TemplateSyntaxError as exc:
                errors[lang] = f"line {exc.lineno}: {exc.message}"
        return cls(sources, templates, errors, frozenset(drafts))

    def template(self, language: str, fallback: str) -> Template:
        for lang in (language, fallback, "*"):
            if lang in self.templates:
                return self.templates[lang]
        raise KeyError(language)


def _source(lang: Any, value: Any) -> tuple[str, bool]:
    """A language's text and whether it is a draft: `"..."`, `{draft: ...}`, `{reviewed: ...}`."""
    if isinstance(value, dict):
        if set(value) == {"draft"}:
            return str(value["draft"]), True
        if set(value) == {"reviewed"}:
            return str(value["reviewed"]), False
        raise ScriptError(f"text in {lang!r}: a string, {{draft: ...}} or {{reviewed: ...}}")
    return str(value), False


@dataclass(frozen=True)
class SideQuestion:
    """A question people ask instead of answering ("wie ben jij?"), answered from the script."""

    topic: str
    match: tuple[str, ...]
    say: Text


@dataclass(frozen=True)
class Choice:
    id: str
    label: Text
    match: tuple[str, ...]
    next: str | None
    record: str | None = None  # condition status this choice records
    consent: bool | None = None  # for a step with a consent purpose
    alert: str | None = None  # escalation reason raised at once
    opt_out: bool = False
    return_to: str | None = None  # after the next condition is answered, go here
    maybe: tuple[str, ...] = ()  # phrases that suggest this choice but never decide it
    means: Text | None = None  # what choosing it means, for "Bedoelt u: ...?"


@dataclass(frozen=True)
class Step:
    id: str
    say: Text | None
    next: str | None = None
    choices: tuple[Choice, ...] = ()
    text_next: str | None = None  # set for a free-text step
    condition: str | None = None
    purpose: str | None = None
    fallback: str | None = None
    wake: str | None = None  # for an end step: where a later message is read
    booked: str | None = None  # for a booking step: next step after a booking
    none_fit: str | None = None  # for a booking step: next step when no time fits
    escalate: str | None = None  # for a text step: raise this escalation with the text
    status: str | None = None
    timeout_working_days: int | None = None

    @property
    def kind(self) -> str:
        if self.booked is not None:
            return "booking"
        if self.choices:
            return "choice"
        if self.text_next is not None:
            return "text"
        return "say"

    def choice(self, choice_id: str) -> Choice:
        return next(c for c in self.choices if c.id == choice_id)


@dataclass(frozen=True, repr=False)
class Script:
    id: str
    version: int
    languages: tuple[str, ...]
    start: str
    steps: dict[str, Step]
    texts: dict[str, Text]
    synonyms: dict[str, tuple[str, ...]]
    keywords: dict[str, dict[str, tuple[str, ...]]]  # keyword -> language -> forms
    language_names: dict[str, tuple[str, ...]]
    condition_labels: dict[str, Text]
    status_labels: dict[str, Text]
    after_withdraw: str | None = None
    timeout_working_days: int | None = None  # default for waiting steps; 0 = none
    keyword_steps: dict[str, str] = field(default_factory=dict)  # postpone -> its first step
    mode_labels: dict[str, Text] = field(default_factory=dict)
    side_questions: dict[str, SideQuestion] = field(default_factory=dict)
    source: str = field(default="", compare=False, repr=False)

    def __repr__(self) -> str:
        return f"<Script {self.id} v{self.version}>"

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def phrases(self, choice: Choice) -> list[str]:
        """Every phrase that selects a choice: its labels and expanded synonyms."""
        return [*choice.label.sources.values(), *self.expand(choice.match)]

    def expand(self, match: tuple[str, ...]) -> list[str]:
        """Phrases with `@set` replaced by that synonym set."""
        out: list[str] = []
        for m in match:
            out.extend(self.synonyms.get(m.removeprefix("@"), ()) if m.startswith("@") else (m,))
        return out

    def vocabulary(self, choice: Choice) -> Vocabulary:
        """What a reply may say to mean this choice; labels with a variable are left out.

        A choice of this version's steps has its vocabulary made once (a version never
        changes); any other is made on the spot."""
        found = self._vocabularies.get(id(choice))
        return found if found is not None else _vocabulary(self, choice)

    @cached_property
    def _vocabularies(self) -> dict[int, Vocabulary]:
        """Each step's choices' vocabularies, by the choice's identity (the script holds
        its choices, so no other object takes their ids)."""
        return {
            id(choice): _vocabulary(self, choice)
            for step in self.steps.values()
            for choice in step.choices
        }

    @cached_property
    def answer_words(self) -> frozenset[str]:
        """Bare answer words ("ja", "nee", "ok", "tak", "evet"): weaker than specific phrases."""
        found = set()
        for name in ANSWER_SETS:
            for phrase in self.synonyms.get(name, ()):
                found.update(phrase_key(w) for w in words(phrase))
        return frozenset(found)

    def text(self, key: str) -> Text:
        """A fixed text; an older script without a newer text gets its nearest older one."""
        found = self.texts.get(key)
        if found is None and key in FALLBACK_TEXTS:
            found = self.texts.get(FALLBACK_TEXTS[key])
        if found is None and key in BUILTIN_TEXTS:
            found = Text.parse(BUILTIN_TEXTS[key])
        if found is None:
            raise KeyError(f"script {self.id} has no text {key!r}")
        return found

    @cached_property
    def near_booking(self) -> frozenset[str]:
        """Steps from which one reply can reach the booking step (free times are needed)."""
        target = self.booking_step
        if target is None:
            return frozenset()

        def leads_there(step_id: str | None) -> bool:
            for _ in range(50):
                if step_id == target:
                    return True
                step = self.steps.get(step_id or "")
                if step is None or step.kind != "say":
                    return False
                step_id = step.next
            return False

        near = {target}
        for step in self.steps.values():
            following = [step.next, step.text_next, *(c.next for c in step.choices)]
            if any(leads_there(t) for t in following):
                near.add(step.id)
        return frozenset(near)

    @cached_property
    def booking_step(self) -> str | None:
        return next((s.id for s in self.steps.values() if s.kind == "booking"), None)

    @cached_property
    def keyword_forms(self) -> dict[str, tuple[str, ...]]:
        """Keyword -> its forms in every language, normalised as replies are."""
        return {
            keyword: tuple(phrase_key(form) for forms in by_lang.values() for form in forms)
            for keyword, by_lang in self.keywords.items()
        }


@functools.lru_cache(maxsize=32)
def load_script(source: str, name: str = "<script>") -> Script:
    """A script from its YAML source, its templates compiled. Scripts are frozen, so the
    same source is parsed and compiled once per process (about a second for the intake)."""
    try:
        raw = parse_yaml(source)
    except yaml.YAMLError as exc:
        raise ScriptError(f"{name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ScriptError(f"{name}: a script is a mapping with id, version, steps")
    try:
        return _build(raw, source)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ScriptError(f"{name}: malformed script ({type(exc).__name__}: {exc})") from exc


def _build(raw: dict[str, Any], source: str) -> Script:
    steps = {str(sid): _step(str(sid), body or {}) for sid, body in raw["steps"].items()}
    return Script(
        id=str(raw["id"]),
        version=int(raw["version"]),
        languages=tuple(raw["languages"]),
        start=str(raw["start"]),
        steps=steps,
        texts={k: Text.parse(v) for k, v in (raw.get("texts") or {}).items()},
        synonyms={k: tuple(map(str, v)) for k, v in (raw.get("synonyms") or {}).items()},
        keywords={
            k: {lang: tuple(map(str, forms)) for lang, forms in by_lang.items()}
            for k, by_lang in (raw.get("keywords") or {}).items()
        },
        language_names={
            k: tuple(map(str, v)) for k, v in (raw.get("language_names") or {}).items()
        },
        condition_labels={k: Text.parse(v) for k, v in (raw.get("conditions") or {}).items()},
        status_labels={k: Text.parse(v) for k, v in (raw.get("statuses") or {}).items()},
        after_withdraw=raw.get("after_withdraw"),
        timeout_working_days=(raw.get("timeout") or {}).get("working_days"),
        keyword_steps={str(k): str(v) for k, v in (raw.get("keyword_steps") or {}).items()},
        mode_labels={k: Text.parse(v) for k, v in (raw.get("modes") or {}).items()},
        side_questions={
            str(topic): SideQuestion(
                str(topic), tuple(map(str, body["match"])), Text.parse(body["say"])
            )
            for topic, body in (raw.get("side_questions") or {}).items()
        },
        source=source,
    )


def _step(sid: str, body: dict[str, Any]) -> Step:
    text = body.get("text")
    timeout = body.get("timeout") or {}
    booking = body.get("booking") or {}
    return Step(
        id=sid,
        say=Text.parse(body["say"]) if "say" in body else None,
        next=body.get("next"),
        choices=tuple(_choice(c) for c in body.get("choices") or ()),
        text_next=(text or {}).get("next") if text is not None else None,
        condition=body.get("condition"),
        purpose=body.get("consent"),
        fallback=body.get("fallback"),
        wake=body.get("wake"),
        status=body.get("status"),
        timeout_working_days=timeout.get("working_days"),
        booked=booking.get("booked"),
        none_fit=booking.get("none_fit"),
        escalate=(text or {}).get("escalate") if text is not None else None,
    )


def _choice(raw: dict[str, Any]) -> Choice:
    return Choice(
        id=str(raw["id"]),
        label=Text.parse(raw["label"]),
        match=tuple(map(str, raw.get("match") or ())),
        next=raw.get("next"),
        record=raw.get("record"),
        consent=raw.get("consent"),
        alert=raw.get("alert"),
        opt_out=bool(raw.get("opt_out", False)),
        return_to=raw.get("return_to"),
        maybe=tuple(map(str, raw.get("maybe") or ())),
        means=Text.parse(raw["means"]) if "means" in raw else None,
    )


def default_scripts_dir() -> Path:
    return Path(__file__).parent / "scripts"


def load_script_file(path: Path) -> Script:
    try:
        source = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"{path.name}: cannot read: {exc}") from exc
    return load_script(source, path.name)


def load_default_scripts() -> dict[str, Script]:
    scripts = [load_script_file(p) for p in sorted(default_scripts_dir().glob("*.yaml"))]
    return {s.id: s for s in scripts}


def locations(script: Script) -> Iterator[tuple[str, Text]]:
    """Every translatable text of a script with its location, in script order."""
    for key, text in script.texts.items():
        yield f"texts.{key}", text
    for step in script.steps.values():
        if step.say is not None:
            yield f"steps.{step.id}.say", step.say
        for c in step.choices:
            yield f"steps.{step.id}.choices.{c.id}.label", c.label
            if c.means is not None:
                yield f"steps.{step.id}.choices.{c.id}.means", c.means
    for section, labels in (
        ("conditions", script.condition_labels),
        ("statuses", script.status_labels),
        ("modes", script.mode_labels),
    ):
        for key, text in labels.items():
            yield f"{section}.{key}", text
    for topic, side in script.side_questions.items():
        yield f"side_questions.{topic}.say", side.say


def _vocabulary(script: Script, choice: Choice) -> Vocabulary:
    labels = [s for s in choice.label.sources.values() if "{" not in s]
    return Vocabulary(
        tuple([*labels, *script.expand(choice.match)]), tuple(script.expand(choice.maybe))
    )
