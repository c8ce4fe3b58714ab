"""SMS segment counting: GSM-7 (160/153 per segment) or UCS-2 (70/67)."""

from __future__ import annotations

from typing import NamedTuple

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")
_GSM7 = frozenset(_GSM7_BASIC | _GSM7_EXTENDED)


class Segments(NamedTuple):
    encoding: str  # "GSM-7" or "UCS-2"
    count: int
    non_gsm: str  # the characters that forced UCS-2, in order of appearance


def count_segments(text: str) -> Segments:
    non_gsm = "".join(dict.fromkeys(c for c in text if c not in _GSM7))
    if non_gsm:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)  # UTF-16 code units
        return Segments("UCS-2", 1 if units <= 70 else -(-units // 67), non_gsm)
    septets = sum(2 if c in _GSM7_EXTENDED else 1 for c in text)
    return Segments("GSM-7", 1 if septets <= 160 else -(-septets // 153), "")
