"""The store port: what the rest of rolemap may ask of a graph database.

`read(name, params)` runs one named statement outside a write transaction; `write(work)` runs
`work(tx)` as one transaction, in which `tx.run(name, params)` may be called any number of times —
it commits when `work` returns and rolls back when it raises. `snapshot(work)` runs `work(run)` in
one read transaction. All are blocking; the API calls them from worker threads.

Every write transaction first bumps the registry head's revision (`registry.bump`), which takes
the head's write lock: writes are serialised in revision order on both stores, `tx.revision` is
the revision the transaction will commit as, and `head()` tells any instance, with one cheap read,
whether the registry changed since it last looked.

Rows come back as dicts keyed by the statement's column names. A node is a plain dict of its
properties plus `_label`; timestamps are timezone-aware UTC datetimes on both backends.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from .schema import REGISTRY_HEAD, label_of
from .statements import STATEMENTS

T = TypeVar("T")
Row = dict[str, Any]


def new_token() -> str:
    """A registry history's identity (see schema.INTERNAL["Registry"])."""
    return secrets.token_hex(16)


Run = Callable[..., list[Row]]


class StoreError(RuntimeError):
    """The database refused or failed; the message says what and where."""


class StoreLockedError(StoreError):
    """The embedded database file is held by another process."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached (a server down, a connection lost); try again later."""


class DuplicateKeyError(StoreError):
    """A write would give two nodes the same id or the same unique value; nothing was written.

    `label` and `prop` name what collided (`Service`, `externalKey`), `value` the value."""

    def __init__(self, label: str, prop: str, value: str) -> None:
        self.label, self.prop, self.value = label, prop, value
        super().__init__(f"another {label} already has {prop} {value!r}")

    @classmethod
    def of(cls, label: str | None, prop: str, value: str) -> DuplicateKeyError:
        """From what a store names: a `Key` id ("<Label>.<prop>=<value>"), or a node's own value."""
        key = re.fullmatch(r"(\w+)\.(\w+)=(.*)", value, re.S) if label in (None, "Key") else None
        if key:
            return cls(*key.groups())
        return cls(label or label_of(value) or "node", prop, value)


class Tx(Protocol):
    revision: int

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[Row]: ...


class Store:
    """Base of both backends: the write protocol, statement lookup and the statement counter
    that tests pin."""

    dialect: str = ""
    sole_writer = False
    """Whether this process is the only writer of the store (the embedded one): `revision` is
    then the registry's head, with no statement to read it."""

    def __init__(self) -> None:
        self._count_lock = threading.Lock()
        self.statement_count = 0
        self.revision = 0
        """The newest revision this process committed (or saw at start)."""

    # The port ------------------------------------------------------------------------------
    def read(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        raise NotImplementedError

    def snapshot(self, work: Callable[[Run], T]) -> T:
        """`work(run)` in one read transaction; `run(name, params)` runs a named statement in it."""
        raise NotImplementedError

    def write(self, work: Callable[[Tx], T], retry: bool = True, recorded: bool = False) -> T:
        """`work(tx)` as one transaction that first bumps the registry's revision. `retry=False`
        for a bulk load: a transient failure is reported, not run again from the start.
        `recorded`: `work` writes the change record of its revision (the registry's use cases do);
        any other write (an import, an upgrade) starts a new history: the registry's token is
        drawn again in the same transaction (see schema.INTERNAL["Registry"])."""

        def unit(tx: Tx) -> tuple[T, int]:
            tx.revision = tx.run("registry.bump", {"id": REGISTRY_HEAD})[0]["revision"]
            result = work(tx)
            if not recorded:
                tx.run("registry.retoken", {"id": REGISTRY_HEAD, "token": new_token()})
            return result, tx.revision

        result, revision = self._transaction(unit, retry)
        with self._count_lock:
            self.revision = max(self.revision, revision)
        return result

    def ping(self) -> None:
        """Raise unless the database answers a trivial statement (readiness)."""
        self.read("health.ping")

    def head(self) -> int:
        """The registry's current revision, read from the graph (one statement)."""
        return self.read("registry.head", {"id": REGISTRY_HEAD})[0]["revision"]

    def identity(self) -> tuple[int, str]:
        """The registry's revision and the token of its history (one statement): equal pairs from
        two stores mean the same registry."""
        row = self.read("registry.identity", {"id": REGISTRY_HEAD})[0]
        return row["revision"], row["token"]

    def apply_schema(self) -> None:
        """Create tables, constraints and indexes if missing, and the registry head (with its
        token: a head made by an earlier rolemap gets one now)."""
        self._apply_ddl()
        self._transaction(lambda tx: tx.run("registry.init", {"id": REGISTRY_HEAD, "token": new_token()}))
        self.revision = self.head()
        from .upgrade import upgrade

        upgrade(self)

    def flush_writes(self) -> None:
        """Give back the memory the store holds for recent writes, where it is the store's own
        process that holds it (the embedded store); a server store keeps its own."""

    def close(self) -> None:
        raise NotImplementedError

    # What each backend provides ----------------------------------------------------------------
    def _transaction(self, work: Callable[[Tx], T], retry: bool = True) -> T:
        """Run `work(tx)` in one write transaction (no revision bump: `write` adds it)."""
        raise NotImplementedError

    def _apply_ddl(self) -> None:
        raise NotImplementedError

    # Shared helpers ------------------------------------------------------------------------
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

        store = LadybugStore(
            settings.db_path, read_pool=settings.read_pool, buffer_pool_mb=settings.db_buffer_mb
        )
    try:
        store.apply_schema()
    except Exception:
        store.close()
        raise
    return store
