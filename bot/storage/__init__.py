"""Persistence: SQLAlchemy 2 (async) tables, Alembic migrations, and the Store."""
from bot.storage.store import Person, Store, StorageUnavailable, Turn, default_database_url

__all__ = ["Person", "Store", "StorageUnavailable", "Turn", "default_database_url"]
