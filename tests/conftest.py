"""Shared fixtures. The `store` fixture runs each backend-parametrised test on the embedded
LadybugDB store and on a live Neo4j 5 server, named by ROLEMAP_TEST_NEO4J_URI (its database is
wiped before each test, so use a throwaway one: `tools/neo4j/run` starts one). Without a server
the Neo4j runs are skipped, and the summary says so; with ROLEMAP_TEST_REQUIRE_NEO4J=1 (CI) they
fail instead."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rolemap.api.app import create_app
from rolemap.bundle import export_bundle
from rolemap.domain.actors import Actor, Role
from rolemap.graph.ladybug_store import LadybugStore
from rolemap.graph.schema import NODES
from rolemap.registry import Registry

REPO = Path(__file__).resolve().parent.parent
NEO4J_URI = os.environ.get("ROLEMAP_TEST_NEO4J_URI")
REQUIRE_NEO4J = os.environ.get("ROLEMAP_TEST_REQUIRE_NEO4J") == "1"
BACKENDS = ["ladybug", "neo4j"]
NO_NEO4J = (
    "no live Neo4j: set ROLEMAP_TEST_NEO4J_URI (tools/neo4j/run starts a local one; "
    "see the README, 'Running on Neo4j without Docker')"
)


def need_neo4j() -> None:
    """Skip (or, in CI, fail) a Neo4j run when no server is given."""
    if NEO4J_URI:
        return
    if REQUIRE_NEO4J:
        pytest.fail(f"ROLEMAP_TEST_REQUIRE_NEO4J=1 but {NO_NEO4J}")
    pytest.skip(NO_NEO4J)


def neo4j_settings() -> dict[str, str]:
    """The test server as `ROLEMAP_*` variables, for rolemap processes started by a test."""
    return {
        "ROLEMAP_STORE": "neo4j",
        "ROLEMAP_NEO4J_URI": NEO4J_URI or "",
        "ROLEMAP_NEO4J_USER": os.environ.get("ROLEMAP_TEST_NEO4J_USER", "neo4j"),
        "ROLEMAP_NEO4J_PASSWORD": os.environ.get("ROLEMAP_TEST_NEO4J_PASSWORD", ""),
        "ROLEMAP_NEO4J_DATABASE": os.environ.get("ROLEMAP_TEST_NEO4J_DATABASE", "neo4j"),
    }


def wipe(store) -> None:
    """Delete every record, change and key (the registry head stays, so revisions only grow)."""
    store.write(
        lambda tx: (
            [tx.run(f"node.delete_all.{label}") for label in NODES]
            + [tx.run("key.delete_all"), tx.run("apikey.delete_all")]
        )
    )


@pytest.fixture(scope="session")
def neo4j_server_store():
    """One driver for the session; each test wipes the database before it runs."""
    need_neo4j()
    from rolemap.graph.neo4j_store import Neo4jStore

    env = neo4j_settings()
    store = Neo4jStore(
        env["ROLEMAP_NEO4J_URI"],
        env["ROLEMAP_NEO4J_USER"],
        env["ROLEMAP_NEO4J_PASSWORD"],
        env["ROLEMAP_NEO4J_DATABASE"],
    )
    store.apply_schema()
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    if request.param == "neo4j":
        need_neo4j()
        s = request.getfixturevalue("neo4j_server_store")
        wipe(s)
        yield s
        return
    s = LadybugStore(tmp_path / "rolemap.lbug")
    s.apply_schema()
    yield s
    s.close()


def pytest_terminal_summary(terminalreporter):
    """Say plainly when the Neo4j half of the suite did not run."""

    def on_neo4j(report) -> bool:
        return "[neo4j" in report.nodeid or "test_neo4j_live" in report.nodeid

    skipped = [r for r in terminalreporter.stats.get("skipped", []) if on_neo4j(r)]
    if skipped:
        terminalreporter.write_line(
            f"Neo4j: {len(skipped)} tests SKIPPED, ran on LadybugDB only ({NO_NEO4J})", yellow=True
        )
    elif NEO4J_URI:
        passed = [r for r in terminalreporter.stats.get("passed", []) if on_neo4j(r)]
        terminalreporter.write_line(f"Neo4j: {len(passed)} tests passed on {NEO4J_URI}", green=True)


@pytest.fixture
def ladybug_store(tmp_path):
    s = LadybugStore(tmp_path / "rolemap.lbug")
    s.apply_schema()
    yield s
    s.close()


class Api:
    """Calls /graphql like a client: `api(query, **variables)` returns `data`, failing the test
    on any GraphQL error; `api.raw(...)` returns the whole response body. It sends `token` as a
    bearer token (the `api` fixture's is an ADMIN key); `api.as_(token)` calls as someone else,
    `api.as_(None)` anonymously."""

    def __init__(self, client: TestClient, store, token: str | None = None) -> None:
        self.client = client
        self.store = store
        self.token = token

    def as_(self, token: str | None) -> Api:
        return Api(self.client, self.store, token)

    def key(self, role: str, city: str | None = None, vendor: str | None = None) -> Api:
        """A client with a new API key of this role and scope (made with this client's key)."""
        scope = {"cityId": city, "vendorId": vendor}
        data = self(
            CREATE_KEY, input={"role": role, "name": f"{role} {city or vendor or ''}".strip(), **scope}
        )
        assert data["createApiKey"]["errors"] == [], data
        return self.as_(data["createApiKey"]["key"])

    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"} if self.token else {}

    def raw(self, query: str, **variables) -> dict:
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers()
        )
        assert response.status_code == 200, response.text
        return response.json()

    def __call__(self, query: str, **variables) -> dict:
        body = self.raw(query, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def wait_ready(self, seconds: float = 60) -> None:
        """Until /readyz says the analyses' read model is built (it builds in the background)."""
        deadline = time.monotonic() + seconds
        while (response := self.client.get("/readyz")).status_code != 200:
            assert response.status_code == 503, response.text
            assert time.monotonic() < deadline, f"not ready within {seconds} s: {response.text}"
            time.sleep(0.02)

    def statements(self, query: str, **variables) -> int:
        """How many store statements one request takes, read anonymously (reads are public); the
        read model is caught up first, so that nothing else runs statements meanwhile, and no
        record is kept from the requests before (`RecordCache`)."""
        self.client.app.state.index.caught_up()
        self.client.app.state.kept.clear()
        before = self.store.statement_count
        self.as_(None)(query, **variables)
        return self.store.statement_count - before


CREATE_KEY = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  key apiKey { id role } errors { code field message } } }"""
TEST_ADMIN = Actor("cli:tests", "tests", Role.ADMIN)


def admin_key(store) -> str:
    """An ADMIN key made straight through the use case, as `rolemap keys create` does."""
    key, _ = Registry(store).create_api_key(TEST_ADMIN, {"role": "ADMIN", "name": "tests"})
    return key


@pytest.fixture
def api(store):
    yield from serve_api(store)


def serve_api(store):
    """An app on `store` with an ADMIN client, once its read model is built: the key is made
    first, so the build at start sees the registry as the test begins."""
    key = admin_key(store)
    with TestClient(create_app(store)) as client:
        api = Api(client, store, key)
        api.wait_ready()
        yield api


def snapshot(store) -> dict:
    """The whole registry, to show that a refused write changed nothing."""
    return export_bundle(store)
