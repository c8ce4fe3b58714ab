"""The service takes channels from its caller: the seam tests use for a recording channel."""

import datetime as dt

from bot.channels.recording import RecordingChannel
from bot.clock import FakeClock
from bot.config import load_settings
from bot.service import Service
from storage.outbox import queue_message
from tests.world import at

NOW = at(2026, 12, 1, 9).astimezone(dt.UTC)  # stored times are UTC, compared as text


async def test_given_channels_replace_the_configured_ones_by_name(tmp_path):
    settings = load_settings(
        db=str(tmp_path / "v.db"),
        environ={"VOORZORG_SECRET_KEY": "a" * 40, "VOORZORG_SANDBOX": "1"},
    )
    sms = RecordingChannel("sms")
    service = Service(settings, FakeClock(NOW), channels={"sms": sms})
    await service.start()
    try:
        assert service.channels["sms"] is sms
        assert service.channels["whatsapp"] is not sms  # the others are still built
        async with service.rt.db.transaction() as tx:
            await queue_message(tx, service.rt.vault, None, "sms", "+31622334455", "Hoi", (), NOW)
        await service.background.sender.send_due()
        assert sms.texts("+31622334455") == ["Hoi"]  # the sender sends through it
    finally:
        await service.stop()
