"""The sender retries what can succeed later, fails visibly what cannot, and paces itself."""

import asyncio
import datetime as dt
import itertools
import logging
import time

import pytest

from bot.channels.recording import RecordingChannel
from bot.channels.twilio import TwilioChannel
from bot.clock import FakeClock
from bot.outreach.sender import BACKOFF_SECONDS, MAX_ATTEMPTS, Sender, apply_status
from bot.runtime import open_runtime
from storage.outbox import queue_message
from tests.bot.inprocess import settings_for

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def sending(tmp_path, twilio):
    settings = settings_for(tmp_path, twilio)
    async with open_runtime(settings) as rt:
        clock = FakeClock(START)
        channel = TwilioChannel(settings, "sms", messages_per_second=1000)
        sender = Sender(rt, {"sms": channel}, clock)
        async with rt.db.transaction() as tx:
            await queue_message(tx, rt.vault, None, "sms", "+31622334455", "Hallo", (), START)
        yield rt, clock, sender
        await channel.close()


async def outbox(rt):
    return [
        tuple(r)
        for r in await rt.db.fetchall("SELECT status, attempts, next_attempt_at, error FROM outbox")
    ]


async def test_a_server_error_is_retried_after_backoff(sending, twilio):
    rt, clock, sender = sending
    twilio.fail_next(500)
    assert await sender.send_due() == 1
    retry_at = (START + dt.timedelta(seconds=BACKOFF_SECONDS[0])).isoformat()
    assert await outbox(rt) == [("pending", 1, retry_at, "twilio http 500")]
    assert await sender.send_due() == 0  # not yet due
    clock.advance(seconds=BACKOFF_SECONDS[0])
    assert await sender.send_due() == 1
    assert (await outbox(rt))[0][:2] == ("queued", 2)
    assert [m["Body"] for m in twilio.messages] == ["Hallo"]


async def test_too_many_requests_is_retried(sending, twilio):
    rt, _clock, sender = sending
    twilio.fail_next(429)
    await sender.send_due()
    assert (await outbox(rt))[0][0] == "pending"


async def test_after_the_last_attempt_the_message_is_failed_and_visible(sending, twilio):
    rt, clock, sender = sending
    for _ in range(MAX_ATTEMPTS):
        twilio.fail_next(503)
    for _ in range(MAX_ATTEMPTS):
        await sender.send_due()
        clock.advance(hours=1)
    [(status, attempts, _, error)] = await outbox(rt)
    assert (status, attempts, error) == ("failed", MAX_ATTEMPTS, "twilio http 503")
    assert await sender.send_due() == 0
    assert twilio.messages == []


async def test_a_permanent_error_is_not_retried(sending, twilio):
    rt, _clock, sender = sending
    twilio.fail_next(400, code=21211)  # invalid 'To' number
    await sender.send_due()
    assert [r[:2] for r in await outbox(rt)] == [("failed", 1)]


async def test_messages_are_paced_per_channel(sending):
    rt, _clock, sender = sending
    waits = []

    async def fake_sleep(seconds):
        waits.append(time.monotonic() + seconds)  # the slot this message waits for

    sender.sleep = fake_sleep  # the sender's own seam: asyncio.sleep stays untouched
    sender.channels["sms"].messages_per_second = 2.0
    async with rt.db.transaction() as tx:
        for n in range(3):
            await queue_message(tx, rt.vault, None, "sms", "+31622334455", f"m{n}", (), START)
    assert await sender.send_due() == 4
    # Four messages at two a second: the first goes at once, the others get slots half a
    # second apart (each is recorded in its own transaction, so real time passes between
    # them: the slots are compared, not the waits).
    assert len(waits) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(waits)]
    assert gaps == pytest.approx([0.5, 0.5], abs=0.01)


async def test_each_channel_keeps_its_pace_while_several_messages_go_at_once(sending):
    """A provider that takes 0.2 s a message: one at a time, SMS would manage 5 a second;
    several at once, each channel reaches its own pace and never goes faster."""
    rt, _clock, sender = sending
    calls: dict[str, list[float]] = {"sms": [], "telegram": []}

    class Slow(RecordingChannel):
        async def send(self, address, text, choices, outbox_id):
            calls[self.name].append(time.monotonic())
            await asyncio.sleep(0.2)
            return await super().send(address, text, choices, outbox_id)

    sender.channels = {"sms": Slow("sms", 20.0), "telegram": Slow("telegram", 40.0)}
    async with rt.db.transaction() as tx:
        for n in range(1, 8):
            await queue_message(tx, rt.vault, None, "sms", f"+3162233000{n}", "sms", (), START)
            await queue_message(tx, rt.vault, None, "telegram", str(1000 + n), "tg", (), START)
    while await sender.send_due():
        pass
    for name, pace in (("sms", 20.0), ("telegram", 40.0)):
        times = calls[name]
        assert len(times) == (8 if name == "sms" else 7)
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert min(gaps) >= 1 / pace - 0.005  # never faster than its pace
        assert times[-1] - times[0] < (len(times) - 1) / pace + 0.2  # yet about at it


async def test_a_send_leaves_the_sdks_request_lines_out_of_the_log(sending, twilio, caplog):
    _rt, _clock, sender = sending
    with caplog.at_level(logging.INFO):
        assert await sender.send_due() == 1
    assert len(twilio.messages) == 1
    assert [r.getMessage() for r in caplog.records if "twilio" in r.name] == []


async def test_a_status_that_comes_before_the_send_is_recorded_is_not_lost(sending):
    """Twilio may call back before the sender has stored the message's id."""
    rt, _clock, sender = sending
    real = sender.channels["sms"]

    class CallsBackAtOnce:
        name, messages_per_second = "sms", 1000.0

        async def send(self, address, text, choices, outbox_id):
            delivery = await real.send(address, text, choices, outbox_id)
            known = await apply_status(rt, "sms", delivery.provider_id, "failed", "30003", START)
            assert not known  # not recorded yet: kept for later
            return delivery

    sender.channels["sms"] = CallsBackAtOnce()
    await sender.send_due()
    [(status, _, _, error)] = await outbox(rt)
    assert (status, error) == ("failed", "provider error 30003")
