"""The floor for a signed Twilio webhook: read the form, check the signature, answer.

    .venv/bin/python bench/bare.py --port 8099 --auth-token TOKEN --public-url URL

A minimal Starlette app under uvicorn with the settings `voorzorg serve` uses
(bot/cli.py: cmd_serve). It does what any correct receiver must do and nothing else, so
`bench/webhooks.py` can show Voorzorg's rate as a fraction of it.
"""

from __future__ import annotations

import argparse
import asyncio
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

PATH = "/webhooks/twilio"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def create_app(auth_token: str, public_url: str) -> Starlette:
    validator = RequestValidator(auth_token)
    url = public_url.rstrip("/") + PATH

    async def receive(request: Request) -> Response:
        params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        signature = request.headers.get("x-twilio-signature", "")
        if not validator.validate(url, params, signature):
            return Response("bad signature", status_code=403)
        return Response(EMPTY_TWIML, media_type="text/xml")

    async def healthz(request: Request) -> Response:
        return Response("ok")

    return Starlette(routes=[Route(PATH, receive, methods=["POST"]), Route("/healthz", healthz)])


async def serve(args: argparse.Namespace) -> None:
    config = uvicorn.Config(  # as bot/cli.py:cmd_serve
        create_app(args.auth_token, args.public_url),
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        timeout_graceful_shutdown=10,
        lifespan="on",
        log_config=None,
    )
    await uvicorn.Server(config).serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--public-url", required=True, help="the URL Twilio signs")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
