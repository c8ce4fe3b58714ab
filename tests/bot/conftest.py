import pytest

from bot.channels.fakes import FakeTelegram, FakeTwilio
from tests.service import Running


@pytest.fixture
def twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def telegram():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def service(tmp_path, twilio, telegram):
    running = Running(tmp_path, twilio, telegram).start()
    yield running
    if running.process and running.process.poll() is None:
        running.stop()
