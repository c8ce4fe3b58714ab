"""The conversation engine: (state, script, input, facts, now) -> (state, messages, effects).

Pure and deterministic: no I/O, no clock. Every conversation can be replayed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from conversations import booking
from conversations.calendar import add_working_days
from conversations.matching import match_choice, match_keyword, meaningful, phrase_key, words
from conversations.render import render
from conversations.script import CONDITIONS, RESUME, Choice, Script, Step, Text
from conversations.state import (
    MAX_NOTE_CHARS,
    AnswerRecorded,
    ConsentChanged,
    Effect,
    Escalated,
    Facts,
    LanguageChanged,
    Message,
    Offer,
    OptedIn,
    OptedOut,
    Outcome,
    State,
    StatusChanged,
    TimerStarted,
)

TIMEZONE = ZoneInfo("Europe/Amsterdam")
MAX_CHAIN = 50  # say-only steps entered in one turn; validation forbids cycles anyway
FREE_TEXT_MIN_WORDS = 3
VARIABLES = frozenset(
    {
        "first_name",
        "report_date",
        "days_left",
        "invite_code",
        "organisation",
        "organisation_phone",
        "organisation_address",
        "sender",
        "prison",
        "language",
        "answers",
        "appointment",
        "offer",
    }
)


def begin(script: Script, facts: Facts, now: dt.datetime, language: str | None = None) -> Outcome:
    """The first messages of a new conversation."""
    lang = language if language in script.languages else script.default_language
    turn = _Turn(script, facts, now, State(step=None, language=lang))
    turn.enter(script.start)
    return turn.outcome()


def reply(state: State, script: Script, text: str, facts: Facts, now: dt.datetime) -> Outcome:
    """What the bot does with one message from the self-reporter."""
    turn = _Turn(script, facts, now, state)
    turn.handle(text)
    return turn.outcome()


def prompts(
    script: Script,
    step_id: str,
    facts: Facts,
    now: dt.datetime,
    language: str,
    appointment: Offer | None = None,
) -> list[Message]:
    """The message(s) a step shows, as the person would see them (for checks and previews)."""
    booked = appointment.to_dict() if appointment else None
    turn = _Turn(script, facts, now, State(step=step_id, language=language, appointment=booked))
    step = script.steps[step_id]
    if step.kind == "say":
        if step.say is not None:
            turn.messages.append(Message(turn.render(step.say)))
    else:
        turn.prompt()
    return turn.messages


def remind(state: State, script: Script, key: str, facts: Facts, now: dt.datetime) -> Outcome:
    """A reminder or nudge (`texts.<key>`), then the open question again."""
    turn = _Turn(script, facts, now, state)
    if not state.opted_out:
        turn.say(key)
        turn.prompt()
    return turn.outcome()


def resume(state: State, script: Script, facts: Facts, now: dt.datetime) -> Outcome:
    """Repeat the open question, e.g. after a channel (re)binds to the case."""
    turn = _Turn(script, facts, now, state)
    if not state.opted_out:
        turn.say("welcome_back")
        turn.prompt()
    return turn.outcome()


class _Turn:
    def __init__(self, script: Script, facts: Facts, now: dt.datetime, state: State):
        self.script = script
        self.facts = facts
        self.now = now
        self.state = state
        self.messages: list[Message] = []
        self.effects: list[Effect] = []

    def outcome(self) -> Outcome:
        return Outcome(self.state, tuple(self.messages), tuple(self.effects))

    # -- input ------------------------------------------------------------------------

    def handle(self, text: str) -> None:
        keyword = match_keyword(text, self.script.keyword_forms)
        if self.state.opted_out:
            self._while_opted_out(keyword)
            return
        if keyword == "stop":
            self.state = self.state.evolve(opted_out=True, picking_language=False)
            self.effects.append(OptedOut())
            self.say("stopped")
            return
        if self.state.picking_language:
            self._pick_language(text)
            return
        step = self.current_step
        if step is not None and step.kind == "choice":
            index = match_choice(text, [self.script.phrases(c) for c in step.choices])
            if index is not None:
                self.choose(step, step.choices[index])
                return
        if step is not None and step.kind == "booking" and booking.reply(self, step, text):
            return
        if keyword is not None:
            self._keyword(keyword, text)
        elif (lang := self._language_named(text)) is not None:
            self._set_language(lang)
            self.prompt()
        elif self._is_invite_code(text):
            self.say("welcome_back")
            self.prompt()
        elif step is None:
            self.say("finished")
        elif step.kind == "text":
            self._free_text(step, text)
        else:
            self._choice_text(step, text)

    def _while_opted_out(self, keyword: str | None) -> None:
        if keyword == "start":
            self.state = self.state.evolve(opted_out=False)
            self.effects.append(OptedIn())
            self.say("restarted")
            self.prompt()
        elif keyword == "help":
            self.say("help")

    def _keyword(self, keyword: str, text: str) -> None:
        if keyword == "help":
            self.say("help")
        elif keyword == "human":
            self.effects.append(Escalated("asked_for_human"))
            self.say("human")
        elif keyword == "language":
            lang = self._language_named(text, allow_keyword=True)
            if lang is None:
                self._ask_language()
                return
            self._set_language(lang)
        elif keyword == "withdraw":
            self._withdraw()
            return
        elif keyword in ("move", "unbook"):
            self._rebook(keyword)
            return
        elif keyword == "postpone" and (detour := self.script.keyword_steps.get("postpone")):
            self.state = self.state.evolve(resume=self.state.step, return_to=None)
            self.enter(detour)
            return
        elif keyword == "start":
            self.say("welcome_back")
        self.prompt()

    def _rebook(self, keyword: str) -> None:
        target = self.script.booking_step
        if target is None or not booking.cancel(self):
            self.say("no_appointment")
            self.prompt()
            return
        if keyword == "unbook":
            self.say("appointment_cancelled")
        self.state = self.state.evolve(resume=None, return_to=None)
        self.enter(target)

    def _choice_text(self, step: Step, text: str) -> None:
        if step.free_text and len(meaningful(words(text))) >= FREE_TEXT_MIN_WORDS:
            self.choose(step, step.choice(step.free_text), note=text)
        else:
            self._not_understood(step)

    def _free_text(self, step: Step, text: str) -> None:
        if not words(text) and not text.strip():
            self._not_understood(step)
            return
        skip = self.script.synonyms.get("skip", ())
        if match_choice(text, [skip]) == 0 or phrase_key(text).isdigit():
            self.go(step, step.text_next)
            return
        if step.condition:
            self._record_note(step.condition, text)
        if step.escalate:
            self.effects.append(Escalated(step.escalate, text[:MAX_NOTE_CHARS]))
        self.go(step, step.text_next)

    def _not_understood(self, step: Step) -> None:
        misses = self.state.misses + 1
        if misses <= 2:
            self.state = self.state.evolve(misses=misses)
            self.say("reask" if misses == 1 else "reask_human")
            self.prompt()
            return
        self.say("fallback")
        if step.kind == "booking":
            booking.none_fit(self, step)
        elif step.kind == "text":
            self.go(step, step.text_next)
        else:
            self.choose(step, step.choice(step.fallback or step.choices[-1].id))

    # -- moving through the script ------------------------------------------------------

    @property
    def current_step(self) -> Step | None:
        return self.script.steps.get(self.state.step) if self.state.step else None

    def choose(self, step: Step, choice: Choice, note: str | None = None) -> None:
        if step.condition and choice.record:
            self._record(step.condition, choice.record, note)
        if step.purpose and choice.consent is not None:
            self._consent(step.purpose, choice.consent)
        if choice.alert:
            self.effects.append(Escalated(choice.alert))
        if choice.opt_out:
            self.state = self.state.evolve(opted_out=True)
            self.effects.append(OptedOut())
        target = choice.next
        following = self.script.steps.get(target) if target else None
        if (
            note
            and following
            and following.kind == "text"
            and following.condition == step.condition
        ):
            target = following.text_next  # they already told us; do not ask again
        if choice.return_to:
            self.state = self.state.evolve(return_to=choice.return_to)
        self.go(step, target)

    def go(self, origin: Step, target: str | None) -> None:
        if target == RESUME:
            target, self.state = self.state.resume, self.state.evolve(resume=None)
        back = self.state.return_to
        if back and origin.condition:
            following = self.script.steps.get(target) if target else None
            if following is None or following.condition != origin.condition:
                self.state = self.state.evolve(return_to=None)
                target = back
        if target is None:
            self.state = self.state.evolve(step=None, misses=0)
            return
        self.enter(target)

    def enter(self, step_id: str) -> None:
        for _ in range(MAX_CHAIN):
            step = self.script.steps[step_id]
            self.state = self.state.evolve(step=step_id, misses=0)
            if step.status:
                self.effects.append(StatusChanged(step.status))
            if step.kind == "booking" and not booking.enter(self, step):
                if step.none_fit is None:
                    self.state = self.state.evolve(step=None)
                    return
                step_id = step.none_fit
                continue
            if step.kind != "say":
                self._start_timer(step)
                if step.kind != "booking":
                    self.prompt()
                return
            if step.say is not None:
                self.messages.append(Message(self.render(step.say)))
            following = step.next
            if following == RESUME:
                following, self.state = self.state.resume, self.state.evolve(resume=None)
            if following is None:
                self.state = self.state.evolve(step=None)
                return
            step_id = following
        raise RuntimeError(f"script {self.script.id} chains more than {MAX_CHAIN} steps")

    def _start_timer(self, step: Step) -> None:
        days = step.timeout_working_days
        if days is None:
            days = self.script.timeout_working_days
        if days:
            self.effects.append(TimerStarted(step.id, add_working_days(self.now, days)))

    def prompt(self) -> None:
        step = self.current_step
        if step is None or step.kind == "say":
            return
        if step.kind == "booking":
            booking.prompt(self, step)
            return
        text = self.render(step.say) if step.say else ""
        labels = tuple(self.render(c.label) for c in step.choices)
        options = "\n".join(f"{n} {label}" for n, label in enumerate(labels, 1))
        self.messages.append(Message("\n".join(p for p in (text, options) if p), labels))

    # -- effects on the record --------------------------------------------------------------

    def _record(self, condition: str, status: str, note: str | None) -> None:
        note = note[:MAX_NOTE_CHARS] if note else None
        answers = {**self.state.answers, condition: {"status": status, "note": note}}
        self.state = self.state.evolve(answers=answers)
        self.effects.append(AnswerRecorded(condition, status, note))

    def _record_note(self, condition: str, note: str) -> None:
        status = (self.state.answers.get(condition) or {}).get("status") or "help"
        self._record(condition, str(status), note)

    def _consent(self, purpose: str, given: bool) -> None:
        self.state = self.state.evolve(consent={**self.state.consent, purpose: given})
        self.effects.append(ConsentChanged(purpose, given))

    def _withdraw(self) -> None:
        given = [p for p, ok in self.state.consent.items() if ok]
        if not given:
            self.say("nothing_to_withdraw")
            self.prompt()
            return
        for purpose in given:
            self._consent(purpose, False)
        self.effects.append(StatusChanged("refused"))
        self.state = self.state.evolve(return_to=None)
        self.say("withdrawn")
        if self.script.after_withdraw:
            self.enter(self.script.after_withdraw)
        else:
            self.state = self.state.evolve(step=None)

    # -- language --------------------------------------------------------------------------

    def _language_named(self, text: str, allow_keyword: bool = False) -> str | None:
        tokens = meaningful(words(text))
        if allow_keyword:
            tokens = tokens[1:] if len(tokens) > 1 else []
        if len(tokens) != 1:
            return None
        for lang, names in self.script.language_names.items():
            if lang in self.script.languages and any(phrase_key(n) == tokens[0] for n in names):
                return lang
        return None

    def _ask_language(self) -> None:
        self.state = self.state.evolve(picking_language=True)
        names = [self.script.language_names.get(lang, (lang,))[0] for lang in self.script.languages]
        options = "\n".join(f"{n} {name}" for n, name in enumerate(names, 1))
        self.messages.append(Message(f"{self.render_key('language_ask')}\n{options}", tuple(names)))

    def _pick_language(self, text: str) -> None:
        options = [
            [*self.script.language_names.get(lang, ()), lang] for lang in self.script.languages
        ]
        index = match_choice(text, options)
        self.state = self.state.evolve(picking_language=False)
        if index is None:
            self.handle(text)  # they ignored the menu: treat it as an ordinary message
            return
        self._set_language(self.script.languages[index])
        self.prompt()

    def _set_language(self, lang: str) -> None:
        if lang != self.state.language:
            self.state = self.state.evolve(language=lang)
            self.effects.append(LanguageChanged(lang))
        self.say("language_set")

    # -- rendering -------------------------------------------------------------------------

    def _is_invite_code(self, text: str) -> bool:
        squashed = "".join(words(text)).upper()
        return squashed == self.facts.invite_code.upper()

    def say(self, key: str) -> None:
        self.messages.append(Message(self.render_key(key)))

    def add_message(self, text: str, choices: tuple[str, ...] = ()) -> None:
        self.messages.append(Message(text, choices))

    def render_key(self, key: str, **extra: Any) -> str:
        return self.render(self.script.texts[key], **extra)

    def render(self, text: Text, **extra: Any) -> str:
        template = text.template(self.state.language, self.script.default_language)
        return render(template, {**self._vars(), **extra})

    def _vars(self) -> dict[str, Any]:
        return template_variables(self.script, self.facts, self.now, self.state)


def template_variables(
    script: Script, facts: Facts, now: dt.datetime, state: State
) -> dict[str, Any]:
    """The names a script text can use; VARIABLES lists them for the validator."""
    today = now.astimezone(TIMEZONE).date()
    return {
        "first_name": facts.first_name,
        "report_date": facts.report_date,
        "days_left": (facts.report_date - today).days,
        "invite_code": facts.invite_code,
        "organisation": facts.organisation,
        "organisation_phone": facts.organisation_phone,
        "organisation_address": facts.organisation_address,
        "sender": facts.sender,
        "prison": facts.prison,
        "language": state.language,
        "answers": _summary(script, state),
        "appointment": _appointment(script, state),
    }


def _appointment(script: Script, state: State) -> dict[str, Any] | None:
    if not state.appointment:
        return None
    return booking.offer_vars(script, state.language, Offer.from_dict(state.appointment))


def _summary(script: Script, state: State) -> list[dict[str, Any]]:
    lang, default = state.language, script.default_language

    def label(text: Text | None, fallback: str) -> str:
        return text.template(lang, default).render() if text else fallback

    rows = []
    for condition in CONDITIONS:
        answer = state.answers.get(condition)
        if answer:
            status = str(answer["status"])
            rows.append(
                {
                    "condition": condition,
                    "label": label(script.condition_labels.get(condition), condition),
                    "status": status,
                    "status_label": label(script.status_labels.get(status), status),
                    "note": answer.get("note") or "",
                }
            )
    return rows
