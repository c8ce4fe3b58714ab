"""SMS segment counting: GSM-7 (160 septets, 153 per part) or UCS-2 (70 units, 67 per part).

A message that fits one segment is sent as one. A longer one is split into parts that each
carry a header, leaving 153 septets or 67 UTF-16 code units. The sender fills the parts
in order and never splits a character: a GSM-7 extension character (€ [ ] { } ~ ^ | \\ and the
form feed) is an escape plus a septet, and a character outside the Basic Multilingual
Plane (most emoji) is a surrogate pair. When such a pair would straddle a boundary the
whole character moves to the next part, leaving a septet or unit unused; counting by
filling the parts greedily, character by character, gets those messages right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")
_GSM7 = frozenset(_GSM7_BASIC | _GSM7_EXTENDED)
_NOT_GSM7 = re.compile(f"[^{re.escape(''.join(sorted(_GSM7)))}]")
_EXTENDED = re.compile(f"[{re.escape(''.join(sorted(_GSM7_EXTENDED)))}]")

GSM7_SINGLE, GSM7_PART = 160, 153  # septets
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units


class Segments(NamedTuple):
    encoding: str  # "GSM-7" or "UCS-2"
    count: int
    non_gsm: str  # the characters that forced UCS-2, in order of appearance


def count_segments(text: str) -> Segments:
    """The encoding an SMS of `text` needs and how many segments it takes (1 when empty).

    Scans with regular expressions and the UTF-16 encoder; fills parts character by
    character only for a long text with characters of two septets or units.
    """
    if _NOT_GSM7.search(text) is None:
        double = len(_EXTENDED.findall(text))
        if len(text) + double <= GSM7_SINGLE:
            return Segments("GSM-7", 1, "")
        if not double:
            return Segments("GSM-7", -(-len(text) // GSM7_PART), "")
        septets = (2 if c in _GSM7_EXTENDED else 1 for c in text)
        return Segments("GSM-7", _fill(septets, GSM7_SINGLE, GSM7_PART), "")
    non_gsm = "".join(dict.fromkeys(_NOT_GSM7.findall(text)))
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2  # a lone surrogate is one
    if units <= UCS2_SINGLE:
        return Segments("UCS-2", 1, non_gsm)
    if units == len(text):  # no surrogate pairs
        return Segments("UCS-2", -(-units // UCS2_PART), non_gsm)
    sizes = (2 if ord(c) > 0xFFFF else 1 for c in text)
    return Segments("UCS-2", _fill(sizes, UCS2_SINGLE, UCS2_PART), non_gsm)


def _fill(sizes: Iterable[int], single: int, part: int) -> int:
    """Segments for characters of these sizes: one if they fit `single`, else parts of `part`.

    Each part is filled in order with whole characters; a character that does not fit
    the rest of a part starts the next one.
    """
    sizes = list(sizes)
    if sum(sizes) <= single:
        return 1
    count, used = 1, 0
    for size in sizes:
        if used + size > part:
            count, used = count + 1, 0
        used += size
    return count
