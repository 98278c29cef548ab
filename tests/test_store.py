"""The store port on every backend (transactions, UTC timestamps), and LadybugDB specifics: every
statement binds against the real schema, DDL is idempotent, one process owns the file."""

from __future__ import annotations

import subprocess
import sys
import warnings
from datetime import UTC, datetime, timedelta, timezone

import ladybug
import pytest

from rolemap.graph.access import Graph
from rolemap.graph.ladybug_store import LadybugStore
from rolemap.graph.statements import STATEMENTS
from rolemap.graph.store import StoreError, StoreLockedError


def test_a_failed_transaction_writes_nothing(store):
    graph = Graph(store.read)

    def work(tx):
        g = Graph(tx.run)
        g.create("Theme", {"name": "Elderly care"})
        assert g.total("Theme") == 1  # visible inside the transaction
        raise RuntimeError("abandon")

    with pytest.raises(RuntimeError):
        store.write(lambda tx: work(tx))
    assert graph.total("Theme") == 0
    store.write(lambda tx: Graph(tx.run).create("Theme", {"name": "Elderly care"}))
    assert graph.total("Theme") == 1


def test_timestamps_are_stored_and_returned_in_utc(store):
    helsinki = timezone(timedelta(hours=2))
    local = datetime(2026, 3, 1, 14, 30, tzinfo=helsinki)

    def work(tx):
        g = Graph(tx.run)
        g.create_many(
            "Decision",
            [
                {
                    "id": "Decision:d1",
                    "outcome": "DROP",
                    "rationale": "r",
                    "lessons": ["l"],
                    "decidedBy": "x",
                    "decidedAt": local,
                    "createdAt": local,
                    "updatedAt": local,
                }
            ],
        )

    store.write(work)
    decision = Graph(store.read).node("Decision", "Decision:d1")
    assert decision["decidedAt"] == local
    assert decision["decidedAt"].tzinfo == UTC
    assert decision["decidedAt"].hour == 12


def test_unknown_statement_names_are_refused(store):
    with pytest.raises(StoreError, match="unknown statement"):
        store.read("MATCH (n) RETURN n")


def test_every_ladybug_statement_binds_against_the_schema(ladybug_store):
    conn = ladybug.Connection(ladybug_store._db)
    failures = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # prepare() alone is deprecated, still exact
        for statement in STATEMENTS.values():
            prepared = conn.prepare(statement.ladybug)
            if not prepared.is_success():
                failures.append(f"{statement.name}: {prepared.get_error_message()}")
    assert failures == []
    assert len(STATEMENTS) > 300


def test_ddl_is_idempotent(tmp_path):
    store = LadybugStore(tmp_path / "db")
    store.apply_schema()
    store.write(lambda tx: Graph(tx.run).create("Theme", {"name": "Kept"}))
    store.apply_schema()
    assert Graph(store.read).total("Theme") == 1
    store.close()


def test_a_second_process_gets_a_clear_error_naming_the_path(tmp_path):
    path = tmp_path / "owned.lbug"
    store = LadybugStore(path)
    try:
        code = (
            "import sys\n"
            "from rolemap.graph.ladybug_store import LadybugStore\n"
            "from rolemap.graph.store import StoreLockedError\n"
            f"try:\n    LadybugStore({str(path)!r})\n"
            "except StoreLockedError as e:\n    print(e); sys.exit(3)\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    finally:
        store.close()
    assert result.returncode == 3, result.stderr
    assert str(path) in result.stdout
    assert "another process" in result.stdout


def test_a_closed_store_refuses_at_once(tmp_path):
    store = LadybugStore(tmp_path / "db")
    store.apply_schema()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.read("health.ping")
    assert issubclass(StoreLockedError, StoreError)
