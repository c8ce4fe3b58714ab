"""The service takes channels from its caller: the seam tests use for a recording channel."""

from bot.channels.recording import RecordingChannel
from bot.clock import FakeClock
from bot.config import load_settings
from bot.service import Service
from tests.world import at


async def test_given_channels_replace_the_configured_ones_by_name(tmp_path):
    settings = load_settings(db=str(tmp_path / "v.db"), environ={"VOORZORG_SECRET_KEY": "a" * 40})
    sms = RecordingChannel("sms")
    service = Service(settings, FakeClock(at(2026, 12, 1, 9)), channels={"sms": sms})
    await service.start()
    try:
        assert service.channels["sms"] is sms
        assert service.channels["whatsapp"] is not sms  # the others are still built
    finally:
        await service.stop()
