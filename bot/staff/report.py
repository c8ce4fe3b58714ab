"""Rendering the monitoring report: CSV for spreadsheets, HTML with charts for people."""

from __future__ import annotations

import csv
import datetime as dt
import io

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.staff.auth import require
from bot.staff.case_view import today
from bot.web.context import service_of
from bot.web.templating import page, render
from storage.report import Report, monitoring, rows


def to_csv(report: Report) -> str:
    table = rows(report)
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


def to_html(report: Report, language: str = "nl") -> str:
    return render(
        "report.html", language, report=report, table=rows(report), bars=chart_bars(report)
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
    report = await monitoring(service.rt.db, start, end, scope)
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
        table=rows(report),
        bars=chart_bars(report),
    )
