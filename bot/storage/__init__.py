"""Persistence: SQLAlchemy 2 (async) tables, Alembic migrations, and the Store."""
from bot.storage.store import StorageUnavailable, Store, default_database_url

__all__ = ["Store", "StorageUnavailable", "default_database_url"]
