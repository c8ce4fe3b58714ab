import pytest

from storage import Database, Vault


@pytest.fixture
async def db(tmp_path):
    """A new database in a real SQLite file, migrated."""
    database = await Database.open(tmp_path / "v.db")
    yield database
    await database.close()


@pytest.fixture(scope="session")
def vault() -> Vault:
    return Vault("v" * 40)
