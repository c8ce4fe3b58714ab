"""The booking step: offer free times three at a time, book one, or hand over.

The I/O layer passes the free times as `facts.offers`, computed inside the transaction
that will store the booking; the state remembers what was shown, so "1" means the time
the person saw. If that time was taken meanwhile, they hear so and get fresh times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from babel.dates import format_date

from conversations.calendar import Calendar
from conversations.matching import Vocabulary, understand
from conversations.segments import count_segments
from conversations.state import AppointmentBooked, AppointmentCancelled, Offer

if TYPE_CHECKING:
    from conversations.engine import _Turn
    from conversations.script import Script, Step

PAGE = 3
MORE = (
    *("andere", "andere tijden", "anders", "meer", "later", "ander moment", "andere dag"),
    *("other", "other times", "more", "another time"),
    *("inne", "inne terminy", "inny termin", "pozniej"),
    *("baska", "baska zaman", "diger", "sonra"),
    *("اخرى", "مواعيد اخرى", "وقت اخر"),
)
NONE = (
    *("geen", "geen tijd past", "past niet", "kan niet", "geen van allen", "niks past"),
    *("none", "none fit", "no time", "nothing fits", "none of them", "cant"),
    *("zaden", "zaden nie pasuje", "nie pasuje", "nie moge"),
    *("hicbiri", "hicbiri olmaz", "olmaz", "uymuyor"),
    *("لا شيء", "لا يناسبني", "لا وقت يناسب"),
)
ORDINALS = (
    (
        "eerste",
        "de eerste",
        "first",
        "the first",
        "pierwszy",
        "pierwsza",
        "birinci",
        "ilk",
        "الاول",
    ),
    ("tweede", "de tweede", "second", "the second", "drugi", "druga", "ikinci", "الثاني"),
    ("derde", "de derde", "third", "the third", "trzeci", "trzecia", "ucuncu", "الثالث"),
)
MAX_UCS2_SEGMENTS = 3
DAY_BEFORE_AT = dt.time(10)  # when the I/O side sends the day-before reminder


def _page(turn: _Turn) -> list[Offer]:
    size = _page_size(turn)
    start = turn.state.offer_page * size
    return list(turn.facts.offers[start : start + size])


def _page_size(turn: _Turn) -> int:
    """Three times a page, fewer when their list would not fit in three UCS-2 segments."""
    for size in range(PAGE, 1, -1):
        if _fits(_options_text(turn, turn.facts.offers[:size])):
            return size
    return 1


def _fits(text: str) -> bool:
    seg = count_segments(text)
    return seg.encoding == "GSM-7" or seg.count <= MAX_UCS2_SEGMENTS


def _labels(turn: _Turn, offers: Sequence[Offer]) -> list[str]:
    labels = [
        turn.render_key(
            "offer",
            offer=offer_vars(turn.script, turn.state.language, o, turn.now, turn.facts.calendar),
        )
        for o in offers
    ]
    return [*labels, turn.render_key("more_times"), turn.render_key("no_time_fits")]


def _options_text(turn: _Turn, offers: Sequence[Offer]) -> str:
    return "\n".join(f"{n} {label}" for n, label in enumerate(_labels(turn, offers), 1))


def enter(turn: _Turn, step: Step) -> bool:
    """Show the offers; False when there are none (the caller goes to `none_fit`)."""
    if not turn.facts.offers:
        turn.escalate("no_slot_fits")
        return False
    turn.state = turn.state.evolve(offer_page=0)
    prompt(turn, step)
    return True


def prompt(turn: _Turn, step: Step) -> None:
    offers = _page(turn)
    if not offers:
        turn.state = turn.state.evolve(offer_page=0)
        offers = _page(turn)
    labels = tuple(_labels(turn, offers))
    text = turn.render(step.say) if step.say else ""
    options = _options_text(turn, offers)
    turn.state = turn.state.evolve(offered=[o.to_dict() for o in offers])
    whole = f"{text}\n{options}".strip()
    if _fits(whole) or not text:
        turn.add_message(whole, labels)
    else:  # UCS-2 and long: the question, then the times in a message of their own
        turn.add_message(text)
        turn.add_message(options, labels)


def reply(turn: _Turn, step: Step, text: str) -> bool:
    """Handle an answer to the offers; False when it was not understood."""
    shown = [Offer.from_dict(o) for o in turn.state.offered]
    options = [_vocabulary(turn, i, o) for i, o in enumerate(shown)]
    options += [Vocabulary(MORE), Vocabulary(NONE)]
    index = understand(text, options).option
    if index is None:
        return False
    turn.read_as(
        "choice", ("more", "none")[index - len(shown)] if index >= len(shown) else str(index + 1)
    )
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
    turn.state = turn.state.evolve(
        appointment=offer.to_dict(), offered=[], offer_page=0, moving=False
    )
    turn.go(step, step.booked)


def none_fit(turn: _Turn, step: Step) -> None:
    turn.escalate("no_slot_fits")
    turn.state = turn.state.evolve(offered=[], offer_page=0)
    if not keep_booked(turn):
        turn.go(step, step.none_fit)


def keep_booked(turn: _Turn) -> bool:
    """After VERZET, no new time fits: the booked time stands until a new one is agreed."""
    if not (turn.state.moving and turn.state.appointment):
        return False
    turn.state = turn.state.evolve(moving=False, step=None, ended=turn.script.booking_step)
    turn.say("appointment_kept")
    return True


def _vocabulary(turn: _Turn, position: int, offer: Offer) -> Vocabulary:
    """How a reply may name a shown time without its number: `de eerste`, `dinsdag`."""
    local = turn.facts.calendar.local(offer.start)
    days = {format_date(local.date(), "EEEE", locale=lang) for lang in turn.script.languages}
    ordinals = ORDINALS[position] if position < len(ORDINALS) else ()
    return Vocabulary(tuple(days) + ordinals)


def cancel(turn: _Turn) -> bool:
    """Drop the current appointment; False when there is none."""
    if not turn.state.appointment:
        return False
    turn.effects.append(AppointmentCancelled())
    turn.state = turn.state.evolve(appointment=None, moving=False)
    return True


def offer_vars(
    script: Script, language: str, offer: Offer, now: dt.datetime, calendar: Calendar
) -> dict[str, Any]:
    """What a text can say about a time: `start`, `minutes`, `mode`, `mode_label`, `place`,
    and `reminder_day_before`: whether the day-before reminder is still ahead (not for
    an appointment tomorrow morning booked after 10:00 today)."""
    mode = script.mode_labels.get(offer.mode)
    label = mode.template(language, script.default_language).render() if mode else offer.mode
    local = calendar.local(offer.start)
    day_before = dt.datetime.combine(
        calendar.working_days_before(local.date(), 1), DAY_BEFORE_AT, tzinfo=calendar.tz
    )
    return {
        "start": offer.start,
        "minutes": offer.minutes,
        "mode": offer.mode,
        "mode_label": label,
        "place": offer.place or "",
        "reminder_day_before": day_before > now,
    }
