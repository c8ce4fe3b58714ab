"""SQLite persistence: one writer, sealed personal data, numbered migrations."""

from storage.crypto import Vault, WrongKey
from storage.db import Database, DatabaseUnavailable, SchemaTooNew

__all__ = ["Database", "DatabaseUnavailable", "SchemaTooNew", "Vault", "WrongKey"]
