"""SQLite persistence: one writer, sealed personal data, numbered migrations."""

from storage.crypto import Vault
from storage.db import Database, SchemaTooNew

__all__ = ["Database", "SchemaTooNew", "Vault"]
