"""Texts without Jinja syntax, or with plain `{{ name }}`s only, render without the
sandbox, to exactly what the sandbox makes of them; date filters parse a locale once."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.core import UnknownLocaleError
from babel.dates import format_date, format_time
from markupsafe import Markup

from conversations.render import (
    DATE_PATTERNS,
    ENV,
    MAX_OUTPUT_CHARS,
    RenderError,
    compile_text,
    render,
)
from conversations.script import load_default_scripts, locations
from conversations.state import State
from conversations.testing import MONDAY_MORNING, SAM
from conversations.variables import template_variables

CONSTANT = [
    "",
    "Ja, dat ben ik",
    "  spaces around  \n",
    "line one\nline two\n\n",
    "windows\r\nline ends\rand old Mac ones\r\n",
    "trailing newline kept off\n",
    "single braces { stay } and 50% too, }} and %} alone, {x}",
    "tab\there, emoji 😀, Arabic نعم, € and [brackets]",
    "\n\n  only the middle counts  \n\n",
    "x" * MAX_OUTPUT_CHARS,
    "x" * MAX_OUTPUT_CHARS + "\n",  # the trailing newline is dropped before the cap
]
NOT_CONSTANT = ["{{ first_name }}", "a {% if x %}b{% endif %}", "c {# note #}", "{%raw%}{%endraw%}"]


def sandbox(source: str, variables: dict | None = None) -> str:
    """The sandbox's own rendering: a template compiled without the constant fast path."""
    template = ENV.from_string(source)
    assert template.constant is None
    return render(template, variables or {})


@pytest.mark.parametrize("source", CONSTANT)
def test_a_constant_text_renders_as_the_sandbox_renders_it(source):
    template = compile_text(source)
    assert template.constant is not None
    assert render(template, {"first_name": "Sam"}) == sandbox(source)
    assert template.render() == ENV.from_string(source).render()


@pytest.mark.parametrize("source", ["x" * (MAX_OUTPUT_CHARS + 1), "y" * 5000 + "\n"])
def test_a_constant_text_keeps_the_output_cap(source):
    with pytest.raises(RenderError, match="longer than") as sandboxed:
        sandbox(source)
    with pytest.raises(RenderError, match="longer than") as fast:
        render(compile_text(source), {})
    assert str(fast.value) == str(sandboxed.value)


@pytest.mark.parametrize("source", NOT_CONSTANT)
def test_any_jinja_syntax_goes_through_the_sandbox(source):
    template = compile_text(source)
    assert template.constant is None
    assert render(template, {"first_name": "Sam", "x": True}) == sandbox(
        source, {"first_name": "Sam", "x": True}
    )


def test_variables_are_made_only_for_a_text_that_uses_them():
    made = []

    def variables() -> dict[str, str]:
        made.append(1)
        return {"first_name": "Sam"}

    assert render(compile_text("Hallo"), variables) == "Hallo"
    assert made == []
    assert render(compile_text("Hallo {{ first_name }}"), variables) == "Hallo Sam"
    assert made == [1]


# Texts that only put variables in: `{{ name }}` and data, filled without the sandbox.

SUBSTITUTIONS = [
    "{{ first_name }}",
    "{{ sender }}: Hallo {{ first_name }}. Bent u {{ first_name }}?",
    "windows\r\n{{ first_name }}\r\nline ends\n",
    "  {{- first_name -}}  ,  {{ days_left }} dagen\n\n",
    "{{ report_date }} {{ nothing }} {{ answers }} {{ count }} {{ markup }}",
    "{ single } {{ first_name }} }} %}",
    "{{ range }}",  # a global, not a variable: the sandbox says what it is
    "{{ missing }} here",  # undefined: the sandbox's error
    "{{ broken }}",  # str() fails: the sandbox's error
    "{{ long }}",
    "{{ long }}{{ long }}",  # the cap counts the whole text
]


class Broken:
    def __str__(self) -> str:
        raise ValueError("no text for this")


VARIABLES = {
    "first_name": "Sam {{ 7*7 }}",
    "sender": "Gemeente Venlo",
    "days_left": 31,
    "report_date": dt.date(2027, 1, 14),
    "nothing": None,
    "answers": [{"condition": "housing", "note": "ë"}],
    "count": 2.5,
    "markup": Markup("<b>x</b>"),
    "broken": Broken(),
    "long": "x" * (MAX_OUTPUT_CHARS - 10),
}


def outcome(template, variables) -> str:
    """The text, or the error message of a failed render."""
    try:
        return render(template, variables)
    except RenderError as exc:
        return f"RenderError: {exc}"


@pytest.mark.parametrize("source", SUBSTITUTIONS)
def test_a_substitution_renders_as_the_sandbox_renders_it(source):
    template = compile_text(source)
    assert template.substitution is not None
    assert outcome(template, VARIABLES) == outcome(ENV.from_string(source), VARIABLES)


def test_a_variable_name_that_is_no_string_goes_to_the_sandbox():
    variables = {"first_name": "Sam", 1: "one"}
    source = "Hallo {{ first_name }}"
    assert outcome(compile_text(source), variables) == outcome(ENV.from_string(source), variables)


@pytest.mark.parametrize(
    "source",
    ["{{ first_name|upper }}", "{{ a.b }}", "{{ 'x' }}", "{{ a ~ b }}", "{% if a %}{% endif %}"],
)
def test_anything_more_than_names_is_no_substitution(source):
    assert compile_text(source).substitution is None


def test_every_text_of_the_scripts_renders_as_in_the_sandbox():
    scripts = load_default_scripts()
    substitutions = 0
    for script in scripts.values():
        for language in script.languages:
            state = State(step=None, language=language, answers={"id": {"status": "ok"}})
            variables = template_variables(script, SAM, MONDAY_MORNING, state)
            for _, text in locations(script):
                for source in text.sources.values():
                    template = compile_text(source)
                    substitutions += template.substitution is not None
                    sandboxed = outcome(ENV.from_string(source), variables)
                    assert outcome(template, variables) == sandboxed, source
    assert substitutions > 20


@pytest.mark.parametrize("language", ["nl", "en", "pl", "tr", "ar", "de"])
def test_dates_with_a_parsed_locale_as_babel_writes_them_with_the_code(language):
    day, moment = dt.date(2027, 1, 14), dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)
    text = run_text("{{ d|date }}|{{ d|date('d MMM') }}|{{ m|time }}", day, moment, language)
    pattern = DATE_PATTERNS.get(language, "EEEE d MMMM")
    assert text == "|".join(
        [
            format_date(day, pattern, locale=language),
            format_date(day, "d MMM", locale=language),
            format_time(moment, "HH:mm", locale=language),
        ]
    )


def test_an_unknown_language_fails_as_before():
    with pytest.raises(UnknownLocaleError):
        run_text("{{ d|date }}", dt.date(2027, 1, 14), None, "xx")
    with pytest.raises(UnknownLocaleError):  # not remembered: it fails every time
        run_text("{{ d|date }}", dt.date(2027, 1, 14), None, "xx")


def run_text(source: str, day, moment, language: str) -> str:
    return render(compile_text(source), {"d": day, "m": moment, "language": language})


def test_a_date_is_formatted_once_per_pattern_and_language(monkeypatch):
    """A cohort shares a few report dates: Babel formats each once, not per message."""
    from conversations import render as module

    calls = []
    real = module.format_date
    monkeypatch.setattr(module, "format_date", lambda *a, **k: calls.append(a) or real(*a, **k))
    day = dt.date(2031, 3, 3)  # a date no other test formats
    texts = [run_text("{{ d|date }}", day, None, language) for language in ["nl", "en"] * 3]
    assert texts == ["maandag 3 maart", "Monday 3 March"] * 3
    assert len(calls) == 2
    moment = dt.datetime(2031, 3, 3, 23, 30)  # not a plain date: Babel's, every time
    assert run_text("{{ d|date('d MMM') }}", moment, None, "nl") == "3 mrt"
    assert run_text("{{ d|date('d MMM') }}", moment, None, "nl") == "3 mrt"
    assert len(calls) == 4
