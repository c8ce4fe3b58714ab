"""Whatever people type, the engine neither crashes nor strands a conversation."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.testing import Conversation

# Realistic replies mixed with anything at all.
replies = st.one_of(
    st.sampled_from(
        [
            "1",
            "2",
            "3",
            "4",
            "8",
            "0",
            "ja",
            "nee",
            "STOP",
            "start",
            "HULP",
            "MENS",
            "TAAL",
            "INTREKKEN",
            "weet niet",
            "👍",
            "K7P2QD",
            "English",
            "",
            " ",
        ]
    ),
    st.text(max_size=300),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(replies, max_size=40))
def test_any_input_keeps_the_conversation_alive(intake, inputs):
    chat = Conversation(intake)
    for text in inputs:
        said = chat.send(text)
        state = chat.state
        if state.step is not None:
            assert state.step in intake.steps
            assert intake.steps[state.step].kind in ("choice", "text", "booking"), (
                "stuck on a say step"
            )
        assert 0 <= state.misses <= 2
        if not state.opted_out:
            assert said, f"silence after {text!r}: a dead end"
            assert all(m.strip() for m in said)
    chat.send("start")
    assert not chat.state.opted_out


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(replies, max_size=30))
def test_replaying_a_conversation_gives_the_same_result(intake, inputs):
    first, second = Conversation(intake), Conversation(intake)
    for text in inputs:
        assert first.send(text) == second.send(text)
    assert first.state == second.state
    assert first.effects == second.effects


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(replies, max_size=30))
def test_state_survives_serialisation(intake, inputs):
    chat = Conversation(intake)
    for text in inputs:
        chat.send(text)
    assert type(chat.state).from_json(chat.state.to_json()) == chat.state


def test_someone_who_only_ever_answers_1_reaches_the_end(intake):
    chat = Conversation(intake)
    for _ in range(30):
        chat.send("1")
    assert chat.state.step is None
