"""One DataLoader set per request: the statements a query takes depend on the depth of its
selection, never on the number of rows returned."""

from __future__ import annotations

import pytest

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
# cities page, pilots, services, vendor, vendor.services, capabilities: one statement each level.
EXPECTED = 6


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


@pytest.mark.parametrize("n_cities", [1, 50])
def test_nested_query_statement_count_does_not_grow_with_rows(api, store, n_cities):
    import_bundle(store, registry_of(n_cities))
    data_rows = api(NESTED)["cities"]["edges"]
    assert len(data_rows) == n_cities
    first = data_rows[0]["node"]["pilots"]["edges"][0]["node"]["services"]["edges"][0]["node"]
    assert first["vendor"]["services"]["totalCount"] == 2
    assert len(first["capabilities"]["edges"]) == 2
    assert api.statements(NESTED) == EXPECTED


def test_total_count_on_a_top_level_list_costs_one_statement(api, store):
    import_bundle(store, registry_of(3))
    assert api.statements("{ cities { edges { node { id } } } }") == 1
    assert api.statements("{ cities { totalCount edges { node { id } } } }") == 2
