"""Fixed texts outside conversation scripts, from gettext catalogs (Babel).

Conversation texts live in the scripts; what is here is said before a case is known
(unknown sender, wrong invite code) or about the channel itself (send text, not a photo).
Catalogs are read from the `.po` files with Babel, so there is no compile step to forget.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

DOMAIN = "voorzorg"
LANGUAGES = ("nl", "en", "pl", "tr", "ar")  # pl, tr, ar: texts for self-reporters only
_HERE = Path(__file__).parent


@cache
def _catalog(language: str) -> dict[str, str]:
    path = _HERE / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def N_(message: str) -> str:
    """Marks a constant for extraction; translate it later with `gettext`."""
    return message


def gettext(language: str, message: str) -> str:
    """The message in `language`; the source text (English) when it has no translation."""
    return _catalog(language).get(message) or message


def both(message: str) -> str:
    """Dutch, then English: for someone whose language we cannot know yet."""
    return f"{gettext('nl', message)}\n\n{gettext('en', message)}"
