"""Rendering admin-edited texts: Jinja2's immutable sandbox, bounded output, Babel dates."""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from jinja2 import StrictUndefined, Template, TemplateError, pass_context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

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


class RenderError(ValueError):
    """A template failed to render or exceeded its bounds."""


def _limited_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_SEQUENCE:
        raise SecurityError(f"range longer than {MAX_SEQUENCE} is not allowed")
    return r


@pass_context
def _date(context: Any, value: dt.date, pattern: str | None = None) -> str:
    language = context.get("language", "nl")
    return format_date(
        value, pattern or DATE_PATTERNS.get(language, "EEEE d MMMM"), locale=language
    )


@pass_context
def _datetime(context: Any, value: dt.datetime, pattern: str | None = None) -> str:
    """`dinsdag 8 december om 10:00` / `Tuesday 8 December at 10:00`, in the calendar's
    time zone (the `timezone` variable; Amsterdam when a template is rendered without)."""
    language = context.get("language", "nl")
    pattern = pattern or PATTERNS.get(language, PATTERNS["en"])
    zone = (context.get("timezone") or AMSTERDAM) if value.tzinfo else None
    return format_datetime(value, pattern, tzinfo=zone, locale=language)


@pass_context
def _time(context: Any, value: dt.datetime | dt.time, pattern: str = "HH:mm") -> str:
    return format_time(value, pattern, locale=context.get("language", "nl"))


class TextEnvironment(ImmutableSandboxedEnvironment):
    """Sandbox for plain-text messages: no autoescape, undefined names are errors."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
        self.globals = {"range": _limited_range}
        self.filters["date"] = _date
        self.filters["datetime"] = _datetime
        self.filters["time"] = _time

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            raise SecurityError("powers are not allowed in texts")
        if isinstance(left, int) and isinstance(right, str | list | tuple):
            left, right = right, left
        repeated = isinstance(left, str | list | tuple) and isinstance(right, int)
        if repeated and len(left) * max(right, 0) > MAX_OUTPUT_CHARS:
            raise SecurityError("repetition too long")
        return operator.mul(left, right)


ENV = TextEnvironment()


def compile_text(source: str) -> Template:
    return ENV.from_string(source)


def render(template: Template, variables: dict[str, Any]) -> str:
    """Render with a hard cap on output size, streaming so a runaway loop stops early."""
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(variables):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise RenderError(f"text longer than {MAX_OUTPUT_CHARS} characters")
            out.append(chunk)
    except RenderError:
        raise
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise RenderError(str(exc)) from exc
    return "".join(out).strip()
