"""A cohort on a fake calendar: import, let time pass with ticks, let people answer.

Everything goes through the product's own paths (import, scheduler, inbound writer and
processor); only the clock is fake and nothing leaves the machine (sandbox channels).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import Clock, FakeClock
from bot.config import load_settings
from bot.outreach import timeline
from bot.outreach.cohort import import_cohort
from bot.outreach.importing import parse_organisations
from bot.outreach.inbound import Arrival, InboundWriter
from bot.outreach.processing import Processor
from bot.outreach.scheduler import tick
from bot.runtime import Runtime, open_runtime
from storage.organisations import save_organisation

AMS = ZoneInfo("Europe/Amsterdam")
EXAMPLES = Path(__file__).parent.parent / "examples"
HEADER = "reference,first_name,phone,municipality,report_date,prison,language\n"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AMS)


@asynccontextmanager
async def opened(
    tmp: Path, organisations: str | None = None, *, inline: bool = False, **env: str
) -> AsyncIterator[World]:
    """A World on a new database in `tmp`, its organisations loaded (the examples unless
    `organisations` is YAML text); `env` adds settings to a test key; `inline` runs SQLite
    on the loop's thread, as the worker process does."""
    environ = {"VOORZORG_SECRET_KEY": "w" * 40, **env}
    settings = load_settings(db=str(tmp / "v.db"), environ=environ)
    async with open_runtime(settings, inline=inline) as rt:
        world = World(rt)
        await world.load_organisations(organisations)
        yield world


class World:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self._sids = 0

    async def load_organisations(self, yaml_text: str | None = None) -> None:
        data = yaml_text.encode() if yaml_text else (EXAMPLES / "organisations.yaml").read_bytes()
        parsed = parse_organisations(data, {})
        async with self.rt.db.transaction() as tx:
            for _, org in parsed.items:
                await save_organisation(tx, org, "2026-01-01T00:00:00+00:00")

    async def cohort(self, rows: str, now: dt.datetime) -> None:
        await import_cohort(self.rt, (HEADER + rows).encode(), now.astimezone(dt.UTC))

    async def tick(self, now: dt.datetime) -> Counter:
        return await tick(self.rt, timeline.HANDLERS, now.astimezone(dt.UTC))

    async def days(self, start: dt.datetime, end: dt.datetime, hour: int = 10) -> None:
        """A tick every hour from `start` to `end`, like `serve` would run them."""
        moment = start
        while moment <= end:
            await self.tick(moment)
            moment += dt.timedelta(hours=1)

    async def say(self, phone: str, text: str, now: dt.datetime) -> None:
        """The person texts us: stored like a webhook, processed like the service does."""
        await self.say_as(phone, text, None, now)

    async def say_as(self, phone: str, text: str, reply_to: str | None, now: dt.datetime) -> None:
        """A message that answers an earlier one (`reply_to`: its provider id)."""
        self._sids += 1
        arrival = Arrival("sms", f"SM{self._sids}", phone, "text", text, reply_to=reply_to)
        await self.deliver(arrival, clock=FakeClock(now.astimezone(dt.UTC)))

    async def deliver(self, *arrivals: Arrival, clock: Clock, on_button=None) -> int:
        """Store arrivals as webhooks do, then process them as the service does, in one
        batch (one transaction); returns how many were processed."""
        await self.store(*arrivals, now=clock.now())
        processor = await self.processor(clock, on_button)
        done = await processor.process_pending()
        await processor.forget()
        return done

    async def store(self, *arrivals: Arrival, now: dt.datetime) -> None:
        """Commit arrivals to the inbox, one after the other, as webhooks do."""
        writer = InboundWriter(self.rt.inbox, self.rt.vault, lambda: None)
        task = asyncio.create_task(writer.run())
        for arrival in arrivals:
            await writer.store(arrival, now.astimezone(dt.UTC).isoformat())
        await writer.close()
        await task

    async def processor(self, clock: Clock, on_button=None) -> Processor:
        """A processor of this world's inbox, as the service runs one."""
        return Processor(self.rt, clock, on_button)

    async def messages(
        self, reference: str, audience: str = "person", full: bool = False
    ) -> list[tuple[str, str]]:
        """(local time, first line or `full` text) of every message queued, in order."""
        rows = await self.rt.db.fetchall(
            """SELECT o.created_at, o.body FROM outbox o JOIN cases c ON c.id = o.case_id
               WHERE c.reference = ? AND o.audience = ? ORDER BY o.id""",
            (reference, audience),
        )
        return [
            (
                dt.datetime.fromisoformat(r["created_at"])
                .astimezone(AMS)
                .strftime("%a %d %b %H:%M"),
                _text(self.rt.vault.open(r["body"], "outbox.body") or "", full),
            )
            for r in rows
        ]

    async def escalations(self, reference: str) -> list[tuple[str, str, int, str | None]]:
        rows = await self.rt.db.fetchall(
            """SELECT e.at, e.reason, e.line, k.email FROM escalations e
               JOIN cases c ON c.id = e.case_id LEFT JOIN contacts k ON k.id = e.contact_id
               WHERE c.reference = ? ORDER BY e.id""",
            (reference,),
        )
        return [
            (
                dt.datetime.fromisoformat(r["at"]).astimezone(AMS).strftime("%a %d %b %H:%M"),
                r["reason"],
                r["line"],
                r["email"],
            )
            for r in rows
        ]

    async def outcomes(self, reference: str) -> list[tuple[str, str]]:
        rows = await self.rt.db.fetchall(
            """SELECT s.kind, s.outcome FROM scheduled_events s JOIN cases c ON c.id = s.case_id
               WHERE c.reference = ? AND s.done_at IS NOT NULL ORDER BY s.due_at, s.id""",
            (reference,),
        )
        return [(r["kind"], r["outcome"]) for r in rows]


def _text(body: str, full: bool) -> str:
    return body if full else body.split("\n")[0]
