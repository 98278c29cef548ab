"""The embedded LadybugDB backend: no server, one database directory owned by this process.

LadybugDB takes one read-write handle per database file across all processes, and one write
transaction at a time inside it. So this process opens the file once, serialises writes behind a
lock, and keeps a small pool of connections for concurrent reads.
"""

from __future__ import annotations

import ctypes
import queue
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import ladybug

from .schema import INTERNAL, NODES, RELS, ladybug_add_columns, ladybug_ddl
from .store import DuplicateKeyError, Row, Run, Store, StoreError, StoreLockedError, T, utc

POOL_WAIT_SECONDS = 30
TABLES = (*NODES, *INTERNAL, *(r for r, rel in RELS.items() if rel.props))
_DUPLICATE = re.compile(r"duplicated primary key value (.*), which violates", re.S)


MAX_DB_BYTES = 1 << 40
"""The largest a store's file may grow (1 TB; scale M is 73 MB). LadybugDB reserves this much
address space for each open database, 8 TB by default: a process then opens at most 15 (the test
suite, holding stores until they are collected, ran out)."""


def _release_free_memory() -> None:
    """Hand the C heap's free memory back to the system (glibc's `malloc_trim`), where the C
    library has that call; elsewhere, nothing."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


class LadybugStore(Store):
    dialect = "ladybug"
    sole_writer = True  # one read-write handle per database file, across all processes

    def __init__(self, path: Path | str, read_pool: int = 2, buffer_pool_mb: int = 2048) -> None:
        super().__init__()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # 0: LadybugDB's own bound. A tight one fails queries outright ("the buffer pool is
            # full"): 256 MB did at M, and 1 GB for two stores open in one process.
            self._db = ladybug.Database(
                str(self.path), buffer_pool_size=buffer_pool_mb * 1024 * 1024, max_db_size=MAX_DB_BYTES
            )
        except RuntimeError as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(
                    f"the embedded database {self.path} is open in another process; "
                    "stop that process or set ROLEMAP_DB to another path"
                ) from None
            raise StoreError(f"cannot open the embedded database {self.path}: {exc}") from None
        self._closed = False
        self._write_lock = threading.Lock()
        self._writer = ladybug.Connection(self._db)
        self._readers: queue.Queue[ladybug.Connection] = queue.Queue()
        for _ in range(read_pool):
            self._readers.put(ladybug.Connection(self._db))

    def flush_writes(self) -> None:
        """CHECKPOINT: LadybugDB keeps what writes changed in memory until it checkpoints, tens of
        MB for each table written (at scale M: 39 MB once a service was registered, 21 MB more
        once a use was recorded); a checkpoint writes it to the file and frees it. It would run at
        close anyway: the server runs it before saving its read model, which takes memory too.
        What it frees (about 120 MB after the 200 writes of benchmarks/freshness.py) stays with
        the process unless the C allocator is asked to give it back, so it is asked."""
        with self._write_lock:
            self._check_open()
            self._execute(self._writer, "CHECKPOINT", {})
        _release_free_memory()

    def _apply_ddl(self) -> None:
        with self._write_lock:
            for statement in ladybug_ddl():
                self._execute(self._writer, statement, {})
            for label in TABLES:
                info = self._execute(self._writer, f"CALL table_info('{label}') RETURN name", {})
                for statement in ladybug_add_columns(label, {row["name"] for row in info}):
                    self._execute(self._writer, statement, {})

    def read(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        text = self.text(name)
        with self._reader() as conn:
            return self._execute(conn, text, params or {})

    def snapshot(self, work: Callable[[Run], T]) -> T:
        """A READ ONLY transaction on one pooled connection: LadybugDB gives it a snapshot, so
        writes committed meanwhile are not seen."""
        with self._reader() as conn:
            self._execute(conn, "BEGIN TRANSACTION READ ONLY", {})
            try:
                return work(lambda name, params=None: self._execute(conn, self.text(name), params or {}))
            finally:
                self._end(conn, "COMMIT")

    def _transaction(self, work: Callable[[_Tx], T], retry: bool = True) -> T:
        self._check_open()
        with self._write_lock:
            conn = self._writer
            self._execute(conn, "BEGIN TRANSACTION", {})
            try:
                result = work(_Tx(self, conn))
            except BaseException:
                self._end(conn, "ROLLBACK")
                raise
            self._execute(conn, "COMMIT", {})
            return result

    def _end(self, conn: ladybug.Connection, how: str) -> None:
        """COMMIT or ROLLBACK, where a failed statement may already have ended the transaction."""
        try:
            self._execute(conn, how, {})
        except StoreError as exc:
            if "no active transaction" not in str(exc).lower():
                raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        while not self._readers.empty():
            self._readers.get_nowait().close()
        self._writer.close()
        self._db.close()

    @contextmanager
    def _reader(self) -> Iterator[ladybug.Connection]:
        self._check_open()
        try:
            conn = self._readers.get(timeout=POOL_WAIT_SECONDS)
        except queue.Empty:
            raise StoreError(f"no free connection to {self.path} within {POOL_WAIT_SECONDS} s") from None
        try:
            yield conn
        finally:
            self._readers.put(conn)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the embedded database {self.path} is closed")

    def _execute(self, conn: ladybug.Connection, text: str, params: dict[str, Any]) -> list[Row]:
        try:
            result = conn.execute(text, _params(params))
        except RuntimeError as exc:
            duplicate = _DUPLICATE.search(str(exc))
            if duplicate:
                raise DuplicateKeyError.of(None, "id", duplicate.group(1)) from None
            raise StoreError(f"{exc} (in: {text[:200]})") from None
        columns = result.get_column_names()
        rows = [dict(zip(columns, map(_value, values), strict=True)) for values in result]
        result.close()
        return rows


class _Tx:
    revision = 0

    def __init__(self, store: LadybugStore, conn: ladybug.Connection) -> None:
        self._store = store
        self._conn = conn

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        return self._store._execute(self._conn, self._store.text(name), params or {})


def _params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: _param(v) for k, v in params.items()}


def _param(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, dict):
        return {k: _param(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_param(v) for v in value]
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _value(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:  # most values: returned as they are, with one set lookup
        return value
    if kind is datetime:
        return utc(value)
    if kind is dict and "_LABEL" in value:
        node = {k: v if type(v) in _PLAIN else _value(v) for k, v in value.items() if k[0] != "_"}
        node["_label"] = value["_LABEL"]
        return node
    if kind is list:
        return [_value(v) for v in value]
    if isinstance(value, datetime):
        return utc(value)
    return value
