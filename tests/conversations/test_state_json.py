"""A state's JSON and its evolved copies are what `asdict` and `replace` made before."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.script import load_default_scripts
from conversations.state import Offer, State
from conversations.testing import Conversation


def reference(state: State) -> str:
    """The serialisation `State.to_json` replaced: a deep copy by `asdict`, then json."""
    return json.dumps(dataclasses.asdict(state), ensure_ascii=False, sort_keys=True)


START = dt.datetime(2026, 12, 22, 9, 0, tzinfo=dt.UTC)
RICH = State(
    step="housing",
    language="ar",
    misses=2,
    opted_out=True,
    picking_language=True,
    return_to="income",
    answers={
        "id": {"status": "ok", "note": None},
        "housing": {"status": "problem", "note": 'Ik slaap bij mijn zus 😀 "tijdelijk"\nنعم €'},
    },
    consent={"share": True, "contact": False},
    offered=[Offer(1, START, 30, "phone").to_dict(), Offer(2, START, 45, "visit", "Hal").to_dict()],
    offer_page=3,
    appointment=Offer(2, START, 45, "visit", "Stadskantoor Venlo").to_dict(),
    resume="debts",
    pending={"step": "housing", "choices": ["yes", "no"], "note": "weet\tniet\u2028"},
    completed=True,
    ended="done",
    escalated={"kind_check": "2026-12-14T10:00:00+01:00", "human": "2026-12-15T09:00:00+00:00"},
    raised={"care": "kind_check"},
    moving=True,
)


def test_a_rich_state_serialises_as_before():
    assert RICH.to_json() == reference(RICH)
    assert State.from_json(RICH.to_json()) == RICH


def test_states_of_real_conversations_serialise_as_before():
    script = load_default_scripts()["intake"]
    for replies in (
        ["ja", "ja", "ja", "nee", "ja", "ik heb schulden", "ja", "nee", "MENS"],
        ["nee", "STOP", "start", "TAAL", "English", "yes"],
        ["ja", "ja", "ja", "1", "2", "3", "1", "weet niet", "UITSTEL", "ja"],
    ):
        chat = Conversation(script)
        for text in replies:
            chat.send(text)
            assert chat.state.to_json() == reference(chat.state)


def test_a_dataclass_inside_a_state_becomes_a_dict_as_before():
    @dataclasses.dataclass
    class Inner:
        name: str
        items: list[int]

    state = State(step=None, language="nl", pending={"inner": Inner("x", [1, 2])})
    assert state.to_json() == reference(state)


leaf = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
json_values = st.recursive(
    leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
text_or_none = st.none() | st.text()
states = st.builds(
    State,
    step=text_or_none,
    language=st.text(),
    misses=st.integers(),
    opted_out=st.booleans(),
    picking_language=st.booleans(),
    return_to=text_or_none,
    answers=st.dictionaries(st.text(), st.dictionaries(st.text(), text_or_none), max_size=4),
    consent=st.dictionaries(st.text(), st.booleans(), max_size=4),
    offered=st.lists(st.dictionaries(st.text(), json_values, max_size=4), max_size=3),
    offer_page=st.integers(),
    appointment=st.none() | st.dictionaries(st.text(), json_values, max_size=5),
    resume=text_or_none,
    pending=st.none() | st.dictionaries(st.text(), json_values, max_size=4),
    completed=st.booleans(),
    ended=text_or_none,
    escalated=st.dictionaries(st.text(), st.text(), max_size=3),
    raised=st.dictionaries(st.text(), st.text(), max_size=3),
    moving=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(states)
def test_any_state_serialises_as_before(state):
    assert state.to_json() == reference(state)


def test_every_field_is_serialised():
    assert set(json.loads(RICH.to_json())) == {f.name for f in dataclasses.fields(State)}


@settings(max_examples=100, deadline=None)
@given(states, states, st.sets(st.sampled_from([f.name for f in dataclasses.fields(State)])))
def test_evolve_makes_what_replace_made(state, other, names):
    changes = {name: getattr(other, name) for name in names}
    evolved = state.evolve(**changes)
    assert evolved == dataclasses.replace(state, **changes)
    assert type(evolved) is State and evolved.to_json() == reference(evolved)
    assert vars(evolved) == vars(dataclasses.replace(state, **changes))
    with pytest.raises(dataclasses.FrozenInstanceError):
        evolved.step = "x"  # type: ignore[misc]


def test_evolve_refuses_an_unknown_field_as_replace_does():
    with pytest.raises(TypeError, match="unexpected keyword argument 'stap'"):
        RICH.evolve(stap="housing")
