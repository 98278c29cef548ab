"""Who may change what: every mutation in the schema, called by every role, on its own scope and on
another's. An allowed call succeeds; a refused one returns UNAUTHENTICATED or FORBIDDEN naming a
field, and the export of the whole registry is unchanged."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from rolemap.api.app import create_app
from rolemap.api.schema import schema
from rolemap.bundle import import_bundle
from rolemap.domain.actors import Actor, Role
from rolemap.registry import Registry

from .conftest import TEST_ADMIN, Api, snapshot

T, R, H = "City:tampere", "City:pirkanmaa", "City:helsinki"


def world() -> dict:
    """Pirkanmaa (a region) with Tampere in it, and Helsinki; vendors A and B; one need, service and
    pilot in each state where the mutations need them; a claim by A that Tampere uses its service."""
    stamp = "2026-01-01T00:00:00Z"
    nodes = {
        "City": [
            {"id": R, "name": "Pirkanmaa", "kind": "REGION"},
            {"id": T, "name": "Tampere", "kind": "MUNICIPALITY"},
            {"id": H, "name": "Helsinki", "kind": "MUNICIPALITY"},
        ],
        "Capability": [{"id": "Capability:a", "name": "Chat"}, {"id": "Capability:b", "name": "Booking"}],
        "Theme": [{"id": "Theme:t", "name": "Care"}],
        "Vendor": [{"id": "Vendor:a", "name": "A Oy"}, {"id": "Vendor:b", "name": "B Oy"}],
        "Service": [
            {"id": "Service:a", "name": "A chat", "lifecycle": "ACTIVE", "externalId": "a-1"},
            {"id": "Service:b", "name": "B chat", "lifecycle": "ACTIVE"},
            {"id": "Service:tampere-own", "name": "Tampere's own", "lifecycle": "ACTIVE"},
            {"id": "Service:helsinki-own", "name": "Helsinki's own", "lifecycle": "ACTIVE"},
        ],
        "Need": [
            {"id": "Need:t", "title": "Elderly care", "status": "OPEN"},
            {"id": "Need:h", "title": "Youth", "status": "OPEN"},
        ],
        "Pilot": [],
        "Goal": [],
        "Decision": [],
    }
    rels = {
        "PART_OF": [{"src": T, "dst": R}],
        "OFFERS": [{"src": "Vendor:a", "dst": "Service:a"}, {"src": "Vendor:b", "dst": "Service:b"}],
        "OPERATES": [
            {"src": T, "dst": "Service:tampere-own"},
            {"src": H, "dst": "Service:helsinki-own"},
        ],
        "HAS_NEED": [{"src": T, "dst": "Need:t"}, {"src": H, "dst": "Need:h"}],
        "USES": [
            {
                "src": T,
                "dst": "Service:a",
                "status": "CLAIMED",
                "claimedBy": "ApiKey:vendor-a",
                "claimedAt": stamp,
            }
        ],
        "RUNS": [],
    }
    for city, short in ((T, "t"), (H, "h")):
        for status in ("PROPOSED", "RUNNING", "ENDED"):
            pid = f"Pilot:{short}-{status.lower()}"
            extra = {"startedAt": stamp} if status != "PROPOSED" else {}
            extra |= {"endedAt": stamp} if status == "ENDED" else {}
            nodes["Pilot"].append({"id": pid, "title": f"{short} {status}", "status": status, **extra})
            rels["RUNS"].append({"src": city, "dst": pid})
    return {"format": "rolemap-bundle", "version": 1, "nodes": nodes, "relationships": rels}


# Who: the roles and scopes every call is tried with.
WHO = {
    "anonymous": None,
    "reader": ("READER", None, None),
    "admin": ("ADMIN", None, None),
    "city-tampere": ("CITY", T, None),
    "city-region": ("CITY", R, None),
    "city-helsinki": ("CITY", H, None),
    "procurement-tampere": ("PROCUREMENT", T, None),
    "vendor-a": ("VENDOR", None, "Vendor:a"),
    "vendor-b": ("VENDOR", None, "Vendor:b"),
}
TAMPERE_CITY = {"admin", "city-tampere", "city-region"}
HELSINKI_CITY = {"admin", "city-helsinki"}


@dataclass(frozen=True)
class Call:
    mutation: str
    document: str
    variables: dict
    allowed: frozenset[str]
    label: str = ""


def call(
    mutation: str,
    args: str,
    variables: dict,
    allowed: set[str],
    label: str = "",
    payload="errors { code field message }",
):
    names = ", ".join(f"${k}: {t}" for k, t in _types(mutation, variables).items())
    document = (
        f"mutation({names}) {{ {mutation}({args}) {{ {payload} }} }}"
        if names
        else f"mutation {{ {mutation}({args}) {{ {payload} }} }}"
    )
    return Call(mutation, document, variables, frozenset(allowed), label or mutation)


def _types(mutation: str, variables: dict) -> dict[str, str]:
    field = schema.graphql_schema.mutation_type.fields[mutation]
    return {name: str(field.args[name].type) for name in variables}


SERVICE = {"name": "Kiosk", "capabilityIds": ["Capability:a"]}
DECISION = {
    "outcome": "DEVELOP",
    "rationale": "Residents used it at night; procure for all districts",
    "lessons": ["Night-time use was 40% of all use"],
    "nextSteps": ["Open a procurement"],
}
CALLS = [
    call("createCity", "input: $input", {"input": {"name": "Turku", "kind": "MUNICIPALITY"}}, {"admin"}),
    call("createTheme", "input: $input", {"input": {"name": "Mobility"}}, {"admin"}),
    call("createCapability", "input: $input", {"input": {"name": "Maps"}}, {"admin"}),
    call(
        "updateCapability",
        "id: $id, input: $input",
        {"id": "Capability:a", "input": {"complementIds": ["Capability:b"]}},
        {"admin"},
    ),
    call("createGoal", "input: $input", {"input": {"cityId": T, "name": "Digital first"}}, TAMPERE_CITY),
    call(
        "createGoal",
        "input: $input",
        {"input": {"cityId": H, "name": "Digital first"}},
        HELSINKI_CITY,
        "createGoal(Helsinki)",
    ),
    call("registerVendor", "input: $input", {"input": {"name": "C Oy"}}, {"admin"}),
    call(
        "updateVendor",
        "id: $id, input: $input",
        {"id": "Vendor:a", "input": {"website": "https://a.example"}},
        {"admin", "vendor-a"},
    ),
    call(
        "registerService",
        "input: $input",
        {"input": {"vendorId": "Vendor:a", **SERVICE}},
        {"admin", "vendor-a"},
    ),
    call(
        "registerService",
        "input: $input",
        {"input": {"operatorCityId": T, **SERVICE}},
        TAMPERE_CITY,
        "registerService(in-house)",
    ),
    call(
        "registerServices",
        "input: $input",
        {"input": [{"vendorId": "Vendor:a", **SERVICE}]},
        {"admin", "vendor-a"},
        payload="errors { code field message }",
    ),
    call(
        "registerServices",
        "input: $input",
        {"input": [{"vendorId": "Vendor:a", **SERVICE}, {"vendorId": "Vendor:b", **SERVICE}]},
        {"admin"},
        "registerServices(A and B)",
    ),
    call(
        "updateService",
        "id: $id, input: $input",
        {"id": "Service:a", "input": {"name": "A chat 2"}},
        {"admin", "vendor-a"},
    ),
    call(
        "updateService",
        "id: $id, input: $input",
        {"id": "Service:tampere-own", "input": {"name": "Own 2"}},
        TAMPERE_CITY,
        "updateService(in-house)",
    ),
    call("retireService", "id: $id", {"id": "Service:b"}, {"admin", "vendor-b"}),
    call("createNeed", "input: $input", {"input": {"cityId": T, "title": "Mobility"}}, TAMPERE_CITY),
    call(
        "createNeed",
        "input: $input",
        {"input": {"cityId": H, "title": "Mobility"}},
        HELSINKI_CITY,
        "createNeed(Helsinki)",
    ),
    call("updateNeed", "id: $id, input: $input", {"id": "Need:t", "input": {"status": "MET"}}, TAMPERE_CITY),
    call(
        "useService",
        "cityId: $cityId, serviceId: $serviceId",
        {"cityId": H, "serviceId": "Service:a"},
        HELSINKI_CITY | {"vendor-a"},
    ),
    call(
        "useService",
        "cityId: $cityId, serviceId: $serviceId",
        {"cityId": T, "serviceId": "Service:b"},
        TAMPERE_CITY | {"vendor-b"},
        "useService(Tampere)",
    ),
    call(
        "stopUsingService",
        "cityId: $cityId, serviceId: $serviceId",
        {"cityId": T, "serviceId": "Service:a"},
        TAMPERE_CITY,
    ),
    call(
        "reviewClaim",
        "input: $input",
        {"input": {"kind": "USES", "serviceId": "Service:a", "targetId": T, "verdict": "VERIFIED"}},
        TAMPERE_CITY,
    ),
    call(
        "setStance",
        "cityId: $cityId, capabilityId: $capabilityId, ring: $ring",
        {"cityId": T, "capabilityId": "Capability:a", "ring": "TRIAL"},
        TAMPERE_CITY,
    ),
    call("createPilot", "input: $input", {"input": {"cityId": T, "title": "Kiosk trial"}}, TAMPERE_CITY),
    call(
        "createPilot",
        "input: $input",
        {"input": {"cityId": H, "title": "Kiosk trial"}},
        HELSINKI_CITY,
        "createPilot(Helsinki)",
    ),
    call(
        "updatePilot",
        "id: $id, input: $input",
        {"id": "Pilot:t-proposed", "input": {"title": "Kiosk"}},
        TAMPERE_CITY,
    ),
    call("startPilot", "id: $id", {"id": "Pilot:h-proposed"}, HELSINKI_CITY),
    call("endPilot", "id: $id", {"id": "Pilot:t-running"}, TAMPERE_CITY),
    call(
        "cancelPilot",
        "id: $id, reason: $reason",
        {"id": "Pilot:t-running", "reason": "No users"},
        TAMPERE_CITY,
    ),
    call(
        "recordDecision",
        "input: $input",
        {"input": {"pilotId": "Pilot:t-ended", **DECISION}},
        TAMPERE_CITY | {"procurement-tampere"},
    ),
    call(
        "recordDecision",
        "input: $input",
        {"input": {"pilotId": "Pilot:h-ended", **DECISION}},
        HELSINKI_CITY,
        "recordDecision(Helsinki)",
    ),
    call("createApiKey", "input: $input", {"input": {"role": "READER", "name": "dashboard"}}, {"admin"}),
    call("revokeApiKey", "id: $id", {"id": "ApiKey:vendor-b-key"}, {"admin"}),
]


def test_the_matrix_covers_every_mutation_in_the_schema():
    assert {c.mutation for c in CALLS} == set(schema.graphql_schema.mutation_type.fields)


class Matrix:
    """A registry with the world loaded and a key for every role and scope."""

    def __init__(self, store, client: TestClient) -> None:
        self.store = store
        self.api = Api(client, store)
        self.reset()  # the cities and vendors the keys act for exist first
        registry = Registry(store)
        self.tokens: dict[str, str | None] = {}
        for who, spec in WHO.items():
            if spec is None:
                self.tokens[who] = None
                continue
            role, city, vendor = spec
            key, _ = registry.create_api_key(
                TEST_ADMIN, {"role": role, "name": who, "cityId": city, "vendorId": vendor}
            )
            self.tokens[who] = key

    def reset(self) -> None:
        import_bundle(self.store, world(), replace=True)
        # revokeApiKey needs a key of its own to revoke, each time.
        key, record = Registry(self.store).create_api_key(
            TEST_ADMIN, {"role": "VENDOR", "name": "b", "vendorId": "Vendor:b"}
        )
        self.revocable = record["id"]

    def run(self, who: str, c: Call) -> dict:
        variables = {k: (self.revocable if v == "ApiKey:vendor-b-key" else v) for k, v in c.variables.items()}
        data = self.api.as_(self.tokens[who])(c.document, **variables)
        return data[c.mutation]


@pytest.mark.parametrize("c", CALLS, ids=lambda c: c.label)
def test_every_role_is_allowed_or_refused_and_a_refusal_writes_nothing(store, c):
    with TestClient(create_app(store)) as client:
        matrix = Matrix(store, client)
        for who in WHO:
            if who in c.allowed:
                continue
            before = snapshot(store)
            errors = matrix.run(who, c)["errors"]
            expected = "UNAUTHENTICATED" if who == "anonymous" else "FORBIDDEN"
            assert errors and {e["code"] for e in errors} == {expected}, (who, errors)
            assert errors[0]["field"], (who, errors)  # the refusal names the field
            assert snapshot(store) == before, f"{who}'s refused {c.label} changed the registry"
        for who in sorted(c.allowed):
            matrix.reset()
            errors = matrix.run(who, c)["errors"]
            assert errors == [], (who, c.label, errors)


def test_cross_tenant_attempts_name_what_they_reached_for(api, store):
    import_bundle(store, world())
    vendor_a = api.key("VENDOR", vendor="Vendor:a")
    tampere = api.key("CITY", city=T)
    retire = 'mutation { retireService(id: "Service:b") { errors { code field message } } }'
    assert vendor_a(retire)["retireService"]["errors"] == [
        {
            "code": "FORBIDDEN",
            "field": "id",
            "message": "Vendor:a may act on its own offerings only, not Vendor:b",
        }
    ]
    start = 'mutation { startPilot(id: "Pilot:h-proposed") { errors { code field message } } }'
    assert tampere(start)["startPilot"]["errors"] == [
        {"code": "FORBIDDEN", "field": "id", "message": f"{T} may act on its own city or region, not on {H}"}
    ]


def test_the_actor_of_a_decision_and_of_every_change_comes_from_the_credentials(api, store):
    import_bundle(store, world())
    procurement = api.key("PROCUREMENT", city=T)
    decided = procurement(
        """mutation($input: RecordDecisionInput!) { recordDecision(input: $input) {
             decision { id decidedBy } errors { code } } }""",
        input={"pilotId": "Pilot:t-ended", **DECISION, "decidedBy": "Procurement office"},
    )["recordDecision"]
    assert (
        decided["errors"] == [] and decided["decision"]["decidedBy"] == "Procurement office"
    )  # a display name
    changes = api("{ changes(first: 100) { edges { node { operation actor { id name role } nodeIds } } } }")
    last = changes["changes"]["edges"][-1]["node"]
    assert last["operation"] == "recordDecision"
    assert last["actor"]["role"] == "PROCUREMENT" and last["actor"]["id"].startswith("ApiKey:")
    assert last["actor"]["name"] == "PROCUREMENT City:tampere"  # the key's name, not the client's text
    assert decided["decision"]["id"] in last["nodeIds"] and "Pilot:t-ended" in last["nodeIds"]


def test_a_check_that_was_skipped_is_a_bug_not_a_write(store):
    """The guard under every use case: a journalled graph refuses to write before `authorize`."""
    from rolemap.graph.access import Graph, Journal, PermissionNotChecked
    from rolemap.registry import OPERATIONS

    def work(tx):
        g = Graph(tx.run, Journal(Actor("x", "x", Role.ADMIN), OPERATIONS["createTheme"].rule, "createTheme"))
        g.create("Theme", {"name": "Sneaky"})

    before = snapshot(store)
    with pytest.raises(PermissionNotChecked):
        store.write(work)
    assert snapshot(store) == before


def test_every_mutation_says_who_may_call_it():
    for name, field in schema.graphql_schema.mutation_type.fields.items():
        assert "Who may call: ADMIN" in (field.description or ""), name
