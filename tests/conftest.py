import pytest

from conversations.script import Script, load_default_scripts


@pytest.fixture(scope="session")
def intake() -> Script:
    return load_default_scripts()["intake"]
