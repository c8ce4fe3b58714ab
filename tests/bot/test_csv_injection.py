"""CSV output never hands a spreadsheet a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io

from bot.staff.report import cell, to_csv
from storage.report import Figures, Report


def test_text_that_starts_like_a_formula_is_neutralised():
    for hostile in ('=HYPERLINK("http://evil","x")', "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"):
        assert cell(hostile) == "'" + hostile
    assert cell("Gemeente Venlo") == "Gemeente Venlo"
    assert cell(-3) == -3 and cell(0.5) == 0.5  # numbers stay numbers


def test_the_report_csv_has_no_formula_cells():
    figures = Figures(self_reporters=2)
    report = Report(
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 31),
        {("@Limburg", '=HYPERLINK("http://evil.example","klik")'): figures},
        figures,
    )
    cells = [c for row in csv.reader(io.StringIO(to_csv(report))) for c in row]
    assert '\'=HYPERLINK("http://evil.example","klik")' in cells
    assert "'@Limburg" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
