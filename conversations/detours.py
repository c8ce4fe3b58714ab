"""Detours from the open question: keywords, side questions, withdrawing consent,
rebooking, and what a message after the end of the conversation gets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conversations import booking, language
from conversations.matching import (
    NOTHING,
    Vocabulary,
    understand,
)
from conversations.script import Step
from conversations.state import (
    Message,
    OptedIn,
    StatusChanged,
)

if TYPE_CHECKING:
    from conversations.engine import _Turn


def while_opted_out(turn: _Turn, keyword: str | None) -> None:
    if keyword == "start":
        turn.state = turn.state.evolve(opted_out=False)
        turn.effects.append(OptedIn())
        turn.say("restarted")
        turn.prompt()
    elif keyword == "help":
        turn.say("help")


def on_keyword(turn: _Turn, keyword: str, text: str) -> None:
    turn.read_as("keyword", keyword)
    if keyword == "help":
        turn.say("help")
    elif keyword == "human":
        turn.escalate("asked_for_human", again="human_again", first="human")
    elif keyword == "language":
        lang = language.language_named(turn, text, allow_keyword=True)
        if lang is None:
            language.ask_language(turn)
            return
        language.set_language(turn, lang)
    elif keyword == "withdraw":
        withdraw(turn)
        return
    elif keyword in ("move", "unbook"):
        rebook(turn, keyword)
        return
    elif keyword == "postpone" and postpone(turn):
        return
    elif keyword == "start":
        turn.say("welcome_back")
    turn.prompt()


def postpone(turn: _Turn) -> bool:
    """Start the postponement detour once; True when the detour took over the turn."""
    detour = turn.script.keyword_steps.get("postpone")
    if detour is None:
        return False
    if turn.still_open("postponement"):
        turn.say("postponement_pending")
        return False
    if turn.state.step != detour:  # asked twice in a row: keep the way back
        turn.state = turn.state.evolve(resume=turn.state.step, return_to=None, pending=None)
    turn.enter(detour)
    return True


def rebook(turn: _Turn, keyword: str) -> None:
    target = turn.script.booking_step
    if target is None or not turn.state.appointment:
        turn.say("no_appointment")
        turn.prompt()
        return
    turn.state = turn.state.evolve(resume=None, return_to=None, pending=None)
    if keyword == "unbook":
        booking.cancel(turn)
        turn.say("appointment_cancelled")
    else:
        turn.state = turn.state.evolve(moving=True)  # the booked time stands until a new one
    turn.enter(target)


def side_question(turn: _Turn, text: str) -> bool:
    """Answer "who are you?", "why?", "is this real?" and the like; records nothing."""
    topics = list(turn.script.side_questions.values())
    if not topics:
        return False
    heard = understand(text, [Vocabulary(t.match) for t in topics], ())
    index = (
        heard.option
        if heard.option is not None
        else (heard.candidates[0] if len(heard.candidates) == 1 else None)
    )
    if index is None:
        return False
    turn.read_as("side", topics[index].topic)
    turn.messages.append(Message(turn.render(topics[index].say)))
    return True


def withdraw(turn: _Turn) -> None:
    given = [p for p, ok in turn.state.consent.items() if ok]
    if not given:
        turn.say("nothing_to_withdraw")
        turn.prompt()
        return
    for purpose in given:
        turn.consent(purpose, False)
    turn.effects.append(StatusChanged("refused"))
    turn.state = turn.state.evolve(return_to=None, pending=None)
    turn.say("withdrawn")
    if turn.script.after_withdraw:
        turn.enter(turn.script.after_withdraw)
    else:
        turn.state = turn.state.evolve(step=None)


def after_the_end(turn: _Turn, text: str, keyword: str | None) -> None:
    """A message after the conversation stopped: never a dead end."""
    ended = turn.script.steps.get(turn.state.ended or "")
    if keyword is not None:
        on_keyword(turn, keyword, text)
    elif side_question(turn, text):
        pass
    elif ended is not None and ended.wake and not turn.state.completed:
        wake(turn, turn.script.steps[ended.wake], text)
    elif turn.is_invite_code(text):
        turn.say("welcome_back")
    elif turn.state.completed or ended is None:
        turn.say("finished")
    else:
        turn.say("idle")


def wake(turn: _Turn, step: Step, text: str) -> None:
    """Read the message as an answer to `step`; otherwise ask that step's question."""
    turn.state = turn.state.evolve(step=step.id, misses=0)
    heard = turn.understand(step, text) if step.kind == "choice" else NOTHING
    if heard.option is not None:
        turn.choose(step, step.choices[heard.option])
    else:
        turn.enter(step.id)
