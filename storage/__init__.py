"""State store: the only package that speaks SQL."""

from storage.base import Store
from storage.sqlite import SqliteStore, open_store

__all__ = ["SqliteStore", "Store", "open_store"]
