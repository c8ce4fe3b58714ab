"""Script texts for translators: which await review, and a round trip through PO files.

Each script text is addressed by a location (`steps.right_person.say`,
`steps.right_person.choices.yes.label`, `texts.help`, `conditions.debts`, ...), used as
the PO `msgctxt`. The `msgid` is the text in the script's first language, so a
translator (or Weblate) sees what to translate. A draft translation is exported as
`fuzzy`; importing a translation that is not fuzzy marks it reviewed.
"""

from __future__ import annotations

import io
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from conversations.script import Script, ScriptError, load_script, locations

HINT_LANGUAGE = "en"  # shown to translators next to the source text, when the script has it


def unreviewed(script: Script, language: str | None = None) -> list[tuple[str, str]]:
    """(location, language) of every draft or missing translation, for the editor."""
    out = []
    for where, text in locations(script):
        if "*" in text.sources:
            continue
        for lang in [language] if language else script.languages[1:]:
            if lang in text.drafts or lang not in text.sources:
                out.append((where, lang))
    return out


def export_po(script: Script, language: str) -> bytes:
    """A PO catalog of the script's texts in `language` (empty where not translated)."""
    source = script.default_language
    catalog = Catalog(
        locale=language,
        project=f"voorzorg script {script.id}",
        version=str(script.version),
        fuzzy=False,
    )
    for where, text in locations(script):
        original = text.sources.get(source) or text.sources.get("*")
        if not original:
            continue
        hint = text.sources.get(HINT_LANGUAGE) if language != HINT_LANGUAGE else None
        catalog.add(
            original,
            text.sources.get(language, "") if language != source else original,
            context=where,
            auto_comments=[f"{HINT_LANGUAGE}: {hint}"] if hint else [],
            flags={"fuzzy"} if language in text.drafts else (),
        )
    out = io.BytesIO()
    write_po(out, catalog, width=0, sort_output=False, include_previous=False)
    return out.getvalue()


def import_po(source: str, po: bytes, name: str = "<script>") -> str:
    """The script source with the catalog's translations written in (comments kept).

    A fuzzy entry becomes `{draft: ...}`, any other a reviewed string; entries without a
    translation, or for a location the script does not have, are left alone.
    """
    catalog = read_po(io.BytesIO(po))
    if catalog.locale is None:
        raise ScriptError(f"{name}: the PO file names no language")
    language = str(catalog.locale)
    yaml = _yaml()
    document = yaml.load(source)
    changed = False
    for message in catalog:
        if not message.id or not message.context or not message.string:
            continue
        node = _text_node(document, str(message.context))
        if node is None or _same(node.get(language), str(message.string), message.fuzzy):
            continue
        node[language] = _value(str(message.string), draft=message.fuzzy)
        changed = True
    if not changed:
        return source
    out = io.StringIO()
    yaml.dump(document, out)
    updated = out.getvalue()
    load_script(updated, name)  # still a script: raises ScriptError otherwise
    return updated


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments, anchors and quotes stay
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a text; flow lists end up on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _same(current: Any, text: str, draft: bool) -> bool:
    if isinstance(current, dict):
        return draft and set(current) == {"draft"} and str(current["draft"]) == text
    return not draft and current is not None and str(current) == text


def _value(text: str, draft: bool) -> Any:
    scalar = LiteralScalarString(text) if "\n" in text else DoubleQuotedScalarString(text)
    if not draft:
        return scalar
    wrapped = CommentedMap(draft=scalar)
    wrapped.fa.set_flow_style()
    return wrapped


def _text_node(document: Any, where: str) -> CommentedMap | None:
    """The YAML mapping of languages at a location, or None when it does not exist."""
    parts = where.split(".")
    node: Any = document
    if parts[0] == "steps" and len(parts) >= 3:
        node = (node.get("steps") or {}).get(parts[1])
        if node is not None and parts[2] == "choices" and len(parts) == 5:
            choices = node.get("choices") or []
            node = next((c for c in choices if str(c.get("id")) == parts[3]), None)
            parts = ["", "", parts[4]]
        node = node.get(parts[2]) if isinstance(node, dict) else None
    else:
        for part in parts:
            node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, CommentedMap) else None
