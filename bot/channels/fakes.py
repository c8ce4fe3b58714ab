"""Local stand-ins for Twilio and the Telegram Bot API, for tests and offline demos.

Each runs a real HTTP server on 127.0.0.1 in a background thread; point
`TWILIO_API_URL` / `TELEGRAM_API_URL` at `.url`. They record every request and answer
like the real APIs, or with the failure you queue: `fake.fail_next(429)`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Failure:
    status: int
    body: dict[str, Any]


class ServerThread:
    """An ASGI app under uvicorn on 127.0.0.1, in a daemon thread of this process."""

    def __init__(self, app: Any, port: int | None = None, **config: Any):
        self.port = port or free_port()
        options = {"log_level": "error", **config}
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, **options)
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)


@dataclass
class _FakeServer:
    port: int = field(default_factory=free_port)
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> _FakeServer:
        self._server = ServerThread(self.app(), self.port).start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        """Forget every request and queued failure, as if just started."""
        self.requests.clear()
        self.failures.clear()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def app(self) -> Starlette:
        raise NotImplementedError

    def _failure(self) -> Failure | None:
        return self.failures.pop(0) if self.failures else None

    def wait_for(self, count: int, timeout: float = 10.0, **match: Any) -> list[dict[str, Any]]:
        """Block until `count` recorded requests match, e.g. `wait_for(2, method="sendMessage")`."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.requests if all(r.get(k) == v for k, v in match.items())]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


@dataclass
class FakeTwilio(_FakeServer):
    """The Messages resource of Twilio's REST API."""

    _sids: itertools.count = field(default_factory=lambda: itertools.count(1))
    # Twilio's clock, for `date_created` and the list filter; a test may set its own.
    now: Callable[[], dt.datetime] = field(default=lambda: _utc_now())
    drop_next_response: int = 0  # accept the next N messages but answer too late
    drop_seconds: float = 20.0

    def reset(self) -> None:
        super().reset()
        self._sids = itertools.count(1)
        self.now = _utc_now
        self.drop_next_response, self.drop_seconds = 0, 20.0

    def fail_next(self, status: int, code: int | None = None) -> None:
        body = {
            "code": code or status,
            "message": "fake failure",
            "status": status,
            "more_info": "https://www.twilio.com/docs/errors",
        }
        self.failures.append(Failure(status, body))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["accepted"]]

    def app(self) -> Starlette:
        async def create(request: Request) -> JSONResponse:
            fields = dict(parse_qsl((await request.body()).decode()))
            failure = self._failure()
            record = {**fields, "account": request.path_params["sid"], "accepted": not failure}
            if failure:
                self.requests.append(record)
                return JSONResponse(failure.body, status_code=failure.status)
            sid = f"SM{next(self._sids):032d}"
            created = self.now()
            body = fields.get("Body") or self._template_text(fields)
            record.update(sid=sid, date_created=created, Body=body)
            self.requests.append(record)
            if self.drop_next_response:
                self.drop_next_response -= 1
                await asyncio.sleep(self.drop_seconds)  # the client times out: accepted, unanswered
            return JSONResponse(self._resource(record), status_code=201)

        async def listing(request: Request) -> JSONResponse:
            """GET Messages.json: what was accepted, filtered by To and DateSent>."""
            to = request.query_params.get("To")
            after = request.query_params.get("DateSent>")
            since = _parse_time(after) if after else None
            found = [
                self._resource(r)
                for r in reversed(self.messages)
                if to in (None, r.get("To")) and (since is None or r["date_created"] >= since)
            ]
            return JSONResponse(
                {"messages": found, "next_page_uri": None, "page": 0, "page_size": len(found)}
            )

        return Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{sid}/Messages.json",
                    create,
                    methods=["POST"],
                ),
                Route("/2010-04-01/Accounts/{sid}/Messages.json", listing, methods=["GET"]),
            ]
        )

    def _template_text(self, fields: dict[str, str]) -> str:
        """What a Content API send shows: the template's SID and its variables."""
        return f"[template {fields.get('ContentSid')} {fields.get('ContentVariables', '')}]"

    def _resource(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "sid": record["sid"],
            "status": "queued",
            "to": record.get("To"),
            "body": record.get("Body"),
            "from": record.get("From"),
            "num_segments": "1",
            "messaging_service_sid": record.get("MessagingServiceSid"),
            "date_created": format_datetime(record["date_created"], usegmt=True),
            "date_sent": None,
        }


def _parse_time(raw: str) -> dt.datetime:
    """Twilio's list filters take `YYYY-MM-DD` or ISO 8601 (the SDK sends the latter)."""
    moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass
class FakeTelegram(_FakeServer):
    """The few Bot API methods Voorzorg calls."""

    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        super().reset()
        self._ids = itertools.count(1)

    def fail_next(self, status: int, description: str = "fake failure", **extra: Any) -> None:
        body = {"ok": False, "error_code": status, "description": description, **extra}
        self.failures.append(Failure(status, body))

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.requests
            if r["method"] == "sendMessage"
            and r["ok"]
            and (chat_id is None or int(r["chat_id"]) == chat_id)
        ]

    def app(self) -> Starlette:
        async def call(request: Request) -> JSONResponse:
            method = request.path_params["method"]
            params = await _params(request)
            failure = self._failure() if method == "sendMessage" else None
            self.requests.append({"method": method, "ok": not failure, **params})
            if failure:
                return JSONResponse(failure.body, status_code=failure.status)
            return JSONResponse({"ok": True, "result": self._result(method, params)})

        return Starlette(routes=[Route("/bot{token}/{method}", call, methods=["GET", "POST"])])

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": 4242,
                "is_bot": True,
                "first_name": "Voorzorg",
                "username": "voorzorg_bot",
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "sendMessage":
            return {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text", ""),
            }
        if method == "getUpdates":
            return []
        return True


async def _params(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        data = json.loads(raw or b"{}")
    else:
        data = dict(parse_qsl(raw.decode()))
    for key in ("reply_markup", "allowed_updates"):
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key])
    return data
