"""Rendering admin-edited texts: Jinja2's immutable sandbox with a budget, Babel dates.

An administrator's template must not be able to freeze or exhaust the service. Every
render gets a budget: a number of steps (loop iterations, calls, filters) and a
deadline, checked as it goes; every string and list it makes is bounded in size before
it is made (repetition, `%` and `str.format` widths, `center`, `indent`, `join`,
`replace`, concatenation) and after; numbers are bounded in size. A template that goes
over any of them fails with a `RenderError` that says which.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from jinja2 import StrictUndefined, Template, TemplateError, nodes, pass_context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PATTERNS = {
    "nl": "EEEE d MMMM 'om' HH:mm",
    "en": "EEEE d MMMM 'at' HH:mm",
    "pl": "EEEE d MMMM 'o' HH:mm",
    "tr": "d MMMM EEEE, HH:mm",
    "ar": "EEEE d MMMM، HH:mm",
}
DATE_PATTERNS = {"tr": "d MMMM EEEE"}  # `date` filter default where EEEE d MMMM reads wrong
MAX_OUTPUT_CHARS = 1600  # ten SMS segments; no bot message needs more
MAX_SEQUENCE = 200  # bounds range() and string/list repetition inside templates
MAX_VALUE_CHARS = 20_000  # any string or list a template makes along the way
MAX_WIDTH = MAX_OUTPUT_CHARS  # widths and counts given to filters, methods and formats
MAX_INT_BITS = 128  # numbers a template computes with
MAX_STEPS = 20_000  # loop iterations, calls and filters in one render
TIME_BUDGET = 0.5  # seconds of one render
UNSAFE_FILTERS = ("pprint", "random", "urlize", "xmlattr")  # unbounded or not repeatable


class RenderError(ValueError):
    """A template failed to render or exceeded its bounds."""


class _Budget:
    """Steps and time left for one render."""

    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + TIME_BUDGET

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise SecurityError(f"the text takes more than {MAX_STEPS} steps to make")
        if time.monotonic() > self.deadline:
            raise SecurityError(f"the text takes longer than {TIME_BUDGET} s to make")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("budget", default=None)


@contextmanager
def _budgeted() -> Iterator[None]:
    """A budget for the render that starts here (a render inside one shares it)."""
    if _BUDGET.get() is not None:
        yield
        return
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _step() -> None:
    budget = _BUDGET.get()
    if budget is None:
        raise SecurityError("templates render only through the budgeted paths")
    budget.step()


def _sized(value: Any) -> Any:
    """`value`, if it is not too large a string, sequence or number."""
    if isinstance(value, str | list | tuple | dict) and len(value) > MAX_VALUE_CHARS:
        raise SecurityError(f"a value longer than {MAX_VALUE_CHARS} is not allowed")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise SecurityError("numbers this large are not allowed")
    return value


def _limit(size: int) -> None:
    if size > MAX_VALUE_CHARS:
        raise SecurityError(f"a value longer than {MAX_VALUE_CHARS} is not allowed")


def _width(value: Any) -> None:
    if isinstance(value, int | float) and abs(value) > MAX_WIDTH:
        raise SecurityError(f"widths and counts above {MAX_WIDTH} are not allowed")


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent_format(fmt: str) -> None:
    """`'%100000000d' % 1` and `'%*d' % (10**8, 1)` would allocate without bound."""
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_WIDTH):
                raise SecurityError(f"format widths above {MAX_WIDTH} are not allowed")


def _check_brace_format(fmt: str) -> None:
    """`'{0:>100000000}'.format(1)` would allocate without bound; nested fields too."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise SecurityError(f"bad format: {exc}") from None
    for _, _, spec, _ in fields:
        if spec and ("{" in spec or any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec))):
            raise SecurityError(f"format widths above {MAX_WIDTH} are not allowed")


def _limited_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_SEQUENCE:
        raise SecurityError(f"range longer than {MAX_SEQUENCE} is not allowed")
    return r


def _loop(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every `{% for %}` goes through here: each iteration is a step of the budget."""
    for item in iterable:
        _step()
        yield item


def _concat(*parts: Any) -> str:
    """`a ~ b`, bounded before the string is made."""
    texts = [str(p) for p in parts]
    _limit(sum(len(t) for t in texts))
    return "".join(texts)


def _before_filter(name: str, value: Any, args: tuple, kwargs: dict) -> None:
    """Refuse what would make a large value before it is made."""
    for arg in (*args, *kwargs.values()):
        _width(arg)
    if name == "format" and isinstance(value, str):
        _check_percent_format(value)
    elif name == "indent" and isinstance(value, str):
        width = args[0] if args and isinstance(args[0], int) else 4
        _limit(len(value) + width * (value.count("\n") + 1))
    elif name == "join" and isinstance(value, list | tuple):
        glue = str(args[0]) if args else ""
        _limit(sum(len(str(v)) for v in value) + len(glue) * len(value))
    elif name == "replace" and isinstance(value, str) and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        _limit(len(value) + (value.count(old) if old else len(value) + 1) * len(new))


def _guard_filter(name: str, function: Callable) -> Callable:
    """A filter with a step, size checks before, and a size check of its result."""
    skip = 2 if getattr(function, "jinja_pass_arg", None) else 1

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _step()
        if len(args) >= skip:
            _before_filter(name, args[skip - 1], args[skip:], kwargs)
        return _sized(function(*args, **kwargs))

    return guarded


@functools.lru_cache(maxsize=64)
def _parsed_locale(language: str) -> Locale:
    return Locale.parse(language)


def _locale(language: Any) -> Any:
    """Babel's locale of a language code, parsed once (about 7 us a parse); anything else
    as it is, for Babel to refuse as it always did."""
    return _parsed_locale(language) if type(language) is str else language


@pass_context
def _date(context: Any, value: dt.date, pattern: str | None = None) -> str:
    language = context.get("language", "nl")
    pattern = pattern or DATE_PATTERNS.get(language, "EEEE d MMMM")
    if type(value) is dt.date and type(pattern) is str and type(language) is str:
        return _formatted_date(value, pattern, language)
    return format_date(value, pattern, locale=_locale(language))


@functools.lru_cache(maxsize=4096)
def _formatted_date(value: dt.date, pattern: str, language: str) -> str:
    """A date as Babel formats it, once per date, pattern and language: a cohort shares a
    few report dates, and Babel takes about 40 us a date."""
    return format_date(value, pattern, locale=_locale(language))


@pass_context
def _datetime(context: Any, value: dt.datetime, pattern: str | None = None) -> str:
    """`dinsdag 8 december om 10:00` / `Tuesday 8 December at 10:00`, in the calendar's
    time zone (the `timezone` variable; Amsterdam when a template is rendered without)."""
    language = context.get("language", "nl")
    pattern = pattern or PATTERNS.get(language, PATTERNS["en"])
    zone = (context.get("timezone") or AMSTERDAM) if value.tzinfo else None
    return format_datetime(value, pattern, tzinfo=zone, locale=_locale(language))


@pass_context
def _time(context: Any, value: dt.datetime | dt.time, pattern: str = "HH:mm") -> str:
    return format_time(value, pattern, locale=_locale(context.get("language", "nl")))


class _Guard(NodeTransformer):
    """Rewrites a parsed template so its loops and concatenations go through the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _call("budget_loop", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _call("budget_concat", node.nodes, node.lineno)


def _call(attribute: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    function = nodes.EnvironmentAttribute(attribute, lineno=lineno)
    return nodes.Call(function, args, [], None, None, lineno=lineno)


class Substitution(NamedTuple):
    """A text that is only data and plain `{{ name }}`s: `texts[0]`, the first name's
    value, `texts[1]`, ... (one text more than names)."""

    texts: tuple[str, ...]
    names: tuple[str, ...]


class BudgetedTemplate(Template):
    """A template whose every render runs on a budget.

    `constant` is the text a template without any Jinja syntax always renders to, and
    `substitution` the parts of one that only puts variables in (both set by
    `compile_text`); `render` makes those without the sandbox.
    """

    constant: str | None = None
    substitution: Substitution | None = None

    def render(self, *args: Any, **kwargs: Any) -> str:
        if self.constant is not None:
            return self.constant
        with _budgeted():
            return super().render(*args, **kwargs)

    def generate(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        with _budgeted():
            yield from super().generate(*args, **kwargs)


class TextEnvironment(ImmutableSandboxedEnvironment):
    """Sandbox for plain-text messages: no autoescape, undefined names are errors, every
    render on a budget of steps, time and sizes."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "-", "/", "//"})
    template_class = BudgetedTemplate
    budget_loop = staticmethod(_loop)
    budget_concat = staticmethod(_concat)

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
        self.globals = {"range": _limited_range}
        self.filters["date"] = _date
        self.filters["datetime"] = _datetime
        self.filters["time"] = _time
        self.filters = {
            name: _guard_filter(name, function)
            for name, function in self.filters.items()
            if name not in UNSAFE_FILTERS
        }

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _Guard().visit(super()._parse(source, name, filename))

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        _step()
        _sized(left)
        _sized(right)
        if operator_ == "**":
            raise SecurityError("powers are not allowed in texts")
        if operator_ == "%" and isinstance(left, str):
            _check_percent_format(left)
        if operator_ == "*":
            sequence, times = (right, left) if isinstance(left, int) else (left, right)
            repeated = isinstance(sequence, str | list | tuple) and isinstance(times, int)
            if repeated and len(sequence) * max(times, 0) > MAX_OUTPUT_CHARS:
                raise SecurityError("repetition too long")
        if operator_ == "+" and isinstance(left, str | list | tuple):
            _limit(len(left) + len(right) if hasattr(right, "__len__") else 0)
        return _sized(super().call_binop(context, operator_, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Calls (macros, methods) are steps; string methods get bounded widths."""
        _step()
        if isinstance(getattr(__obj, "__self__", None), str):
            for arg in (*args, *kwargs.values()):
                _width(arg)
            if getattr(__obj, "__name__", "") == "join" and args:
                _limit(sum(len(str(a)) for a in args[0]) * 2 + len(__obj.__self__))
        return _sized(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_brace_format(value.__self__)
        return wrapped


ENV = TextEnvironment()


# Where Jinja syntax starts; a text without any of these is data only (no line statements).
_SYNTAX = (ENV.block_start_string, ENV.variable_start_string, ENV.comment_start_string)
assert ENV.line_statement_prefix is None and ENV.line_comment_prefix is None


def compile_text(source: str) -> Template:
    """`source` compiled in the sandbox. A text without Jinja syntax gets its output,
    made once by the sandbox itself, as `constant`: it cannot depend on any variable. A
    text of data and plain `{{ name }}`s only gets its parts as `substitution`."""
    template = ENV.from_string(source)
    if not isinstance(template, BudgetedTemplate):
        return template
    if not any(s in source for s in _SYNTAX):
        template.constant = "".join(template.generate())
    elif ENV.block_start_string not in source and ENV.comment_start_string not in source:
        template.substitution = _substitution(ENV.parse(source))
    return template


def _substitution(parsed: nodes.Template) -> Substitution | None:
    """The parts of a template that is one output of data and names, else None."""
    if len(parsed.body) != 1 or not isinstance(parsed.body[0], nodes.Output):
        return None
    texts, names = [""], []
    for node in parsed.body[0].nodes:
        if isinstance(node, nodes.TemplateData):
            texts[-1] += node.data
        elif isinstance(node, nodes.Name) and node.ctx == "load":
            names.append(node.name)
            texts.append("")
        else:
            return None
    return Substitution(tuple(texts), tuple(names))


def _substitute(substitution: Substitution, variables: Mapping[str, Any]) -> str | None:
    """What the sandbox makes of a substitution: each value as `str()`; None when the
    sandbox must say it (a name it lacks or finds in its globals, a value `str()` fails
    on, a name that is no string)."""
    if not all(name in variables for name in substitution.names):
        return None
    if not all(isinstance(name, str) for name in variables):
        return None
    texts = substitution.texts
    parts = [texts[0]]
    try:
        for name, text in zip(substitution.names, texts[1:], strict=True):
            parts += (str(variables[name]), text)
    except Exception:
        return None
    return "".join(parts)


def render(
    template: Template, variables: Mapping[str, Any] | Callable[[], Mapping[str, Any]]
) -> str:
    """Render on a budget, with a hard cap on output size, streaming so a runaway loop
    stops early. `variables` may be a function that makes them: it is called only for a
    text that is not constant. Constants and substitutions skip the sandbox, with the
    same cap and the same text."""
    constant = getattr(template, "constant", None)
    if constant is not None:  # what the loop below makes of it, without the sandbox
        if len(constant) > MAX_OUTPUT_CHARS:
            raise RenderError(f"text longer than {MAX_OUTPUT_CHARS} characters")
        return constant.strip()
    if callable(variables):
        variables = variables()
    substitution = getattr(template, "substitution", None)
    if substitution is not None and (text := _substitute(substitution, variables)) is not None:
        if len(text) > MAX_OUTPUT_CHARS:
            raise RenderError(f"text longer than {MAX_OUTPUT_CHARS} characters")
        return text.strip()
    out: list[str] = []
    size = 0
    try:
        with _budgeted():
            for chunk in Template.generate(template, variables):  # budgeted already
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    raise RenderError(f"text longer than {MAX_OUTPUT_CHARS} characters")
                out.append(chunk)
    except RenderError:
        raise
    except RecursionError:
        raise RenderError("the text calls itself too deeply") from None
    except MemoryError:
        raise RenderError("the text needs too much memory") from None
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise RenderError(str(exc)) from exc
    return "".join(out).strip()
