import pytest

from bot.channels.fakes import FakeTelegram, FakeTwilio
from tests.service import App, Running


@pytest.fixture(scope="session")
def twilio_server():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture(scope="session")
def telegram_server():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def twilio(twilio_server):
    """The fake Twilio, started once per session and forgetting all between tests."""
    twilio_server.reset()
    yield twilio_server
    twilio_server.reset()


@pytest.fixture
def telegram(telegram_server):
    telegram_server.reset()
    yield telegram_server
    telegram_server.reset()


@pytest.fixture
def service(tmp_path, twilio, telegram):
    """The app in this process, talking to both fake providers."""
    app = App(tmp_path, twilio, telegram).start()
    yield app
    app.stop()


@pytest.fixture
def process(tmp_path, twilio):
    """A real `voorzorg serve` process talking to the fake Twilio, with no cohort (it runs
    on the real clock, so nothing is ever due)."""
    running = Running(tmp_path, twilio, None, cohort=False).start()
    yield running
    if running.process and running.process.poll() is None:
        running.stop()
