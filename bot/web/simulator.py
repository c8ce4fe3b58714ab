"""/simulator: chat as a self-reporter in the browser, through the real engine and outbox.

Only in the sandbox: with real provider accounts the simulator would show real people.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.errors import BadRequest
from bot.outreach import turns
from bot.outreach.inbound import Arrival
from bot.outreach.processing import bind, claimed_code
from bot.service import Service
from bot.web.context import service_of
from bot.web.forms import form, read_body
from bot.web.templating import page
from locales import N_
from storage import casework, conversations
from storage.cases import Case, get_case

CHANNEL = "simulator"
LISTED = 200  # cases on the index page
HERE = Path(__file__).parent


def routes() -> list[BaseRoute]:
    return [
        Route("/simulator", index),
        Route("/simulator/{reference}", conversation, methods=["GET", "POST"]),
        Route("/simulator/{reference}/start", start, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def _sandboxed(request: Request) -> Service:
    """The running service, if it runs in the sandbox; else the simulator does not exist."""
    service = service_of(request)
    if not service.settings.sandbox:
        raise HTTPException(404, N_("the simulator exists only in the sandbox"))
    return service


async def index(request: Request) -> Response:
    service = _sandboxed(request)
    code = request.query_params.get("code", "")
    if code:
        wanted = claimed_code(code)
        case = (
            await get_case(service.rt.db, service.rt.vault, invite_code=wanted) if wanted else None
        )
        if case is not None:
            return RedirectResponse(f"/simulator/{case.reference}", status_code=303)
    listed = await casework.listed(service.rt.db, service.rt.vault, None, limit=LISTED)
    cases = [item.case for item in listed]
    return page("simulator_index.html", cases=cases, code=code, code_unknown=bool(code))


async def _case(service: Service, reference: str) -> Case:
    case = await get_case(service.rt.db, service.rt.vault, reference=reference)
    if case is None:
        raise HTTPException(404, N_("no such case"))
    return case


def _address(case: Case) -> str:
    return f"simulator:{case.id}"


async def start(request: Request) -> Response:
    service = _sandboxed(request)
    case = await _case(service, request.path_params["reference"])
    address = _address(case)
    async with service.rt.db.transaction() as tx:
        await bind(tx, service.rt, case, CHANNEL, address, service.clock.now())
        await turns.start(tx, service.rt, case, (CHANNEL, address), service.clock.now())
    service.wake_sender()
    return RedirectResponse(f"/simulator/{case.reference}", status_code=303)


async def conversation(request: Request) -> Response:
    service = _sandboxed(request)
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
    started = await conversations.started(service.rt.db, case.id)
    choices = next((m["choices"] for m in reversed(messages) if m["from_bot"]), [])
    return page(
        "simulator_case.html", case=case, messages=messages, started=started, choices=choices
    )


async def _say(service: Service, case: Case, text: str) -> None:
    address = _address(case)
    async with service.rt.db.transaction() as tx:
        await bind(tx, service.rt, case, CHANNEL, address, service.clock.now())
    arrival = Arrival(CHANNEL, uuid.uuid4().hex, address, "text", text)
    await service.store(arrival)
    await service.settled(arrival)


async def _transcript(service: Service, case: Case) -> list[dict]:
    """The chat as the person sees it: what they sent and what the bot sent them."""
    entries = await casework.messages(service.rt.db, service.rt.vault, case.id)
    return [
        {
            "from_bot": entry.who == "bot",
            "channel": entry.channel,
            "text": entry.text,
            "choices": list(entry.choices),
            "segments": entry.segments,
            "encoding": entry.encoding,
            "status": entry.status,
        }
        for entry in entries
        if entry.who in ("person", "bot")
    ]
