"""The one template environment for pages: autoescaped, translated per render."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from bot.web.labels import label
from locales import gettext

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
)
TEMPLATES.globals["label"] = label  # `{{ _(label(code)) }}`: a code in the page's language


def render(name: str, language: str = "nl", **context) -> str:
    """A template rendered with `language`'s catalog (rendering is synchronous, so the
    translation callables installed here are the ones this render uses)."""
    TEMPLATES.install_gettext_callables(
        lambda message: gettext(language, message),
        lambda one, many, n: gettext(language, one if n == 1 else many),
        newstyle=True,
    )
    return TEMPLATES.get_template(name).render(lang=language, **context)


def page(name: str, language: str = "nl", status: int = 200, **context) -> HTMLResponse:
    """A page as an HTML response."""
    return HTMLResponse(render(name, language, **context), status_code=status)
