"""Signed Twilio webhooks per second, end to end, against a real `voorzorg serve`.

    .venv/bin/python bench/webhooks.py [--messages 5000] [--concurrency 64]

Imports one case per sender, starts `voorzorg serve` (durable SQLite: WAL, synchronous=FULL)
wired to a fake Twilio, posts signed webhooks from one process, and reports how fast they
are acknowledged (stored) and how fast they are processed (conversation turn committed).
Loopback only; the load generator shares the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.channels.fakes import FakeTwilio
from tests.service import AUTH_TOKEN, Running


def cohort(n: int) -> str:
    rows = ["reference,first_name,phone,municipality,report_date,prison,language"]
    rows += [f"ZM-B-{i:06d},Naam,+316{20000000 + i},Venlo,2027-01-14,,nl" for i in range(n)]
    return "\n".join(rows) + "\n"


async def post_all(service: Running, n: int, concurrency: int) -> float:
    validator = RequestValidator(AUTH_TOKEN)
    url = service.url + "/webhooks/twilio"
    bodies = []
    for i in range(n):
        params = {
            "MessageSid": f"SMB{i:030d}",
            "From": f"+316{20000000 + i}",
            "To": "+3197010000000",
            "Body": "ja",
            "NumMedia": "0",
        }
        bodies.append((params, validator.compute_signature(url, params)))
    queue: asyncio.Queue = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                params, signature = queue.get_nowait()
                response = await client.post(
                    url, data=params, headers={"X-Twilio-Signature": signature}
                )
                response.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeTwilio() as twilio:
        service = Running(Path(tmp), twilio, None)
        (Path(tmp) / "bench.csv").write_text(cohort(args.messages))
        service.cli("import", str(Path(tmp) / "bench.csv"), "--now", "2026-12-01T09:00:00+01:00")
        service.env["VOORZORG_SMS_PER_SECOND"] = os.environ.get("BENCH_SMS_PER_SECOND", "100000")
        service.start()
        try:
            start = time.perf_counter()
            acked = asyncio.run(post_all(service, args.messages, args.concurrency))
            pending = args.messages
            while pending:
                ((pending,),) = service.query(
                    "SELECT count(*) FROM inbound WHERE processed_at IS NULL"
                )
                time.sleep(0.05)
            processed = time.perf_counter() - start
        finally:
            service.stop()
    n = args.messages
    print(f"{n} signed webhooks, concurrency {args.concurrency}")
    print(f"acknowledged (stored durably): {n / acked:,.0f}/s ({acked:.2f} s)")
    print(f"processed (turn committed):    {n / processed:,.0f}/s ({processed:.2f} s)")


if __name__ == "__main__":
    main()
