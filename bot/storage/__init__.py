"""Persistence: SQLAlchemy 2 (async) tables, Alembic migrations, and the Store."""
from bot.storage.store import (StorageSettingError, StorageUnavailable, Store, database_timeout,
                                default_database_url)

__all__ = ["Store", "StorageSettingError", "StorageUnavailable", "database_timeout",
           "default_database_url"]
