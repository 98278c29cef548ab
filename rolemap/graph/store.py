"""The store port: what the rest of rolemap may ask of a graph database.

`read(name, params)` runs one named statement outside a write transaction; `write(work)` runs
`work(tx)` as one transaction, in which `tx.run(name, params)` may be called any number of times —
it commits when `work` returns and rolls back when it raises. Both are blocking; the API calls
them from worker threads.

Rows come back as dicts keyed by the statement's column names. A node is a plain dict of its
properties plus `_label`; timestamps are timezone-aware UTC datetimes on both backends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from .statements import STATEMENTS

T = TypeVar("T")
Row = dict[str, Any]


class StoreError(RuntimeError):
    """The database refused or failed; the message says what and where."""


class StoreLockedError(StoreError):
    """The embedded database file is held by another process."""


class Tx(Protocol):
    def run(self, name: str, params: dict[str, Any] | None = None) -> list[Row]: ...


class Store:
    """Base of both backends: statement lookup and the statement counter tests pin."""

    dialect: str = ""

    def __init__(self) -> None:
        self._count_lock = threading.Lock()
        self.statement_count = 0
        self.generation = 0
        """Bumped after every committed write, so caches of the registry know they are stale."""

    # The port ------------------------------------------------------------------------------
    def read(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        raise NotImplementedError

    def write(self, work: Callable[[Tx], T]) -> T:
        raise NotImplementedError

    def apply_schema(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # Shared helpers ------------------------------------------------------------------------
    def committed(self) -> None:
        with self._count_lock:
            self.generation += 1

    def text(self, name: str) -> str:
        try:
            statement = STATEMENTS[name]
        except KeyError:
            raise StoreError(f"unknown statement {name!r}") from None
        with self._count_lock:
            self.statement_count += 1
        return statement.text(self.dialect)


def utc(value: datetime) -> datetime:
    """Timestamps are stored in UTC; a naive one read back is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def open_store(settings) -> Store:
    """The store the settings name, with its schema applied."""
    if settings.store == "neo4j":
        from .neo4j_store import Neo4jStore

        store: Store = Neo4jStore(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            settings.neo4j_database,
        )
    else:
        from .ladybug_store import LadybugStore

        store = LadybugStore(settings.db_path, read_pool=settings.read_pool)
    try:
        store.apply_schema()
    except Exception:
        store.close()
        raise
    return store
