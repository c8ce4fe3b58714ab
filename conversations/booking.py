"""The booking step: offer free times three at a time, book one, or hand over.

The I/O layer passes the free times as `facts.offers`, computed inside the transaction
that will store the booking; the state remembers what was shown, so "1" means the time
the person saw. If that time was taken meanwhile, they hear so and get fresh times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conversations.matching import match_choice
from conversations.state import AppointmentBooked, AppointmentCancelled, Escalated, Offer

if TYPE_CHECKING:
    from conversations.engine import _Turn
    from conversations.script import Script, Step

PAGE = 3
MORE = ("andere", "andere tijden", "anders", "meer", "other", "other times", "more", "later")
NONE = ("geen", "geen tijd past", "past niet", "none", "none fit", "no time", "nothing fits")


def _page(turn: _Turn) -> list[Offer]:
    start = turn.state.offer_page * PAGE
    return list(turn.facts.offers[start : start + PAGE])


def enter(turn: _Turn, step: Step) -> bool:
    """Show the offers; False when there are none (the caller goes to `none_fit`)."""
    if not turn.facts.offers:
        turn.effects.append(Escalated("no_slot_fits"))
        return False
    turn.state = turn.state.evolve(offer_page=0)
    prompt(turn, step)
    return True


def prompt(turn: _Turn, step: Step) -> None:
    offers = _page(turn)
    if not offers:
        turn.state = turn.state.evolve(offer_page=0)
        offers = _page(turn)
    labels = [
        turn.render_key("offer", offer=offer_vars(turn.script, turn.state.language, o))
        for o in offers
    ]
    labels += [turn.render_key("more_times"), turn.render_key("no_time_fits")]
    text = turn.render(step.say) if step.say else ""
    options = "\n".join(f"{n} {label}" for n, label in enumerate(labels, 1))
    turn.state = turn.state.evolve(offered=[o.to_dict() for o in offers])
    turn.add_message(f"{text}\n{options}".strip(), tuple(labels))


def reply(turn: _Turn, step: Step, text: str) -> bool:
    """Handle an answer to the offers; False when it was not understood."""
    shown = [Offer.from_dict(o) for o in turn.state.offered]
    options: list[list[str]] = [[] for _ in shown] + [list(MORE), list(NONE)]
    index = match_choice(text, options)
    if index is None:
        return False
    if index == len(shown):
        turn.state = turn.state.evolve(offer_page=turn.state.offer_page + 1)
        prompt(turn, step)
    elif index == len(shown) + 1:
        none_fit(turn, step)
    else:
        book(turn, step, shown[index])
    return True


def book(turn: _Turn, step: Step, offer: Offer) -> None:
    still_free = any(
        o.slot_id == offer.slot_id and o.start == offer.start for o in turn.facts.offers
    )
    if not still_free:
        turn.say("time_taken")
        turn.state = turn.state.evolve(offer_page=0)
        prompt(turn, step)
        return
    turn.effects.append(AppointmentBooked(offer))
    turn.state = turn.state.evolve(appointment=offer.to_dict(), offered=[], offer_page=0)
    turn.go(step, step.booked)


def none_fit(turn: _Turn, step: Step) -> None:
    turn.effects.append(Escalated("no_slot_fits"))
    turn.state = turn.state.evolve(offered=[], offer_page=0)
    turn.go(step, step.none_fit)


def cancel(turn: _Turn) -> bool:
    """Drop the current appointment; False when there is none."""
    if not turn.state.appointment:
        return False
    turn.effects.append(AppointmentCancelled())
    turn.state = turn.state.evolve(appointment=None)
    return True


def offer_vars(script: Script, language: str, offer: Offer) -> dict[str, Any]:
    """What a text can say about a time: `start`, `minutes`, `mode_label`, `place`."""
    mode = script.mode_labels.get(offer.mode)
    label = mode.template(language, script.default_language).render() if mode else offer.mode
    return {
        "start": offer.start,
        "minutes": offer.minutes,
        "mode": offer.mode,
        "mode_label": label,
        "place": offer.place or "",
    }
