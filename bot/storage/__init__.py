"""Persistence: SQLAlchemy 2 (async) tables, Alembic migrations, and the Store."""
from bot.storage.store import (Person, StorageSettingError, StorageUnavailable, Store, Turn, database_timeout,
                                default_database_url)

__all__ = ["Person", "Store", "StorageSettingError", "StorageUnavailable", "Turn", "database_timeout",
           "default_database_url"]
