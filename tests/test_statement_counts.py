"""One DataLoader set per request: the statements a query takes depend on the depth of its
selection, never on the number of rows returned."""

from __future__ import annotations

import contextlib

import pytest

from rolemap.analysis.index import IndexCache
from rolemap.api.records import RecordCache
from rolemap.bundle import import_bundle

NESTED = """{
  cities(first: 100) {
    edges { node { name
      pilots(first: 5) { edges { node { title
        services(first: 5) { edges { node { name
          vendor { name
            services(first: 3) { totalCount } }
          capabilities(first: 5) { edges { node { name } } } } } } } } } } } }
}"""
# From the store, each level reads its ids (the cities' page, then the links of each hop), then
# the records of those ids, as much of them as the selection needs (here names: `node.brief.*`):
# 2 statements for cities, pilots, services, the vendor and capabilities. The vendor's services
# give their totalCount from the links alone: 1.
EXPECTED = 11
# With the analyses' read model as new as the registry, the links of relationships without
# properties, the whole records of cities, vendors and capabilities, and the cities' page come
# from it: left are the pilots' and services' briefs, and the services' capabilities (their links
# carry claims). A store that other processes write too (Neo4j) is asked for its head, once a
# request (what the read model and the records kept may answer depends on it).
SERVED = 3


def read_model_unused(monkeypatch) -> None:
    """Every read asks the store, as while the read model is built or behind the registry, and
    before any request kept a record."""
    monkeypatch.setattr(IndexCache, "serving", lambda self, revision: contextlib.nullcontext(None))
    monkeypatch.setattr(RecordCache, "take", lambda self, revision, level, ids: {})


def registry_of(n_cities: int) -> dict:
    """n cities, each running two pilots trialling two services of one vendor, each service with
    two capabilities."""
    nodes = {"City": [], "Pilot": [], "Service": [], "Vendor": [], "Capability": []}
    rels = {"RUNS": [], "TRIALS": [], "OFFERS": [], "HAS_CAPABILITY": []}
    nodes["Capability"] = [{"id": f"Capability:c{k}", "name": f"Cap {k}"} for k in range(4)]
    for i in range(n_cities):
        nodes["City"].append({"id": f"City:c{i:03}", "name": f"City {i}", "kind": "MUNICIPALITY"})
        nodes["Vendor"].append({"id": f"Vendor:v{i:03}", "name": f"Vendor {i}"})
        for j in range(2):
            sid, pid = f"Service:s{i:03}-{j}", f"Pilot:p{i:03}-{j}"
            nodes["Service"].append({"id": sid, "name": f"Service {i}.{j}", "lifecycle": "ACTIVE"})
            nodes["Pilot"].append({"id": pid, "title": f"Pilot {i}.{j}", "status": "PROPOSED"})
            rels["OFFERS"].append({"src": f"Vendor:v{i:03}", "dst": sid})
            rels["RUNS"].append({"src": f"City:c{i:03}", "dst": pid})
            for k in range(2):
                rels["TRIALS"].append({"src": pid, "dst": f"Service:s{i:03}-{k}"})
                rels["HAS_CAPABILITY"].append({"src": sid, "dst": f"Capability:c{(j + k) % 4}"})
    return {"format": "rolemap-bundle", "version": 1, "nodes": nodes, "relationships": rels}


@pytest.mark.parametrize("served", [True, False], ids=["read-model", "store"])
@pytest.mark.parametrize("n_cities", [1, 50])
def test_nested_query_statement_count_does_not_grow_with_rows(api, store, n_cities, served, monkeypatch):
    if not served:
        read_model_unused(monkeypatch)
    import_bundle(store, registry_of(n_cities))
    data_rows = api(NESTED)["cities"]["edges"]
    assert len(data_rows) == n_cities
    first = data_rows[0]["node"]["pilots"]["edges"][0]["node"]["services"]["edges"][0]["node"]
    assert first["vendor"]["services"]["totalCount"] == 2
    assert len(first["capabilities"]["edges"]) == 2
    expected = (SERVED if served else EXPECTED) + (not store.sole_writer)  # Neo4j: the head
    assert api.statements(NESTED) == expected


def test_total_count_on_a_top_level_list_costs_one_statement(api, store, monkeypatch):
    import_bundle(store, registry_of(3))
    head = not store.sole_writer
    assert api.statements("{ cities { totalCount edges { node { id } } } }") == head  # the read model
    read_model_unused(monkeypatch)
    assert api.statements("{ cities { edges { node { id } } } }") == 1 + head
    assert api.statements("{ cities { totalCount edges { node { id } } } }") == 2 + head


def test_records_are_read_only_as_far_as_the_selection_needs(api, store, monkeypatch):
    """Ids alone need no record; names need only the brief (`node.brief.*`); any other field, also
    one asked for through a fragment, the whole record (from the store: the read model keeps
    whole records of a few labels)."""
    read_model_unused(monkeypatch)
    import_bundle(store, registry_of(2))
    names: list[str] = []
    read = store.read
    monkeypatch.setattr(store, "read", lambda name, params=None: names.append(name) or read(name, params))

    def records_read(query: str) -> tuple[dict, list[str]]:
        names.clear()
        data = api(query)
        return data, sorted(n for n in names if n.startswith("node."))

    data, read_ = records_read(
        "{ cities { edges { node { id pilots { totalCount edges { node { id } } } } } } }"
    )
    assert read_ == []
    assert data["cities"]["edges"][0]["node"]["pilots"]["totalCount"] == 2

    brief = '{ cities { edges { node { name(lang: "sv") pilots { edges { node { title } } } } } } }'
    data, read_ = records_read(brief)
    assert read_ == ["node.brief.City", "node.brief.Pilot"]
    assert data["cities"]["edges"][1]["node"]["name"] == "City 1"
    assert data["cities"]["edges"][1]["node"]["pilots"]["edges"][0]["node"]["title"] == "Pilot 1.0"

    whole = """{ cities { edges { node { ...C } } } }
      fragment C on City { name kind pilots { edges { node { ... on Pilot { title status } } } } }"""
    data, read_ = records_read(whole)
    assert read_ == ["node.get.City", "node.get.Pilot"]
    city = data["cities"]["edges"][1]["node"]
    assert (city["name"], city["kind"]) == ("City 1", "MUNICIPALITY")
    assert city["pilots"]["edges"][0]["node"] == {"title": "Pilot 1.0", "status": "PROPOSED"}

    data, read_ = records_read(
        '{ service(id: "Service:s000-0") { id vendor { id } } nope: service(id: "Service:x") { id } }'
    )
    assert data == {"service": {"id": "Service:s000-0", "vendor": {"id": "Vendor:v000"}}, "nope": None}
    assert read_ == ["node.brief.Service"]  # an id alone still proves the node is there
