"""The conversation engine: (state, script, input, facts, now) -> (state, messages, effects).

Pure and deterministic: no I/O, no clock. Every conversation can be replayed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from conversations import booking, detours, language
from conversations.matching import (
    NOTHING,
    Understanding,
    Vocabulary,
    is_free_text,
    match_choice,
    match_keyword,
    phrase_key,
    understand,
    words,
)
from conversations.render import render
from conversations.script import RESUME, Choice, Script, Step, Text
from conversations.state import (
    MAX_NOTE_CHARS,
    AnswerRecorded,
    ConsentChanged,
    Effect,
    Escalated,
    EscalationCorrected,
    Facts,
    Message,
    Offer,
    OptedOut,
    Outcome,
    State,
    StatusChanged,
    TimerStarted,
)
from conversations.variables import template_variables

MAX_CHAIN = 50  # say-only steps entered in one turn; validation forbids cycles anyway
# MENS twice, UITSTEL twice: one escalation. After this many working days without news
# the same request counts as new (contacts promise an answer within 1 or 2 working days).
ESCALATION_OPEN_WORKING_DAYS = 3


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


@dataclass(frozen=True)
class Reading:
    """How the engine read one message: `choice` (value: its id), `ask` (asked back;
    value: the candidate ids), `side` (a side question; value: its topic), `keyword`,
    `note` (free text kept), `skip`, `language` (the menu offered), `unclear`."""

    kind: str
    value: str = ""


def read(
    state: State, script: Script, text: str, facts: Facts, now: dt.datetime
) -> tuple[Reading | None, Outcome]:
    """`reply`, plus how the message was read: for the corpus figures and tests."""
    turn = _Turn(script, facts, now, state)
    turn.handle(text)
    return turn.reading, turn.outcome()


def at_step(script: Script, step_id: str, facts: Facts, now: dt.datetime, language: str) -> State:
    """The state of a conversation that has just asked `step_id` (booking: times shown)."""
    turn = _Turn(script, facts, now, State(step=None, language=language))
    turn.enter(step_id)
    return turn.state


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
        self.carried_note: str | None = None  # free words from before an ask-back
        self.text = ""  # the message being handled
        self.reading: Reading | None = None  # how the message was first read, for figures

    def outcome(self) -> Outcome:
        return Outcome(self.state, tuple(self.messages), tuple(self.effects))

    def read_as(self, kind: str, value: str = "") -> None:
        """Remember how the message was read (the first reading counts)."""
        if self.reading is None:
            self.reading = Reading(kind, value)

    # -- input ------------------------------------------------------------------------

    def handle(self, text: str) -> None:
        """Read one message, in this order: STOP; the language menu; a switch to the
        language it is written in; the answer to an ask-back; a clear answer to the open
        question; another keyword; a side question; a language named; the invite code;
        free text at a text step; the language menu offered; asking back; not understood.
        """
        self.text = text
        keyword = match_keyword(text, self.script.keyword_forms)
        if self.state.opted_out:
            detours.while_opted_out(self, keyword)
            return
        if keyword == "stop":
            self.read_as("keyword", "stop")
            self.state = self.state.evolve(opted_out=True, picking_language=False, pending=None)
            self.effects.append(OptedOut())
            self.say("stopped")
            return
        if self.state.picking_language:
            language.pick_language(self, text)
            return
        before = self.state.language
        offered = language.follow_language(self, text, keyword)
        switched = self.state.language != before
        asked_back = self.state.pending is not None
        if asked_back and self._answer_pending(text):
            return
        step = self.current_step
        if step is None:
            detours.after_the_end(self, text, keyword)
            return
        heard = NOTHING
        if step.kind == "choice":
            heard = self.understand(step, text)
            if heard.option is not None:
                note = self._note(step, text) or self.carried_note
                self.choose(step, step.choices[heard.option], note=note)
                return
        if step.kind == "booking" and booking.reply(self, step, text):
            return
        if keyword is not None:
            detours.on_keyword(self, keyword, text)
        elif (step.kind != "text" or "?" in text) and detours.side_question(self, text):
            self.prompt()
        elif (lang := language.language_named(self, text)) is not None:
            language.set_language(self, lang)
            self.prompt()
        elif self.is_invite_code(text):
            self.say("welcome_back")
            self.prompt()
        elif step.kind == "text":
            self._free_text(step, text)
        elif offered is not None:
            language.ask_language(self, also_in=offered)
        elif asked_back:
            self._not_understood(step)  # the short question did not help: never loop on it
        elif switched:  # "nie rozumiem": about the language, not an answer; ask again in it
            self.read_as("language", self.state.language)
            self.prompt()
        elif heard.candidates:
            self._ask_back(step, heard.candidates, self._note(step, text) or self.carried_note)
        elif step.kind == "choice" and step.condition and is_free_text(text):
            self._ask_back(step, tuple(range(len(step.choices))), text)
        else:
            self._not_understood(step)

    def understand(self, step: Step, text: str) -> Understanding:
        vocabularies = [self.script.vocabulary(c) for c in step.choices]
        return understand(text, vocabularies, self.script.answer_words)

    def _note(self, step: Step, text: str) -> str | None:
        """What the person wrote, kept with a condition's answer when it says more."""
        return text if step.condition and is_free_text(text) else None

    def _free_text(self, step: Step, text: str) -> None:
        if not words(text) and not text.strip():
            self._not_understood(step)
            return
        skip = self.script.synonyms.get("skip", ())
        if match_choice(text, [skip]) == 0 or phrase_key(text).isdigit():
            self.read_as("skip")
            self.go(step, step.text_next)
            return
        self.read_as("note")
        if step.condition:
            self._record_note(step.condition, text)
        if step.escalate:
            self.escalate(step.escalate, note=text[:MAX_NOTE_CHARS])
        self.go(step, step.text_next)

    def _not_understood(self, step: Step) -> None:
        self.read_as("unclear")
        misses = self.state.misses + 1
        if misses <= 2:
            self.state = self.state.evolve(misses=misses, pending=None)
            self.say("reask" if misses == 1 else "reask_human")
            self.prompt()
            return
        self.state = self.state.evolve(pending=None)
        self.say("fallback")
        if step.kind == "booking":
            booking.none_fit(self, step)
        elif step.kind == "text":
            self.go(step, step.text_next)
        else:
            self.choose(step, step.choice(step.fallback or step.choices[-1].id))

    # -- asking back -------------------------------------------------------------------

    def _ask_back(self, step: Step, candidates: tuple[int, ...], note: str | None) -> None:
        """One short question instead of a guess: "Bedoelt u: ...? 1 Ja 2 Nee"."""
        ids = [step.choices[i].id for i in candidates]
        self.read_as("ask", " ".join(ids))
        self.state = self.state.evolve(pending={"step": step.id, "choices": ids, "note": note})
        if len(ids) == 1:
            choice = step.choices[candidates[0]]
            meaning = self.render(choice.means or choice.label)
            labels = (self.render_key("confirm_yes"), self.render_key("confirm_no"))
            self._ask(self.render_key("ask_back", meaning=meaning), labels)
        elif len(ids) == len(step.choices):
            self.say("ask_back_free")
            self.prompt()
        else:
            labels = tuple(self.render(step.choices[i].label) for i in candidates)
            self._ask(self.render_key("ask_back_many"), labels)

    def _ask(self, question: str, labels: tuple[str, ...]) -> None:
        options = "\n".join(f"{n} {label}" for n, label in enumerate(labels, 1))
        self.messages.append(Message(f"{question}\n{options}", labels))

    def _answer_pending(self, text: str) -> bool:
        """Read a reply to an ask-back; False when it answers something else."""
        pending = self.state.pending or {}
        self.state = self.state.evolve(pending=None)
        step = self.script.steps.get(str(pending.get("step")))
        if step is None or step.id != self.state.step:
            return False
        known = {c.id for c in step.choices}
        choices = [step.choice(i) for i in pending.get("choices", ()) if i in known]
        note = pending.get("note")
        self.carried_note = note
        if len(choices) == 1:
            return self._confirm(step, choices[0], text, note)
        if len(choices) == len(step.choices):
            return False  # they saw the question itself again: read the reply as usual
        heard = understand(text, [self.script.vocabulary(c) for c in choices], ())
        if heard.option is None:
            return False
        self.choose(step, choices[heard.option], note=note)
        return True

    def _confirm(self, step: Step, choice: Choice, text: str, note: str | None) -> bool:
        yes = self.script.expand(("@yes",) if step.purpose else ("@yes", "@ack"))
        no = self.script.expand(("@no",))
        heard = understand(text, [Vocabulary(tuple(yes)), Vocabulary(tuple(no))], ())
        if heard.option == 0:
            self.choose(step, choice, note=note)
        elif heard.option == 1:
            self.say("ask_back_no")
            self.prompt()
        return heard.option is not None

    # -- after the last step -------------------------------------------------------------

    # -- moving through the script ------------------------------------------------------

    @property
    def current_step(self) -> Step | None:
        return self.script.steps.get(self.state.step) if self.state.step else None

    def choose(self, step: Step, choice: Choice, note: str | None = None) -> None:
        self.read_as("choice", choice.id)
        self.state = self.state.evolve(pending=None)
        if step.condition and choice.record:
            self._record(step.condition, choice.record, note, choice.alert)
        if step.purpose and choice.consent is not None:
            self.consent(step.purpose, choice.consent)
        if choice.alert:
            self.escalate(choice.alert, note=self._told(choice))
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
            self.state = self.state.evolve(step=None, misses=0, ended=origin.id)
            return
        self.enter(target)

    def enter(self, step_id: str) -> None:
        for _ in range(MAX_CHAIN):
            step = self.script.steps[step_id]
            self.state = self.state.evolve(step=step_id, misses=0, pending=None, ended=None)
            if step.status:
                self.effects.append(StatusChanged(step.status))
                if step.status == "completed":
                    self.state = self.state.evolve(completed=True)
            if step.kind == "booking" and not booking.enter(self, step):
                if booking.keep_booked(self):
                    return
                if step.none_fit is None:
                    self.state = self.state.evolve(step=None, ended=step_id)
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
                self.state = self.state.evolve(step=None, ended=step_id)
                return
            step_id = following
        raise RuntimeError(f"script {self.script.id} chains more than {MAX_CHAIN} steps")

    def _start_timer(self, step: Step) -> None:
        days = step.timeout_working_days
        if days is None:
            days = self.script.timeout_working_days
        if days:
            self.effects.append(
                TimerStarted(step.id, self.facts.calendar.add_working_days(self.now, days))
            )

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

    def escalate(
        self,
        reason: str,
        note: str | None = None,
        again: str | None = None,
        first: str | None = None,
    ) -> None:
        """Tell a contact person, once while the same reason is open; say `first` or `again`."""
        if self.still_open(reason):
            if again:
                self.say(again)
            return
        self.state = self.state.evolve(
            escalated={**self.state.escalated, reason: self.now.isoformat()}
        )
        self.effects.append(Escalated(reason, note))
        if first:
            self.say(first)

    def _told(self, choice: Choice) -> str | None:
        """The person's own words behind a choice, when they say more than its phrases."""
        if not is_free_text(self.text):
            return None
        vocabulary = self.script.vocabulary(choice)
        if phrase_key(self.text) in {phrase_key(p) for p in vocabulary.sure}:
            return None
        return self.text[:MAX_NOTE_CHARS]

    def still_open(self, reason: str) -> bool:
        """Raised in this conversation and not yet past the time a person answers in."""
        raised = self.state.escalated.get(reason)
        if raised is None:
            return False
        raised_at = dt.datetime.fromisoformat(raised)
        until = self.facts.calendar.add_working_days(raised_at, ESCALATION_OPEN_WORKING_DAYS)
        return self.now < until

    def _record(self, condition: str, status: str, note: str | None, alert: str | None) -> None:
        note = note[:MAX_NOTE_CHARS] if note else None
        raised = self.state.raised.get(condition)
        if raised and raised != alert and raised in self.state.escalated:
            escalated = {k: v for k, v in self.state.escalated.items() if k != raised}
            self.state = self.state.evolve(escalated=escalated)
            self.effects.append(EscalationCorrected(raised, condition, status))
        others = {k: v for k, v in self.state.raised.items() if k != condition}
        self.state = self.state.evolve(
            answers={**self.state.answers, condition: {"status": status, "note": note}},
            raised={**others, condition: alert} if alert else others,
        )
        self.effects.append(AnswerRecorded(condition, status, note))

    def _record_note(self, condition: str, note: str) -> None:
        status = (self.state.answers.get(condition) or {}).get("status") or "unknown"
        self._record(condition, str(status), note, self.state.raised.get(condition))

    def consent(self, purpose: str, given: bool) -> None:
        self.state = self.state.evolve(consent={**self.state.consent, purpose: given})
        self.effects.append(ConsentChanged(purpose, given))

    # -- language --------------------------------------------------------------------------

    # -- rendering -------------------------------------------------------------------------

    def is_invite_code(self, text: str) -> bool:
        squashed = "".join(words(text)).upper()
        return squashed == self.facts.invite_code.upper()

    def say(self, key: str) -> None:
        self.messages.append(Message(self.render_key(key)))

    def add_message(self, text: str, choices: tuple[str, ...] = ()) -> None:
        self.messages.append(Message(text, choices))

    def render_key(self, key: str, **extra: Any) -> str:
        return self.render(self.script.text(key), **extra)

    def render(self, text: Text, **extra: Any) -> str:
        template = text.template(self.state.language, self.script.default_language)
        return render(template, lambda: {**self.variables(), **extra})

    def variables(self) -> dict[str, Any]:
        return template_variables(self.script, self.facts, self.now, self.state)
