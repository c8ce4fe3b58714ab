"""What the engine reads and returns: case facts, conversation state, messages, effects."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

from conversations.calendar import DEFAULT as DEFAULT_CALENDAR
from conversations.calendar import Calendar

MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class Offer:
    """A free appointment time, as the I/O layer found it."""

    slot_id: int
    start: dt.datetime
    minutes: int
    mode: str  # phone, video, visit
    place: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "slot_id": self.slot_id,
            "start": self.start.isoformat(),
            "minutes": self.minutes,
            "mode": self.mode,
            "place": self.place,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Offer:
        return cls(
            raw["slot_id"],
            dt.datetime.fromisoformat(raw["start"]),
            raw["minutes"],
            raw["mode"],
            raw.get("place"),
        )


@dataclass(frozen=True)
class Facts:
    """What the engine may say about a case; read-only for the conversation."""

    first_name: str
    report_date: dt.date
    invite_code: str
    organisation: str
    sender: str
    organisation_phone: str = ""
    organisation_address: str = ""
    prison: str = ""
    offers: tuple[Offer, ...] = ()  # free appointment times, earliest first
    organisation_website: str = ""  # where people can check the public phone number
    calendar: Calendar = DEFAULT_CALENDAR  # the organisation's working days, in its zone


@dataclass(frozen=True)
class State:
    """Where a conversation stands. Serialised as JSON and sealed at rest."""

    step: str | None
    language: str
    misses: int = 0
    opted_out: bool = False
    picking_language: bool = False
    return_to: str | None = None
    answers: dict[str, dict[str, str | None]] = field(default_factory=dict)
    consent: dict[str, bool] = field(default_factory=dict)
    offered: list[dict[str, Any]] = field(default_factory=list)  # the times last shown
    offer_page: int = 0
    appointment: dict[str, Any] | None = None
    resume: str | None = None  # where a keyword detour (postponement) comes back to
    # An ask-back waiting for its answer: {"step", "choices": [ids], "note": str | None}.
    pending: dict[str, Any] | None = None
    completed: bool = False  # the intake was finished (a step with status `completed`)
    ended: str | None = None  # the end step the conversation stopped at
    escalated: dict[str, str] = field(default_factory=dict)  # open reason -> ISO time raised
    raised: dict[str, str] = field(default_factory=dict)  # condition -> reason its answer raised
    moving: bool = False  # VERZET: choosing a new time while the booked one stands

    def to_json(self) -> str:
        """The fields as one JSON object, keys sorted: what `json.dumps(asdict(state))` makes,
        without `asdict`'s deep copy (json reads the nested dicts and lists as they are)."""
        values = {name: getattr(self, name) for name in _STATE_FIELDS}
        return json.dumps(values, ensure_ascii=False, sort_keys=True, default=_nested)

    @classmethod
    def from_json(cls, raw: str) -> State:
        """Tolerant of states saved by older versions (missing fields take defaults)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(raw).items() if k in known})

    def evolve(self, **changes: Any) -> State:
        """A copy with `changes`: what `dataclasses.replace` makes, without calling
        `__init__` field by field (a State has no `__post_init__` and no init=False field;
        its `__dict__` holds exactly its fields). An unknown name raises as `replace` does."""
        if type(self) is not State or not changes.keys() <= _STATE_FIELD_SET:
            return replace(self, **changes)
        new = object.__new__(State)
        new.__dict__.update(self.__dict__, **changes)
        return new


_STATE_FIELDS = tuple(f.name for f in fields(State))
_STATE_FIELD_SET = frozenset(_STATE_FIELDS)


def _nested(value: Any) -> Any:
    """A dataclass inside a state's dicts or lists becomes a dict, as `asdict` makes it."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


@dataclass(frozen=True)
class Message:
    text: str
    choices: tuple[str, ...] = ()  # option labels, for channels that show buttons


@dataclass(frozen=True)
class StatusChanged:
    status: str


@dataclass(frozen=True)
class AnswerRecorded:
    condition: str
    status: str
    note: str | None = None


@dataclass(frozen=True)
class ConsentChanged:
    purpose: str
    given: bool


@dataclass(frozen=True)
class OptedOut:
    pass


@dataclass(frozen=True)
class OptedIn:
    pass


@dataclass(frozen=True)
class Escalated:
    reason: str
    note: str | None = None  # what the person wrote, e.g. why they ask for postponement


@dataclass(frozen=True)
class EscalationCorrected:
    """The person changed the answer that raised an open escalation (e.g. the kind-check).

    The I/O side updates that escalation's alert: tells the contact person what the
    answer is now (`status`, for `condition`) and that the first alert no longer holds.
    """

    reason: str
    condition: str
    status: str


@dataclass(frozen=True)
class LanguageChanged:
    language: str


@dataclass(frozen=True)
class AppointmentBooked:
    offer: Offer


@dataclass(frozen=True)
class AppointmentCancelled:
    pass


@dataclass(frozen=True)
class TimerStarted:
    step: str
    due: dt.datetime


Effect = (
    StatusChanged
    | AnswerRecorded
    | ConsentChanged
    | OptedOut
    | OptedIn
    | Escalated
    | EscalationCorrected
    | LanguageChanged
    | TimerStarted
    | AppointmentBooked
    | AppointmentCancelled
)


@dataclass(frozen=True)
class Outcome:
    state: State
    messages: tuple[Message, ...]
    effects: tuple[Effect, ...]
