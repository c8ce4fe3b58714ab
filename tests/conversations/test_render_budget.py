"""A hostile template is refused quickly, with a clear error, whatever it tries."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from jinja2 import TemplateError

from conversations.render import RenderError, compile_text, render

HOSTILE = {
    "nested loops": "{% for a in range(200) %}{% for b in range(200) %}"
    "{% for c in range(200) %}{% endfor %}{% endfor %}{% endfor %}",
    "loops over a long literal": "{% set s = '" + "x" * 5000 + "' %}"
    "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "brace format width": "{{ '{0:>100000000}'.format(1) }}",
    "nested brace width": "{{ '{0:>{1}}'.format(1, 100000000) }}",
    "percent width": "{{ '%100000000d' % 1 }}",
    "percent star": "{{ '%*d' % (100000000, 1) }}",
    "format filter width": "{{ '%100000000s'|format('x') }}",
    "center method": "{{ 'x'.center(10**8) }}",
    "center method no power": "{{ 'x'.center(100000000) }}",
    "center filter": "{{ 'x'|center(100000000) }}",
    "ljust": "{{ 'x'.ljust(100000000) }}",
    "zfill": "{{ '1'.zfill(100000000) }}",
    "repetition": "{{ 'x' * 10**8 }}",
    "repetition plain": "{{ 'x' * 100000000 }}",
    "doubling by concatenation": "{% set s = 'x' * 1000 %}"
    + "".join("{% set s = s ~ s %}" for _ in range(40))
    + "{{ s|length }}",
    "doubling by plus": "{% set s = 'x' * 1000 %}"
    + "".join("{% set s = s + s %}" for _ in range(40))
    + "{{ s|length }}",
    "replace blow-up": "{% set s = 'x' * 1000 %}{{ s|replace('x', 'y' * 1000)|length }}",
    "indent blow-up": "{% set s = '\\n' * 1000 %}{{ s|indent(1600)|indent(1600)|length }}",
    "join blow-up": "{{ range(200)|join('x' * 1600)|length }}",
    "big numbers": "{% set n = 99999999999999999999 %}"
    + "".join("{% set n = n * n %}" for _ in range(30))
    + "{{ n > 0 }}",
    "exponential macro": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}"
    "{% endmacro %}{{ f(40) }}",
    "endless recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "recursive loop": "{% for x in [[1, 2], [3]] recursive %}{{ loop(x) }}{% endfor %}",
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_templates_are_refused_quickly_and_small(source):
    template = compile_text(source)
    started = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(RenderError) as refused:
            render(template, {"first_name": "Sam"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5  # the budget is half a second; generous
    assert peak < 5_000_000  # bytes: nothing large was made before the refusal
    assert str(refused.value)  # says why


def test_filters_that_cannot_be_bounded_or_repeated_are_not_there():
    for name in ("random", "pprint", "urlize", "xmlattr"):
        with pytest.raises(TemplateError, match=f"No filter named '{name}'"):
            compile_text(f"{{{{ [1]|{name} }}}}")


def test_the_reason_is_clear():
    with pytest.raises(RenderError, match="format widths above 1600 are not allowed"):
        render(compile_text("{{ '{0:>100000000}'.format(1) }}"), {})
    with pytest.raises(RenderError, match="widths and counts above 1600 are not allowed"):
        render(compile_text("{{ 'x'.center(100000000) }}"), {})
    with pytest.raises(RenderError, match="more than 20000 steps"):
        render(compile_text(HOSTILE["nested loops"]), {})


def test_ordinary_templates_still_render():
    source = (
        "{% for o in offers %}{{ loop.index }}. {{ o|upper }}{% if not loop.last %}, "
        "{% endif %}{% endfor %} - {{ '%s, %d'|format(name, 3) }} {{ '{0:>5}'.format(7) }}"
        "{{ name|center(9) }}{{ ['a', 'b']|join('/') }}{{ 2 * 3 + 1 }}"
    )
    got = render(compile_text(source), {"offers": ["di", "wo"], "name": "Sam"})
    assert got == "1. DI, 2. WO - Sam, 3     7   Sam   a/b7"


def test_direct_renders_are_budgeted_too():
    """Labels are rendered with Template.render: the budget holds there as well."""
    with pytest.raises(Exception, match="steps"):
        compile_text(HOSTILE["nested loops"]).render()
