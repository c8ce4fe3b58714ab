"""/simulator: chat as a self-reporter in the browser, through the real engine and outbox.

Only in the sandbox: with real provider accounts the simulator would show real people.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.outreach import turns
from bot.outreach.inbound import Arrival, parse_payload
from bot.outreach.processing import bind, claimed_code
from bot.service import Service
from bot.web.templating import page
from bot.web.webhooks import BadRequest, form, read_body
from storage.cases import Case, get_case

CHANNEL = "simulator"
HERE = Path(__file__).parent


def routes() -> list[BaseRoute]:
    return [
        Route("/simulator", index),
        Route("/simulator/{reference}", conversation, methods=["GET", "POST"]),
        Route("/simulator/{reference}/start", start, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def _service(request: Request) -> Service:
    service: Service = request.app.state.voorzorg
    if not service.settings.sandbox:
        raise HTTPException(404, "the simulator exists only in the sandbox")
    return service


async def index(request: Request) -> Response:
    service = _service(request)
    code = request.query_params.get("code", "")
    if code:
        wanted = claimed_code(code)
        case = (
            await get_case(service.rt.db, service.rt.vault, invite_code=wanted) if wanted else None
        )
        if case is not None:
            return RedirectResponse(f"/simulator/{case.reference}", status_code=303)
    rows = await service.rt.db.fetchall(
        "SELECT reference FROM cases ORDER BY report_date, reference LIMIT 200"
    )
    cases = [await get_case(service.rt.db, service.rt.vault, reference=r[0]) for r in rows]
    return page("simulator_index.html", cases=cases, code=code, code_unknown=bool(code))


async def _case(service: Service, reference: str) -> Case:
    case = await get_case(service.rt.db, service.rt.vault, reference=reference)
    if case is None:
        raise HTTPException(404, "no such case")
    return case


def _address(case: Case) -> str:
    return f"simulator:{case.id}"


async def start(request: Request) -> Response:
    service = _service(request)
    case = await _case(service, request.path_params["reference"])
    address = _address(case)
    async with service.rt.db.transaction() as tx:
        await bind(tx, service.rt, case, CHANNEL, address, service.clock.now())
        await turns.start(tx, service.rt, case, CHANNEL, address, service.clock.now())
    service.sender.wake.set()
    return RedirectResponse(f"/simulator/{case.reference}", status_code=303)


async def conversation(request: Request) -> Response:
    service = _service(request)
    case = await _case(service, request.path_params["reference"])
    if request.method == "POST":
        try:
            text = form(await read_body(request)).get("text", "")
        except BadRequest as exc:
            return Response(exc.reason, status_code=exc.status)
        if text.strip():
            await _say(service, case, text)
        return RedirectResponse(f"/simulator/{case.reference}#end", status_code=303)
    messages = await _transcript(service, case)
    started = await service.rt.db.fetchone(
        "SELECT 1 FROM conversations WHERE case_id = ?", (case.id,)
    )
    choices = next((m["choices"] for m in reversed(messages) if m["from_bot"]), [])
    return page(
        "simulator_case.html", case=case, messages=messages, started=bool(started), choices=choices
    )


async def _say(service: Service, case: Case, text: str) -> None:
    address = _address(case)
    async with service.rt.db.transaction() as tx:
        await bind(tx, service.rt, case, CHANNEL, address, service.clock.now())
    arrival = Arrival(CHANNEL, uuid.uuid4().hex, address, "text", text)
    await service.store(arrival)
    await service.processor.process_pending()


async def _transcript(service: Service, case: Case) -> list[dict]:
    vault = service.rt.vault
    inbound = await service.rt.db.fetchall(
        "SELECT id, channel, body, received_at FROM inbound WHERE case_id = ?", (case.id,)
    )
    outbound = await service.rt.db.fetchall(
        """SELECT id, channel, body, choices, segments, encoding, status, created_at
           FROM outbox WHERE case_id = ? AND audience = 'person'""",
        (case.id,),
    )
    messages = [
        {
            "at": dt.datetime.fromisoformat(r["received_at"]),
            "order": (0, r["id"]),
            "from_bot": False,
            "channel": r["channel"],
            "text": parse_payload(vault.open(r["body"], "inbound.body") or "{}").get("text", ""),
        }
        for r in inbound
    ] + [
        {
            "at": dt.datetime.fromisoformat(r["created_at"]),
            "order": (1, r["id"]),
            "from_bot": True,
            "channel": r["channel"],
            "segments": r["segments"],
            "encoding": r["encoding"],
            "status": r["status"],
            "text": vault.open(r["body"], "outbox.body") or "",
            "choices": json.loads(vault.open(r["choices"], "outbox.choices") or "[]"),
        }
        for r in outbound
    ]
    return sorted(messages, key=lambda m: (m["at"], m["order"]))
