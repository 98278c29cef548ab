"""Shared fixtures. The `store` fixture runs each contract test on the embedded LadybugDB store,
and also on Neo4j when ROLEMAP_TEST_NEO4J_URI points at a live server (its database is wiped
before each test, so use a throwaway one)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rolemap.api.app import create_app
from rolemap.bundle import export_bundle
from rolemap.graph.ladybug_store import LadybugStore
from rolemap.graph.schema import NODES

REPO = Path(__file__).resolve().parent.parent
NEO4J_URI = os.environ.get("ROLEMAP_TEST_NEO4J_URI")
BACKENDS = ["ladybug", *(["neo4j"] if NEO4J_URI else [])]


def _neo4j_store():
    from rolemap.graph.neo4j_store import Neo4jStore

    store = Neo4jStore(
        NEO4J_URI,
        os.environ.get("ROLEMAP_TEST_NEO4J_USER", "neo4j"),
        os.environ.get("ROLEMAP_TEST_NEO4J_PASSWORD", ""),
        os.environ.get("ROLEMAP_TEST_NEO4J_DATABASE", "neo4j"),
    )
    store.apply_schema()
    store.write(lambda tx: [tx.run(f"node.delete_all.{label}") for label in NODES])
    return store


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    if request.param == "neo4j":
        s = _neo4j_store()
    else:
        s = LadybugStore(tmp_path / "rolemap.lbug")
        s.apply_schema()
    yield s
    s.close()


@pytest.fixture
def ladybug_store(tmp_path):
    s = LadybugStore(tmp_path / "rolemap.lbug")
    s.apply_schema()
    yield s
    s.close()


class Api:
    """Calls /graphql like a client: `api(query, **variables)` returns `data`, failing the test
    on any GraphQL error; `api.raw(...)` returns the whole response body."""

    def __init__(self, client: TestClient, store) -> None:
        self.client = client
        self.store = store

    def raw(self, query: str, **variables) -> dict:
        response = self.client.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()

    def __call__(self, query: str, **variables) -> dict:
        body = self.raw(query, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def statements(self, query: str, **variables) -> int:
        """How many store statements one request takes."""
        before = self.store.statement_count
        self(query, **variables)
        return self.store.statement_count - before


@pytest.fixture
def api(store):
    with TestClient(create_app(store)) as client:
        yield Api(client, store)


def snapshot(store) -> dict:
    """The whole registry, to show that a refused write changed nothing."""
    return export_bundle(store)
