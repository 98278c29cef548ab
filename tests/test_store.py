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

from .conftest import TEST_ADMIN, snapshot


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


def test_a_database_from_before_keys_and_revisions_is_upgraded_at_open(tmp_path):
    """An embedded file written by an earlier rolemap: no `externalKey` column, no `Key` or
    `Registry` tables. Opening it adds them and backfills, so upserts and unique checks work."""
    from rolemap.bundle import import_bundle
    from rolemap.registry import Registry

    path = tmp_path / "old.lbug"
    store = LadybugStore(path)
    store.apply_schema()
    bundle = {
        "format": "rolemap-bundle",
        "version": 1,
        "nodes": {
            "Vendor": [{"id": "Vendor:v", "name": "V", "businessId": "1234567-8"}],
            "Service": [{"id": "Service:s", "name": "S", "lifecycle": "ACTIVE", "externalId": "ext-1"}],
        },
        "relationships": {"OFFERS": [{"src": "Vendor:v", "dst": "Service:s"}]},
    }
    import_bundle(store, bundle)
    for statement in ("DROP TABLE Key", "DROP TABLE Registry", "ALTER TABLE Service DROP externalKey"):
        store._execute(store._writer, statement, {})
    store.close()

    store = LadybugStore(path)
    store.apply_schema()
    try:
        assert store.revision == 1  # the upgrade was one write
        graph = Graph(store.read)
        assert graph.holder("Vendor", "businessId", "1234567-8") == "Vendor:v"
        assert graph.node("Service", "Service:s")["externalKey"] == "Vendor:v|ext-1"
        again = Registry(store).register_service(
            TEST_ADMIN, {"vendorId": "Vendor:v", "externalId": "ext-1", "name": "S2"}
        )
        assert again["id"] == "Service:s"
        assert graph.total("Service") == 1
        store.close()
        store = LadybugStore(path)
        store.apply_schema()  # nothing more to do
        assert store.revision == 2
    finally:
        store.close()


def test_a_unique_value_claimed_meanwhile_is_a_duplicate_user_error(store, monkeypatch):
    """The store's constraint is the last word: when the check in the use case ran before another
    transaction committed the same (vendor, externalId), the write is refused as DUPLICATE."""
    from rolemap.domain.errors import Code, UserErrors
    from rolemap.registry import Registry

    registry = Registry(store)
    vendor = registry.register_vendor(TEST_ADMIN, {"name": "Kiosk Oy", "businessId": "7654321-0"})["id"]
    first = registry.register_service(TEST_ADMIN, {"vendorId": vendor, "externalId": "k-1", "name": "Kiosk"})
    before = snapshot(store)
    monkeypatch.setattr(Graph, "holder", lambda self, label, prop, value: None)  # the check saw nothing
    with pytest.raises(UserErrors) as caught:
        registry.register_service(
            TEST_ADMIN, {"vendorId": vendor, "externalId": "k-1", "name": "Kiosk again"}
        )
    assert [(e.code, e.field) for e in caught.value.errors] == [(Code.DUPLICATE, "externalId")]
    with pytest.raises(UserErrors) as caught:
        registry.register_vendor(TEST_ADMIN, {"name": "Copy Oy", "businessId": "7654321-0"})
    assert [(e.code, e.field) for e in caught.value.errors] == [(Code.DUPLICATE, "businessId")]
    assert snapshot(store) == before
    assert [
        s["id"] for s, _ in Graph(store.read).related("OFFERS", "Vendor", "Service", "out", [vendor])[vendor]
    ] == [first["id"]]


def test_facets_after_a_search_count_what_the_filtered_list_holds(ladybug_store):
    """Each facet value counts exactly the items the list gives with that value as a filter. On
    LadybugDB 0.22, `WITH DISTINCT n` after the search filter dropped most rows (3 vendors of 50)."""
    from rolemap.api.schema import search_terms
    from rolemap.bundle import import_bundle
    from rolemap.generate import generate_bundle

    import_bundle(ladybug_store, generate_bundle("S", 1))
    graph = Graph(ladybug_store.read)
    terms = search_terms("desk")
    facet = graph.facet("Service", "vendorId", {"search": terms})
    assert len(facet) > 10
    for vendor, count in facet[:10]:
        assert count == graph.count("Service", {"search": terms, "vendorId": vendor}), vendor
