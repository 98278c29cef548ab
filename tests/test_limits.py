"""A query that could return too many objects, or nests too deep, is refused before it runs."""

from __future__ import annotations

GRAPHQL_RESPONSE = "application/graphql-response+json"


def test_nested_connections_multiply_and_are_refused_above_the_limit(api):
    huge = "{ cities(first: 100) { edges { node { pilots(first: 100) { edges { node { services(first: 100) { totalCount } } } } } } } }"
    response = api.client.post("/graphql", json={"query": huge}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert (
        "about 2,030,300 values" in error["message"]
    )  # 100 + 100 + 100 (edges, nodes) + 10,000 × 3 + 1,000,000 × 2
    assert api.statements(huge.replace("first: 100", "first: 10")) >= 1  # the same shape, smaller, runs


def test_variables_and_defaults_count(api):
    query = "query($n: Int) { cities(first: $n) { edges { node { pilots(first: $n) { edges { node { services { totalCount } } } } } } } }"
    assert "errors" not in api.raw(query, n=10)
    body = api.raw(query, n=100)  # 100 × 100 × 20 (services' default first)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"


def test_too_deep_is_refused_and_introspection_is_not_counted(api):
    deep = '{ city(id: "City:x") ' + "{ partOf(first: 1) { edges { node " * 9 + "{ id }" + " } } }" * 9 + " }"
    body = api.raw(deep)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    introspection = "{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }"
    assert "errors" not in api.raw(introspection)
