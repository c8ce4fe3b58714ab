"""A text without Jinja syntax renders without the sandbox, to exactly what the sandbox makes."""

from __future__ import annotations

import pytest

from conversations.render import ENV, MAX_OUTPUT_CHARS, RenderError, compile_text, render
from conversations.script import load_default_scripts, locations

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


def test_every_constant_text_of_the_scripts_renders_as_in_the_sandbox():
    variables = {"first_name": "Sam", "language": "nl"}
    seen = 0
    for script in load_default_scripts().values():
        for _, text in locations(script):
            for source in text.sources.values():
                template = compile_text(source)
                if template.constant is not None:
                    seen += 1
                    assert render(template, variables) == sandbox(source, variables)
    assert seen > 50
