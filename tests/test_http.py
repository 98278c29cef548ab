"""GraphQL over HTTP, GraphiQL served offline, health and readiness."""

from __future__ import annotations

import json
import re

import pytest
from starlette.testclient import TestClient

from rolemap.api.app import create_app

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
def client(ladybug_store):
    with TestClient(create_app(ladybug_store)) as c:
        yield c


def test_post_json_and_get_with_query_parameters(client):
    r = client.post("/graphql", json={"query": "{ themes { totalCount } }"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"data": {"themes": {"totalCount": 0}}}
    r = client.get(
        "/graphql",
        params={
            "query": "query Q($k: CityKind) { cities(kind: $k) { totalCount } }",
            "variables": '{"k": "REGION"}',
        },
    )
    assert r.json() == {"data": {"cities": {"totalCount": 0}}}


def test_graphql_response_media_type_gives_request_errors_4xx(client):
    headers = {"accept": GRAPHQL_RESPONSE}
    r = client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "nope" in r.json()["errors"][0]["message"]
    r = client.post("/graphql", json={"query": "{"}, headers=headers)
    assert r.status_code == 400
    ok = client.post("/graphql", json={"query": "{ themes { totalCount } }"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["data"]["themes"]["totalCount"] == 0
    # With plain JSON the same validation error is a 200 with errors (legacy clients).
    assert client.post("/graphql", json={"query": "{ nope }"}).status_code == 200


def test_mutations_are_refused_over_get(client):
    r = client.get(
        "/graphql", params={"query": 'mutation { createTheme(input: {name: "X"}) { errors { code } } }'}
    )
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert client.post("/graphql", json={"query": "{ themes { totalCount } }"}).json()["data"]["themes"] == {
        "totalCount": 0
    }


@pytest.mark.parametrize(
    ("kwargs", "status", "fragment"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "not JSON"),
        ({"content": b"query=x", "headers": {"content-type": "text/plain"}}, 415, "Content-Type"),
        ({"json": {"variables": {}}}, 400, "query"),
        ({"json": {"query": "{ themes { totalCount } }", "variables": [1]}}, 400, "variables"),
        ({"json": ["query"]}, 400, "JSON object"),
    ],
)
def test_malformed_requests_get_clear_errors(client, kwargs, status, fragment):
    r = client.post("/graphql", **kwargs)
    assert r.status_code == status
    assert fragment in r.json()["errors"][0]["message"]


def test_unacceptable_accept_header(client):
    r = client.post("/graphql", json={"query": "{ themes { totalCount } }"}, headers={"accept": "text/csv"})
    assert r.status_code == 406


def test_bad_variables_are_errors_not_crashes(client):
    r = client.post(
        "/graphql",
        json={
            "query": "query($k: CityKind) { cities(kind: $k) { totalCount } }",
            "variables": {"k": "VILLAGE"},
        },
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert r.status_code == 400
    assert "VILLAGE" in r.json()["errors"][0]["message"]


def test_browsers_get_graphiql_with_no_external_assets(client):
    r = client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "__DEFAULT_QUERY__" not in page
    assert not re.search(r"(src|href)=\"https?:", page), "GraphiQL must not load anything from the internet"
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        fetched = client.get(asset)
        assert fetched.status_code == 200 and len(fetched.content) > 1000, asset
    default_query = re.search(r"defaultQuery: (\".*?\"),\n", page).group(1)
    assert "city(" in json.loads(default_query)


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "store": "ladybug"}


def test_readiness_reports_a_store_that_does_not_answer(tmp_path):
    from rolemap.graph.ladybug_store import LadybugStore

    store = LadybugStore(tmp_path / "db")
    store.apply_schema()
    with TestClient(create_app(store)) as c:
        store.close()
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"
