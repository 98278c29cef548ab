"""The Neo4j backend, through the official driver and its managed transactions.

The same named statements as the embedded store (Neo4j text variant where one exists); the
database name is configurable. Reads use `execute_read`, writes `execute_write`, so the driver
retries transient failures (leader changes, deadlocks) by re-running the whole unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import neo4j
from neo4j.exceptions import Neo4jError, ServiceUnavailable
from neo4j.graph import Node, Relationship
from neo4j.time import Date, DateTime

from .schema import neo4j_ddl
from .store import Row, Store, StoreError, T, utc


class Neo4jStore(Store):
    dialect = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str) -> None:
        super().__init__()
        self.database = database
        self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
        try:
            self._driver.verify_connectivity()
        except (ServiceUnavailable, Neo4jError, OSError, ValueError) as exc:
            self._driver.close()
            raise StoreError(f"cannot reach Neo4j at {uri} (database {database}): {exc}") from None

    def apply_schema(self) -> None:
        with self._driver.session(database=self.database) as session:
            for statement in neo4j_ddl():
                session.run(statement).consume()

    def read(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        text = self.text(name)
        with self._driver.session(database=self.database) as session:
            return session.execute_read(_run_text, text, params or {})

    def write(self, work: Callable[[Tx], T]) -> T:
        def unit(tx: neo4j.ManagedTransaction) -> T:
            return work(Tx(self, tx))

        with self._driver.session(database=self.database) as session:
            try:
                result = session.execute_write(unit)
            except Neo4jError as exc:
                raise StoreError(f"Neo4j refused the write: {exc.message}") from None
        self.committed()
        return result

    def close(self) -> None:
        self._driver.close()


class Tx:
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
