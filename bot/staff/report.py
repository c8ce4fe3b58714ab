"""Rendering the monitoring report: CSV for spreadsheets, HTML with charts for people."""

from __future__ import annotations

import csv
import datetime as dt
import io

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.staff.auth import require
from bot.staff.case_view import today, zone
from bot.web.context import service_of
from bot.web.templating import page, render
from locales import N_
from storage.report import Report, monitoring, rows

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A value safe for a spreadsheet: text that a spreadsheet would run as a formula
    (starting with = + - @, a tab or a carriage return) gets a leading apostrophe.
    Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(report: Report) -> str:
    """The report as CSV, every text cell (headers too) neutralised for spreadsheets."""
    table = [{cell(k): cell(v) for k, v in row.items()} for row in rows(report)]
    columns = list(dict.fromkeys(key for row in table for key in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval=0, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue()


def chart_bars(report: Report) -> list[dict]:
    """Response rate per organisation, as bars of 0-100 for an inline SVG."""
    return [
        {"label": name, "value": round((figures.response_rate or 0) * 100)}
        for (_, name), figures in report.groups.items()
    ]


# The CSV's keys, worded for people (translated through the catalogs on the page).
PREFIXES = {
    "escalations": N_("escalations"),
    "contact": N_("first reached by"),
    "attempts": N_("contact attempts"),
}
FIGURE_LABELS = (
    N_("self-reporters"),
    N_("contacted"),
    N_("responded"),
    N_("response rate"),
    N_("consent given"),
    N_("intake completed"),
    N_("appointments booked"),
    N_("appointments kept"),
    N_("opted out"),
    N_("cases with actions"),
    N_("known to care"),
    N_("median days to response"),
    N_("median hours to acknowledge"),
)


def figures_table(report: Report) -> dict:
    """The report turned a quarter: one row per figure, one column per organisation and
    the total, so it stays narrow on a phone however many figures there are.

    Each row's `label` is (prefix or None, English label or code); every row has a value
    for every column, zero included.
    """
    table = rows(report)
    columns = [{"province": r["province"], "organisation": r["organisation"]} for r in table]
    keys = [k for k in table[0] if k not in ("province", "organisation")]
    out = []
    for key in keys:
        prefix, _, code = key.partition(": ")
        label = (PREFIXES[prefix], code) if code else (None, key)
        out.append({"key": key, "label": label, "cells": [r.get(key, 0) for r in table]})
    return {"columns": columns, "rows": out}


def to_html(report: Report, language: str = "nl") -> str:
    return render(
        "report.html",
        language,
        report=report,
        figures=figures_table(report),
        bars=chart_bars(report),
    )


def period(raw_from: str | None, raw_to: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """From the first of this month to today, unless given (YYYY-MM-DD)."""
    try:
        start = dt.date.fromisoformat(raw_from) if raw_from else today.replace(day=1)
        end = dt.date.fromisoformat(raw_to) if raw_to else today
    except ValueError:
        raise ValueError("dates look like 2026-12-31") from None
    if start > end:
        raise ValueError("--from is after --to")
    return start, end


async def report_page(request: Request) -> Response:
    session = await require(request)
    service = service_of(request)
    day = today(service)
    try:
        start, end = period(request.query_params.get("from"), request.query_params.get("to"), day)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    scope = None if session.user.is_admin else session.user.organisation_id
    report = await monitoring(service.rt.db, start, end, scope, zone(service))
    if request.query_params.get("format") == "csv":
        return Response(
            to_csv(report),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="voorzorg-{start}-{end}.csv"'},
        )
    return page(
        "staff_report.html",
        session.user.language,
        session=session,
        report=report,
        figures=figures_table(report),
        bars=chart_bars(report),
    )
