"""The Neo4j backend without a server: the driver's own value types come back as the store port
promises (plain dicts, UTC datetimes), writes run as one managed transaction, and the statement
text sent is the registered Neo4j text. What needs a real server (retries, constraints under
concurrency, several instances, losing the server) is in test_neo4j_live.py, and the whole
backend-parametrised suite runs on a live server too (see conftest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from neo4j import Record
from neo4j.graph import Graph, Node
from neo4j.time import Date, DateTime

from rolemap.domain.errors import UserErrors
from rolemap.graph import neo4j_store
from rolemap.graph.statements import STATEMENTS


class FakeTx:
    def __init__(self, rows):
        self.rows = rows
        self.sent = []

    def run(self, text, params):
        self.sent.append((text, params))
        return [Record(row) for row in self.rows]


class FakeSession:
    def __init__(self, tx):
        self.tx = tx
        self.modes = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute_read(self, fn, *args):
        self.modes.append("read")
        return fn(self.tx, *args)

    def execute_write(self, fn, *args):
        self.modes.append("write")
        return fn(self.tx, *args)


class FakeDriver:
    def __init__(self, session):
        self._session = session
        self.databases = []

    def session(self, database, bookmark_manager=None):
        self.databases.append(database)
        return self._session


@pytest.fixture
def fake(monkeypatch):
    def make(rows):
        tx = FakeTx(rows)
        session = FakeSession(tx)
        driver = FakeDriver(session)
        store = neo4j_store.Neo4jStore.__new__(neo4j_store.Neo4jStore)
        neo4j_store.Store.__init__(store)
        store.database = "registry"
        store.uri = "bolt://fake"
        store._driver = driver
        store._bookmarks = None
        return store, tx, session, driver

    return make


def test_nodes_dates_and_timestamps_come_back_as_the_port_promises(fake):
    node = Node(
        Graph(),
        "4:x:1",
        1,
        ["Pilot"],
        {
            "id": "Pilot:p",
            "startDate": Date(2026, 1, 2),
            "startedAt": DateTime(2026, 1, 2, 10, 0, 0, tzinfo=UTC),
            "lessons": ["a"],
        },
    )
    store, tx, session, driver = fake([{"n": node}])
    rows = store.read("node.get.Pilot", {"ids": ["Pilot:p"]})
    assert rows == [
        {
            "n": {
                "id": "Pilot:p",
                "startDate": date(2026, 1, 2),
                "startedAt": datetime(2026, 1, 2, 10, tzinfo=UTC),
                "lessons": ["a"],
                "_label": "Pilot",
            }
        }
    ]
    assert tx.sent == [(STATEMENTS["node.get.Pilot"].neo4j, {"ids": ["Pilot:p"]})]
    assert session.modes == ["read"] and driver.databases == ["registry"]
    assert store.statement_count == 1


def test_a_write_is_one_managed_transaction_that_bumps_the_revision_first(fake):
    store, tx, session, _ = fake([{"revision": 7}])

    def work(t):
        t.run("node.create.Theme", {"rows": []})
        t.run("node.count.Theme")
        return "done"

    assert store.write(work) == "done"
    assert session.modes == ["write"]
    assert [text for text, _ in tx.sent] == [
        STATEMENTS["registry.bump"].neo4j,
        STATEMENTS["node.create.Theme"].neo4j,
        STATEMENTS["node.count.Theme"].neo4j,
        STATEMENTS["registry.retoken"].neo4j,  # no change record written: a new history
    ]
    assert store.revision == 7

    def refuse(t):
        raise UserErrors([])

    with pytest.raises(UserErrors):
        store.write(refuse)


def test_neo4j_texts_have_no_ladybug_only_syntax():
    for statement in STATEMENTS.values():
        assert "CAST(" not in statement.neo4j, statement.name
