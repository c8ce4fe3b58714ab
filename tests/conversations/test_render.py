"""Admin-edited texts render in a sandbox that nothing can escape or blow up."""

import datetime as dt

import pytest

from conversations.render import RenderError, compile_text, render


def run(source: str, **variables) -> str:
    return render(compile_text(source), variables)


def test_dates_in_words_in_the_case_language():
    day = dt.date(2026, 12, 14)
    assert run("{{ d|date }}", d=day, language="nl") == "maandag 14 december"
    assert run("{{ d|date }}", d=day, language="en") == "Monday 14 December"


def test_appointment_times_in_words():
    moment = dt.datetime(2026, 12, 8, 10, 0)
    assert run("{{ m|datetime }}", m=moment, language="nl") == "dinsdag 8 december om 10:00"


def test_variables_are_data_not_templates():
    assert run("{{ note }}", note="{{ 7*7 }} {% for x in y %}") == "{{ 7*7 }} {% for x in y %}"


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ first_name.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{% for i in range(100000) %}x{% endfor %}",
        "{% for i in range(150) %}{% for j in range(150) %}x{% endfor %}{% endfor %}",
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** 9 ** 9 }}",
        "{{ first_name.upper.__self__ }}{{ [].append(1) }}",
        "{{ undefined_name }}",
    ],
)
def test_attacks_fail_cleanly(attack):
    with pytest.raises(RenderError):
        run(attack, first_name="Sam")


def test_output_is_capped():
    with pytest.raises(RenderError, match="longer than"):
        run("{% for i in range(200) %}{{ 'abcdefghij' }}{% endfor %}")
