"""The sender sends each message exactly once: claimed before the provider call, recorded
on its own right after it, settled by asking Twilio when the outcome was lost.

The real Twilio SDK talks HTTP to the fake Twilio; the database is a real SQLite file.
"""

import asyncio
import datetime as dt

import pytest

from bot.channels.base import Delivery
from bot.channels.twilio import TwilioChannel
from bot.clock import FakeClock
from bot.outreach.sender import BACKOFF_SECONDS, CHECK_AFTER, HOST, Sender
from bot.runtime import open_runtime
from storage.outbox import queue_message
from tests.bot.inprocess import settings_for

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
SAM, ALEX = "+31622334455", "+31633445566"
DEAD_PROCESS = f"{HOST}:4194303:gone"  # above Linux's pid_max: never a living process


@pytest.fixture
async def world(tmp_path, twilio):
    clock = FakeClock(START)
    twilio.now = clock.now  # Twilio's clock agrees with ours
    settings = settings_for(tmp_path, twilio)
    async with open_runtime(settings) as rt:
        channel = TwilioChannel(settings, "sms", messages_per_second=1000, timeout=0.5)
        yield rt, clock, Sender(rt, {"sms": channel}, clock), channel
        await channel.close()


async def queue(rt, *messages: tuple[str, str]) -> None:
    async with rt.db.transaction() as tx:
        for address, text in messages:
            await queue_message(tx, rt.vault, None, "sms", address, text, (), START)


async def rows(rt):
    return [
        tuple(r)
        for r in await rt.db.fetchall("SELECT status, provider_id, error FROM outbox ORDER BY id")
    ]


class Exploding:
    """A channel whose send raises something no one expected for one address."""

    name = "sms"
    messages_per_second = 1000.0

    def __init__(self, inner, bad_address: str, seen: list):
        self.inner, self.bad_address, self.seen = inner, bad_address, seen

    async def send(self, address, text, choices, outbox_id) -> Delivery:
        self.seen.append(outbox_id)
        if address == self.bad_address:
            raise ValueError("invalid literal for int()")
        return await self.inner.send(address, text, choices, outbox_id)


async def test_an_unexpected_error_fails_that_message_only(world, twilio):
    rt, clock, _, channel = world
    await queue(rt, (SAM, "een"), ("abc", "twee"), (ALEX, "drie"))
    sender = Sender(rt, {"sms": Exploding(channel, "abc", [])}, clock)
    assert await sender.send_due() == 3
    statuses = await rows(rt)
    assert [s[0] for s in statuses] == ["queued", "failed", "queued"]
    assert statuses[1][2] == "unexpected ValueError: invalid literal for int()"
    assert [m["Body"] for m in twilio.messages] == ["een", "drie"]
    assert await sender.send_due() == 0  # and the loop goes on: nothing left, nothing stuck


async def test_each_persons_message_is_recorded_before_their_next_is_sent(world, twilio):
    rt, clock, _, channel = world
    await queue(rt, (SAM, "een"), (ALEX, "drie"), (SAM, "twee"))
    seen_before_second: list = []

    class Watching(Exploding):
        async def send(self, address, text, choices, outbox_id):
            if text == "twee":
                seen_before_second.extend(await rows(rt))
            return await self.inner.send(address, text, choices, outbox_id)

    await Sender(rt, {"sms": Watching(channel, "", [])}, clock).send_due()
    first, _, second = seen_before_second
    sam = [m for m in twilio.messages if m["To"] == SAM]
    assert first[:2] == ("queued", sam[0]["sid"])  # already committed
    assert second[0] == "sending"  # claimed, committed, before its provider call
    assert [m["Body"] for m in sam] == ["een", "twee"]  # in their order


async def test_every_message_is_claimed_before_its_provider_call_while_several_go_at_once(
    world, twilio
):
    rt, clock, _, channel = world
    people = [f"+3162233{n:04d}" for n in range(12)]
    await queue(rt, *[(p, f"bericht {n}") for n, p in enumerate(people)])
    at_call: list[str] = []
    under_way, most, claimed_ahead = 0, 0, 0  # claimed_ahead: most 'sending' at once

    class Counting(Exploding):
        async def send(self, address, text, choices, outbox_id):
            nonlocal under_way, most, claimed_ahead
            [(status,)] = await rt.db.fetchall(
                "SELECT status FROM outbox WHERE id = ?", (outbox_id,)
            )
            at_call.append(status)
            [(claimed,)] = await rt.db.fetchall(
                "SELECT count(*) FROM outbox WHERE status = 'sending'"
            )
            claimed_ahead = max(claimed_ahead, claimed)
            under_way += 1
            most = max(most, under_way)
            try:
                await asyncio.sleep(0.02)  # a provider that takes its time
                return await self.inner.send(address, text, choices, outbox_id)
            finally:
                under_way -= 1

    sender = Sender(rt, {"sms": Counting(channel, "", [])}, clock, in_flight=4)
    assert await sender.send_due() == 12
    assert at_call == ["sending"] * 12  # each committed as claimed before its call
    assert most == 4  # several at once, never more than allowed
    assert claimed_ahead <= 2 * 4  # those under way and the next group: not all 12 at once
    assert sorted(m["Body"] for m in twilio.messages) == sorted(f"bericht {n}" for n in range(12))
    assert [r[0] for r in await rows(rt)] == ["queued"] * 12


async def mark_in_doubt(rt, claimer: str) -> None:
    """What a kill -9 between the provider call and the record leaves behind."""
    async with rt.db.transaction() as tx:
        await tx.execute(
            "UPDATE outbox SET status = 'sending', sending_at = ?, claimed_by = ?, "
            "next_attempt_at = ?",
            (START.isoformat(), claimer, (START + CHECK_AFTER).isoformat()),
        )


async def test_after_a_crash_an_accepted_message_is_recorded_not_sent_again(world, twilio):
    rt, _, sender, channel = world
    await queue(rt, (SAM, "Hallo Sam"))
    accepted = await channel.send(SAM, "Hallo Sam", (), 1)  # Twilio got it; then the crash
    await mark_in_doubt(rt, DEAD_PROCESS)
    assert await sender.send_due() == 1
    assert await rows(rt) == [("queued", accepted.provider_id, None)]
    assert len(twilio.messages) == 1


async def test_after_a_crash_a_message_twilio_never_got_is_sent_once(world, twilio):
    rt, _, sender, _ = world
    await queue(rt, (SAM, "Hallo Sam"), (ALEX, "Hallo Sam"))
    await mark_in_doubt(rt, DEAD_PROCESS)
    assert await sender.send_due() == 2
    assert [m["To"] for m in twilio.messages] == [SAM, ALEX]
    assert [r[0] for r in await rows(rt)] == ["queued", "queued"]
    assert await sender.send_due() == 0


async def test_a_message_claimed_by_a_living_sender_is_left_alone_until_it_goes_quiet(
    world, twilio
):
    rt, clock, sender, _ = world
    await queue(rt, (SAM, "Hallo Sam"))
    await mark_in_doubt(rt, f"{HOST}:1:serve")  # pid 1 lives: maybe a `serve` mid-call
    assert await sender.send_due() == 0
    assert twilio.messages == []
    clock.advance(seconds=CHECK_AFTER.total_seconds())
    assert await sender.send_due() == 1  # quiet for longer than any call takes
    assert len(twilio.messages) == 1


async def test_a_dropped_response_waits_for_the_backoff_and_then_asks_twilio(world, twilio):
    rt, clock, sender, _ = world
    await queue(rt, (SAM, "Hallo Sam"))
    twilio.drop_next_response, twilio.drop_seconds = 1, 2.0
    await sender.send_due()
    [(status, provider_id, error)] = await rows(rt)
    assert (status, provider_id, error) == ("sending", None, "network: TimeoutError")
    clock.advance(seconds=BACKOFF_SECONDS[0] - 1)
    assert await sender.send_due() == 0  # not before the backoff
    clock.advance(seconds=1)
    assert await sender.send_due() == 1
    assert len(twilio.messages) == 1  # asked, found, recorded: not sent twice
    assert await rows(rt) == [("queued", twilio.messages[0]["sid"], None)]


async def test_two_senders_at_once_send_each_message_once(tmp_path, twilio, world):
    """`serve` and `voorzorg tick` on the same database: claims keep them apart."""
    rt, clock, sender, _ = world
    await queue(rt, *[(f"+3162233{n:04d}", f"bericht {n}") for n in range(30)])
    settings = settings_for(tmp_path, twilio)
    async with open_runtime(settings) as other_rt:
        other_channel = TwilioChannel(settings, "sms", messages_per_second=1000)
        other = Sender(other_rt, {"sms": other_channel}, clock)
        try:
            await asyncio.gather(sender.send_due(), other.send_due())
        finally:
            await other_channel.close()
    bodies = [m["Body"] for m in twilio.messages]
    assert sorted(bodies) == sorted(f"bericht {n}" for n in range(30))
    assert [r[0] for r in await rows(rt)] == ["queued"] * 30
