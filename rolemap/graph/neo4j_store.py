"""The Neo4j backend, through the official driver and its managed transactions.

The same named statements as the embedded store (Neo4j text variant where one exists); the
database name is configurable.

- Reads use `execute_read`, writes `execute_write`: the driver retries transient failures
  (deadlocks, leader changes, a dropped connection) by running the whole unit of work again, so a
  unit of work must not have effects outside its transaction.
- Every session shares one bookmark manager, so a read that follows a write in this process sees
  the write, on a single server or a cluster (causal consistency).
- A uniqueness constraint violation becomes `DuplicateKeyError`; a server that cannot be reached,
  `StoreUnavailableError`. The driver reconnects by itself once the server is back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import neo4j
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired
from neo4j.graph import Node, Relationship
from neo4j.time import Date, DateTime

from .schema import neo4j_ddl
from .store import DuplicateKeyError, Row, Run, Store, StoreError, StoreUnavailableError, T, utc

_DUPLICATE = re.compile(r"label `(\w+)` and property `(\w+)` = '(.*)'", re.S)
RETRY_SECONDS = 10.0
"""How long the driver keeps retrying a unit of work that failed transiently."""
CONNECT_SECONDS = 5.0


class Neo4jStore(Store):
    dialect = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str) -> None:
        super().__init__()
        self.uri = uri
        self.database = database
        # An empty password means a server without authentication (a local test server).
        auth = (user, password) if password else None
        self._driver = neo4j.GraphDatabase.driver(
            uri,
            auth=auth,
            max_transaction_retry_time=RETRY_SECONDS,
            connection_timeout=CONNECT_SECONDS,
            # The server's notes on statements (e.g. a relationship type no record uses yet) are
            # for people writing queries; rolemap's are fixed and linted.
            notifications_min_severity="OFF",
        )
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        try:
            self._driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError, ValueError) as exc:
            self._driver.close()
            raise StoreError(f"cannot reach Neo4j at {uri} (database {database}): {exc}") from None

    def _session(self) -> neo4j.Session:
        return self._driver.session(database=self.database, bookmark_manager=self._bookmarks)

    def _apply_ddl(self) -> None:
        with self._guard(), self._session() as session:
            for statement in neo4j_ddl():
                session.run(statement).consume()

    def read(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        text = self.text(name)
        with self._guard(), self._session() as session:
            return session.execute_read(_run_text, text, params or {})

    def ping(self) -> None:
        """One auto-commit statement, not retried: readiness must answer now, not after retries."""
        text = self.text("health.ping")
        with self._guard(), self._session() as session:
            session.run(text).consume()

    def snapshot(self, work: Callable[[Run], T]) -> T:
        """One read transaction. Neo4j reads committed data, not a snapshot: callers that need one
        compare the registry head before and after (see analysis.index)."""

        def unit(tx: neo4j.ManagedTransaction) -> T:
            return work(lambda name, params=None: _run_text(tx, self.text(name), params or {}))

        with self._guard(), self._session() as session:
            return session.execute_read(unit)

    def _transaction(self, work: Callable[[_Tx], T], retry: bool = True) -> T:
        def unit(tx: neo4j.ManagedTransaction) -> T:
            return work(_Tx(self, tx))

        with self._guard(), self._session() as session:
            if retry:
                return session.execute_write(unit)
            # Once: a bulk load that ran out of memory would only run out of memory again.
            with session.begin_transaction() as tx:
                result = unit(tx)
                tx.commit()
                return result

    def close(self) -> None:
        self._driver.close()

    def _guard(self) -> _Errors:
        return _Errors(self)


class _Errors:
    """Driver exceptions as the store port's errors (user errors and the like pass through)."""

    def __init__(self, store: Neo4jStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or not isinstance(exc, DriverError | Neo4jError):
            return False
        if isinstance(exc, ConstraintError):
            found = _DUPLICATE.search(exc.message or "")
            raise (DuplicateKeyError.of(*found.groups()) if found else StoreError(exc.message)) from None
        if isinstance(exc, ServiceUnavailable | SessionExpired):
            raise StoreUnavailableError(
                f"Neo4j at {self.store.uri} is unavailable: {exc}; retrying on the next request"
            ) from None
        message = exc.message if isinstance(exc, Neo4jError) else str(exc)
        if "MemoryPoolOutOfMemoryError" in (getattr(exc, "code", "") or ""):
            message += (
                " (a transaction this large needs more memory: raise the server's heap, or "
                "db.memory.transaction.total.max; tools/neo4j/run takes NEO4J_HEAP, e.g. 2g for scale M)"
            )
        raise StoreError(f"Neo4j refused: {message}") from None


class _Tx:
    revision = 0

    def __init__(self, store: Neo4jStore, tx: neo4j.ManagedTransaction) -> None:
        self._store = store
        self._tx = tx

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        return _run_text(self._tx, self._store.text(name), params or {})


def _run_text(tx: neo4j.ManagedTransaction, text: str, params: dict[str, Any]) -> list[Row]:
    result = tx.run(text, params)
    return [{key: _value(value) for key, value in record.items()} for record in result]


def _value(value: Any) -> Any:
    if isinstance(value, Node):
        node = {k: _value(v) for k, v in value.items()}
        node["_label"] = next(iter(value.labels))
        return node
    if isinstance(value, Relationship):
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, DateTime):
        return utc(value.to_native())
    if isinstance(value, Date):
        return value.to_native()
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value
