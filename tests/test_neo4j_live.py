"""What only a real Neo4j server shows: transient errors retried, concurrent upserts, several
rolemap instances on one database, and a server that goes away and comes back.

These run with ROLEMAP_TEST_NEO4J_URI (see conftest.py); the last one also starts a Neo4j of its
own with tools/neo4j/run, so it needs Java and Maven as well.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from rolemap.bundle import import_bundle
from rolemap.graph.access import Graph
from rolemap.seed import default_seed_dir, seed_bundle

from .conftest import admin_key, need_neo4j, neo4j_settings, wipe
from .processes import LocalNeo4j, Server, can_launch_neo4j, get, post


@pytest.fixture
def neo4j(neo4j_server_store):
    wipe(neo4j_server_store)
    return neo4j_server_store


@pytest.fixture
def sample_loaded(neo4j):
    import_bundle(neo4j, seed_bundle(default_seed_dir()))
    return neo4j


def test_a_deadlock_is_retried_by_the_driver_and_both_writes_land(neo4j):
    """Two transactions lock two nodes in opposite orders: the server kills one with a transient
    DeadlockDetected error, and the driver runs that unit of work again."""
    neo4j.write(lambda tx: Graph(tx.run).create_many("Theme", [theme("Theme:a"), theme("Theme:b")]))
    attempts = {"first": 0, "second": 0}
    both_hold_one = threading.Barrier(2, timeout=10)

    def unit(name: str, order: tuple[str, str]):
        def work(tx):
            attempts[name] += 1
            g = Graph(tx.run)
            g.update(g.node("Theme", order[0]), {"description": name})  # takes the first lock
            if attempts[name] == 1:
                both_hold_one.wait()
            g.update(g.node("Theme", order[1]), {"description": name})
            return name

        return work

    # Straight to the backend's transaction: `write` would serialise them on the registry head.
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(neo4j._transaction, unit("first", ("Theme:a", "Theme:b")))
        second = pool.submit(neo4j._transaction, unit("second", ("Theme:b", "Theme:a")))
        assert {first.result(timeout=60), second.result(timeout=60)} == {"first", "second"}
    assert sorted(attempts.values()) == [1, 2], attempts  # one was killed and run again
    descriptions = {
        n["description"] for n in Graph(neo4j.read).nodes("Theme", ["Theme:a", "Theme:b"]).values()
    }
    assert len(descriptions) == 1  # the retried one wrote both, after the other


def theme(node_id: str) -> dict:
    from rolemap.graph.access import now

    return {"id": node_id, "name": node_id, "createdAt": now(), "updatedAt": now()}


def test_two_instances_see_each_others_writes_on_the_next_request(sample_loaded):
    env, key = neo4j_settings(), admin_key(sample_loaded)
    with Server(env, "--no-seed", token=key) as a, Server(env, "--no-seed") as b:
        a.wait_ready()
        b.wait_ready()
        tampere = "City:tampere"
        # B answers first, so its analysis index is warm and stamped with the current revision.
        gaps = b.graphql(COVERAGE, city=tampere)["coverageGaps"]
        missing = gaps[0]["missingCapabilities"][0]["id"]
        used = b.graphql(USED, city=tampere)["city"]["services"]["edges"][0]["node"]
        capabilities = [e["node"]["id"] for e in used["capabilities"]["edges"]]
        before = b.graphql(OVERLAPS, city=tampere)["overlaps"]
        assert b.graphql(ROLE_MAP, city=tampere)  # warm

        # A registers a near twin of a service Tampere uses, with the missing capability too, and
        # Tampere starts using it.
        vendor = a.graphql(
            'mutation { registerVendor(input: {name: "Twin Oy"}) { vendor { id } errors { code } } }'
        )["registerVendor"]["vendor"]["id"]
        registered = a.graphql(
            REGISTER,
            input={"vendorId": vendor, "name": used["name"], "capabilityIds": [*capabilities, missing]},
        )["registerService"]
        assert registered["errors"] == []
        twin = registered["service"]["id"]
        assert a.graphql(USE, city=tampere, service=twin)["useService"]["errors"] == []

        # B's very next requests: the node, the overlaps, the role map and the coverage all see it.
        assert b.graphql("query($id: ID!) { node(id: $id) { id } }", id=twin)["node"] == {"id": twin}
        after = b.graphql(OVERLAPS, city=tampere)["overlaps"]
        assert twin not in str(before)
        assert any(twin in (o["left"]["id"], o["right"]["id"]) for o in after)
        rows = b.graphql(ROLE_MAP, city=tampere)["roleMap"]["rows"]
        cells = [c for r in rows if r["capability"]["id"] == missing for c in r["cells"]]
        assert {"vendor": {"id": vendor}, "role": "IN_USE"} in cells
        gaps_after = b.graphql(COVERAGE, city=tampere)["coverageGaps"]
        assert missing not in {c["id"] for g in gaps_after for c in g["missingCapabilities"]}


def test_fifty_concurrent_upserts_of_one_external_id_leave_one_service(neo4j):
    env, key = neo4j_settings(), admin_key(neo4j)
    with Server(env, "--no-seed", token=key) as a, Server(env, "--no-seed", token=key) as b:
        a.wait_ready()
        b.wait_ready()
        vendor = a.graphql(
            'mutation { registerVendor(input: {name: "Kiosk Oy"}) { vendor { id } errors { code } } }'
        )["registerVendor"]["vendor"]["id"]

        def register(i: int) -> tuple[int, dict]:
            server = (a, b)[i % 2]
            item = {"vendorId": vendor, "externalId": "kiosk-1", "name": f"Kiosk {i}"}
            return post(f"{server.base}/graphql", REGISTER, {"input": item}, timeout=60, token=key)

        with ThreadPoolExecutor(50) as pool:
            results = list(pool.map(register, range(50)))
    statuses = [status for status, _ in results]
    assert statuses == [200] * 50, statuses
    ids = {body["data"]["registerService"]["service"]["id"] for _, body in results}
    assert all(body["data"]["registerService"]["errors"] == [] for _, body in results)
    assert len(ids) == 1
    offered = Graph(neo4j.read).related("OFFERS", "Vendor", "Service", "out", [vendor])[vendor]
    assert [s["id"] for s, _ in offered] == list(ids)


def test_two_instances_starting_on_an_empty_database_load_the_sample_once(neo4j):
    env = neo4j_settings()
    with Server(env) as a, Server(env) as b:
        a.wait_ready(120)
        b.wait_ready(120)
        for server in (a, b):
            assert server.graphql('{ city(id: "City:tampere") { name } }')["city"]["name"] == "Tampere"
    expected = len(seed_bundle(default_seed_dir())["nodes"]["Pilot"])
    assert Graph(neo4j.read).total("Pilot") == expected


def test_losing_neo4j_fails_readiness_and_the_server_recovers(tmp_path):
    need_neo4j()
    if not can_launch_neo4j():
        pytest.skip("starting a Neo4j of its own needs java and mvn (tools/neo4j/run)")
    server_db = LocalNeo4j(tmp_path / "neo4j").start()
    env = {**neo4j_settings(), "ROLEMAP_NEO4J_URI": server_db.uri, "ROLEMAP_NEO4J_PASSWORD": ""}
    try:
        with Server(env) as rolemap:
            assert rolemap.wait_ready(120)["store"] == "neo4j"
            server_db.stop()
            deadline = time.monotonic() + 20
            while (status := get(f"{rolemap.base}/readyz", timeout=15))[0] == 200:
                assert time.monotonic() < deadline, "readiness still ok 20 s after Neo4j stopped"
                time.sleep(0.5)
            assert status[0] == 503 and status[1]["status"] == "unavailable", status
            assert status[1]["error"] == "the database does not answer"  # no internals
            # A request meanwhile is a clear GraphQL error, not a 500.
            code, body = post(f"{rolemap.base}/graphql", "{ cities { totalCount } }", timeout=60)
            assert code == 200 and body["errors"], body

            server_db.start()
            rolemap.wait_ready(60)
            assert rolemap.graphql("{ cities { totalCount } }")["cities"]["totalCount"] > 0
    finally:
        server_db.stop()


COVERAGE = "query($city: ID!) { coverageGaps(cityId: $city) { need { id } missingCapabilities { id } } }"
OVERLAPS = """query($city: ID!) { overlaps(scope: {cityId: $city}, kind: SERVICE, first: 50) {
  left { ... on Service { id } } right { ... on Service { id } } } }"""
ROLE_MAP = """query($city: ID!) { roleMap(cityId: $city) {
  rows { capability { id } cells { vendor { id } role } } } }"""
USED = """query($city: ID!) { city(id: $city) { services(first: 1) { edges { node {
  id name capabilities { edges { node { id } } } } } } } }"""
REGISTER = """mutation($input: RegisterServiceInput!) { registerService(input: $input) {
  service { id } errors { code field message } } }"""
USE = """mutation($city: ID!, $service: ID!) { useService(cityId: $city, serviceId: $service) {
  errors { code } } }"""
