"""Persistence: SQLAlchemy 2 (async) tables, Alembic migrations, and the Store."""
from bot.storage.store import InUse, StorageUnavailable, Store, default_database_url

__all__ = ["InUse", "Store", "StorageUnavailable", "default_database_url"]
