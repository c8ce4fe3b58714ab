import pytest

from bot.channels.fakes import FakeTelegram, FakeTwilio
from tests.service import App


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
