"""Answers a CIO can trust: each symptom found by using the sample as its users would, reproduced on
the sample or on a small registry built here, and shown fixed.

- Lifecycles: a retired service, an ended use or a superseded decision never counts as current; every
  analysis answers as of a day (`asOf`, today by default).
- Provenance: a pilot is about the capabilities of the services it trials, or those it targets; never
  those its needs require.
- Complements are not duplicates.
- Prior art: a text-only plan, a Finnish or Swedish word, a feature only one earlier pilot has.
- Regions and due dates; the smaller defects; facets.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from rolemap.bundle import import_bundle
from rolemap.seed import default_seed_dir, seed_bundle

ERRORS = "errors { code field message }"
TODAY = datetime.now(UTC).date()


@pytest.fixture
def sample(api, store):
    import_bundle(store, seed_bundle(default_seed_dir()))
    return api


def bundle(nodes: dict, rels: dict) -> dict:
    return {"format": "rolemap-bundle", "version": 1, "nodes": nodes, "relationships": rels}


def role_cells(api, city: str, capability: str, **args) -> list[dict]:
    extra = "".join(f", {k}: {v}" for k, v in args.items())
    rows = api(
        f'{{ roleMap(cityId: "{city}"{extra}) {{ rows {{ capability {{ id }} stance '
        "cells { vendor { id } role services { id } } } } }"
    )["roleMap"]["rows"]
    return next((r for r in rows if r["capability"]["id"] == capability), {"cells": [], "stance": None})


# Lifecycles -------------------------------------------------------------------------------------


def test_a_retired_service_is_not_in_use_under_the_stance_that_excluded_it(api, store):
    """The role map showed a RETIRED job-matching service as IN_USE under an EXCLUDE stance."""
    nodes = {
        "City": [{"id": "City:t", "name": "T", "kind": "MUNICIPALITY"}],
        "Capability": [{"id": "Capability:jobs", "name": "Job matching"}],
        "Vendor": [{"id": "Vendor:j", "name": "J"}],
        "Service": [
            {
                "id": "Service:j",
                "name": "Jobs app",
                "lifecycle": "RETIRED",
                "retiredAt": "2017-12-31T00:00:00Z",
            }
        ],
    }
    rels = {
        "OFFERS": [{"src": "Vendor:j", "dst": "Service:j"}],
        "HAS_CAPABILITY": [{"src": "Service:j", "dst": "Capability:jobs"}],
        "USES": [{"src": "City:t", "dst": "Service:j", "since": "2016-01-01"}],
        "STANCE": [
            {
                "src": "City:t",
                "dst": "Capability:jobs",
                "ring": "EXCLUDE",
                "since": "2017-04-20T09:00:00Z",
                "rationale": "National services match jobs",
            }
        ],
    }
    import_bundle(store, bundle(nodes, rels))
    row = role_cells(api, "City:t", "Capability:jobs")
    assert row["stance"] == "EXCLUDE"
    assert all(c["role"] != "IN_USE" for c in row["cells"]), row
    # History stays queryable: in 2017, before it was retired (and before the stance), it was in use.
    then = role_cells(api, "City:t", "Capability:jobs", asOf='"2017-03-01"')
    assert (
        then["stance"] is None
        and {"vendor": {"id": "Vendor:j"}, "role": "IN_USE", "services": [{"id": "Service:j"}]}
        in then["cells"]
    )


def test_an_ended_use_does_not_cover_a_need_today_but_did_then(sample):
    """Coverage counted a use that ended in 2017 as covering a need (Tampere's wellbeing
    self-check, used 2016-11-01 until 2017-10-31)."""
    query = 'query($d: Date) { coverageGaps(cityId: "City:tampere", asOf: $d) { need { id } missingCapabilities { id } } }'
    now = {
        g["need"]["id"]: {c["id"] for c in g["missingCapabilities"]} for g in sample(query)["coverageGaps"]
    }
    assert "Capability:wellbeing-self-assessment" in now.get("Need:tampere-lifestyle-diseases", set())
    then = {g["need"]["id"] for g in sample(query, d="2017-06-01")["coverageGaps"]}
    assert "Need:tampere-lifestyle-diseases" not in then


def test_a_city_records_that_it_stopped_using_a_service(api, store):
    nodes = {
        "City": [{"id": "City:t", "name": "T", "kind": "MUNICIPALITY"}],
        "Capability": [{"id": "Capability:c", "name": "C"}],
        "Need": [{"id": "Need:n", "title": "N", "status": "OPEN"}],
        "Vendor": [{"id": "Vendor:v", "name": "V"}],
        "Service": [{"id": "Service:s", "name": "S", "lifecycle": "ACTIVE"}],
    }
    rels = {
        "HAS_NEED": [{"src": "City:t", "dst": "Need:n"}],
        "REQUIRES": [{"src": "Need:n", "dst": "Capability:c"}],
        "OFFERS": [{"src": "Vendor:v", "dst": "Service:s"}],
        "HAS_CAPABILITY": [{"src": "Service:s", "dst": "Capability:c"}],
        "USES": [{"src": "City:t", "dst": "Service:s", "since": "2020-01-01", "status": "VERIFIED"}],
    }
    import_bundle(store, bundle(nodes, rels))
    gaps = '{ coverageGaps(cityId: "City:t") { need { id } } }'
    assert api(gaps)["coverageGaps"] == []
    stop = (
        'mutation($u: Date) { stopUsingService(cityId: "City:t", serviceId: "Service:s", until: $u) { '
        + ERRORS
        + " } }"
    )
    assert [e["code"] for e in api(stop, u="2019-01-01")["stopUsingService"]["errors"]] == [
        "INVALID_DATE_RANGE"
    ]
    assert api(stop, u="2024-06-30")["stopUsingService"]["errors"] == []
    assert [e["code"] for e in api(stop, u="2024-07-01")["stopUsingService"]["errors"]] == ["INVALID_STATE"]
    edge = api('{ city(id: "City:t") { services { edges { since until node { id } } } } }')["city"][
        "services"
    ]["edges"]
    assert edge == [{"since": "2020-01-01", "until": "2024-06-30", "node": {"id": "Service:s"}}]  # on record
    assert api(gaps)["coverageGaps"] == [{"need": {"id": "Need:n"}}]
    assert api('{ coverageGaps(cityId: "City:t", asOf: "2023-01-01") { need { id } } }')["coverageGaps"] == []
    # Using it again starts a new period.
    again = f'mutation {{ useService(cityId: "City:t", serviceId: "Service:s", since: "2025-01-01") {{ {ERRORS} }} }}'
    assert api(again)["useService"]["errors"] == []
    assert api(gaps)["coverageGaps"] == []


# Provenance -------------------------------------------------------------------------------------


def test_pilot_reasons_name_only_capabilities_their_services_have(sample):
    """Pilot overlap reasons said "both have capability Electronic booking": a requirement of the
    chatbot pilot's need, not a capability of any service either pilot trials."""
    overlaps = sample(
        '{ overlaps(scope: {cityId: "City:tampere"}, kind: PILOT, minScore: 0, first: 100) {'
        " left { id } right { id } reasons { kind detail } } }"
    )["overlaps"]
    details = [r["detail"] for o in overlaps for r in o["reasons"] if r["kind"] == "capability"]
    assert details, "the chatbot pilots share the conversational-assistant capability"
    assert not any("Electronic booking" in d or "Identity" in d for d in details), details


def test_a_drop_suggests_exclude_only_for_what_the_pilot_was_about(api, store):
    """After one chatbot DROP, the radar suggested EXCLUDE for Electronic booking and Identity
    (what the pilot's need requires) too."""
    nodes = {
        "City": [{"id": "City:t", "name": "T", "kind": "MUNICIPALITY"}],
        "Capability": [
            {"id": "Capability:chat", "name": "Chat"},
            {"id": "Capability:booking", "name": "Booking"},
            {"id": "Capability:id", "name": "Identity"},
            {"id": "Capability:faq", "name": "FAQ"},
        ],
        "Need": [{"id": "Need:n", "title": "Digital first", "status": "OPEN"}],
        "Service": [{"id": "Service:bot", "name": "Bot", "lifecycle": "ACTIVE"}],
        "Pilot": [
            {
                "id": "Pilot:p",
                "title": "Chatbot",
                "status": "DECIDED",
                "startedAt": "2024-01-01T00:00:00Z",
                "endedAt": "2024-06-01T00:00:00Z",
            }
        ],
        "Decision": [
            {
                "id": "Decision:d",
                "outcome": "DROP",
                "rationale": "Residents did not use it at all",
                "lessons": ["Ask first"],
                "decidedBy": "CIO",
                "decidedAt": "2024-07-01T00:00:00Z",
            }
        ],
    }
    rels = {
        "HAS_NEED": [{"src": "City:t", "dst": "Need:n"}],
        "REQUIRES": [
            {"src": "Need:n", "dst": c} for c in ("Capability:chat", "Capability:booking", "Capability:id")
        ],
        "HAS_CAPABILITY": [{"src": "Service:bot", "dst": "Capability:chat"}],
        "RUNS": [{"src": "City:t", "dst": "Pilot:p"}],
        "FOR_NEED": [{"src": "Pilot:p", "dst": "Need:n"}],
        "TRIALS": [{"src": "Pilot:p", "dst": "Service:bot"}],
        "TARGETS": [{"src": "Pilot:p", "dst": "Capability:faq"}],  # what it was about, besides its service
        "DECIDED": [{"src": "Pilot:p", "dst": "Decision:d"}],
    }
    import_bundle(store, bundle(nodes, rels))
    radar = api('{ radar(cityId: "City:t") { capability { id } suggestedRing } }')["radar"]
    assert {e["capability"]["id"]: e["suggestedRing"] for e in radar} == {
        "Capability:chat": "EXCLUDE",
        "Capability:faq": "EXCLUDE",
    }
    targets = api('{ pilot(id: "Pilot:p") { capabilities { edges { node { id } } } } }')
    assert targets["pilot"]["capabilities"]["edges"] == [{"node": {"id": "Capability:faq"}}]


# Complements ------------------------------------------------------------------------------------


def complements_registry(complementary: bool) -> dict:
    nodes = {
        "City": [{"id": "City:t", "name": "T", "kind": "MUNICIPALITY"}],
        "Capability": [
            {"id": "Capability:booking", "name": "Booking"},
            {"id": "Capability:id", "name": "Identification"},
        ],
        "Theme": [{"id": "Theme:w", "name": "Welfare"}],
        "Need": [{"id": "Need:n", "title": "Digital welfare services", "status": "OPEN"}],
        "Service": [
            {"id": "Service:book", "name": "Health centre online services", "lifecycle": "ACTIVE"},
            {"id": "Service:ident", "name": "Health centre online services login", "lifecycle": "ACTIVE"},
        ],
    }
    rels = {
        "HAS_CAPABILITY": [
            {"src": "Service:book", "dst": "Capability:booking"},
            {"src": "Service:ident", "dst": "Capability:id"},
        ],
        "ADDRESSES": [
            {"src": s, "dst": d} for s in ("Service:book", "Service:ident") for d in ("Need:n", "Theme:w")
        ],
        "USES": [
            {"src": "City:t", "dst": s, "since": "2020-01-01"} for s in ("Service:book", "Service:ident")
        ],
    }
    if complementary:
        rels["COMPLEMENTS"] = [{"src": "Capability:booking", "dst": "Capability:id"}]
    return bundle(nodes, rels)


@pytest.mark.parametrize("complementary", [False, True])
def test_services_that_complement_each_other_are_not_duplicates(api, store, complementary):
    import_bundle(store, complements_registry(complementary))
    query = '{ overlaps(scope: {cityId: "City:t"}, kind: SERVICE, minScore: 0) { score reasons { kind detail weight } } }'
    found = api(query)["overlaps"]
    assert len(found) == 1
    pair = found[0]
    assert round(sum(r["weight"] for r in pair["reasons"]), 4) == pair["score"]
    if complementary:
        assert pair["score"] < 0.3  # under overlaps' default threshold
        complement = next(r for r in pair["reasons"] if r["kind"] == "complement")
        assert "Booking and Identification complement each other" in complement["detail"]
        default = api('{ overlaps(scope: {cityId: "City:t"}, kind: SERVICE) { score } }')["overlaps"]
        assert default == []
    else:
        assert pair["score"] >= 0.3  # same need, theme, place and wording: flagged without complements


def test_an_admin_declares_complements_both_ways(api, store):
    import_bundle(store, complements_registry(False))
    out = api(
        'mutation { updateCapability(id: "Capability:id", input: {complementIds: ["Capability:booking"]}) '
        "{ capability { complements { edges { node { id } } } } errors { code } } }"
    )["updateCapability"]
    assert out["errors"] == [] and out["capability"]["complements"]["edges"] == [
        {"node": {"id": "Capability:booking"}}
    ]
    back = api('{ capability(id: "Capability:booking") { complements { edges { node { id } } } } }')
    assert back["capability"]["complements"]["edges"] == [{"node": {"id": "Capability:id"}}]
    found = api('{ overlaps(scope: {cityId: "City:t"}, kind: SERVICE) { score } }')["overlaps"]
    assert found == []


# Prior art --------------------------------------------------------------------------------------

SIMILAR = (
    "query($d: PilotDraftInput!) { similarPilots(draft: $d) { score pilot { id } reasons { kind detail } } }"
)
CHATBOT_PILOTS = {
    "Pilot:tampere-welfare-chatbot",
    "Pilot:ylojarvi-customer-service-chatbot",
    "Pilot:oulu-oulubot-first-bots",
}


def test_a_plan_described_only_in_words_finds_the_chatbot_pilots(sample):
    """A text-only plan found nothing: its best score was 0.096, under the default threshold."""
    found = sample(SIMILAR, d={"title": "Chatbot for elderly care questions"})["similarPilots"]
    assert {m["pilot"]["id"] for m in found} >= CHATBOT_PILOTS
    assert all(m["score"] >= 0.2 for m in found)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("botti", "Pilot:oulu-oulubot-first-bots"),
        ("Tammerfors chatbot", "Pilot:tampere-welfare-chatbot"),  # a place, in Swedish
        ("Kotihoidon videokäynnit", "Pilot:tampere-kipina-remote-care"),
    ],
)
def test_finnish_and_swedish_words_find_prior_art(sample, words, expected):
    found = [m["pilot"]["id"] for m in sample(SIMILAR, d={"title": words})["similarPilots"]]
    assert expected in found, found


@pytest.mark.parametrize(
    ("words", "expected"),
    [("botti", "Pilot:tampere-welfare-chatbot"), ("Kotihoidon", "Pilot:tampere-kipina-remote-care")],
)
def test_a_finnish_search_finds_finnish_text(sample, words, expected):
    found = sample("query($s: String) { pilots(search: $s) { edges { node { id } } } }", s=words)
    assert expected in [e["node"]["id"] for e in found["pilots"]["edges"]]
    cities = sample('{ cities(search: "Tammerfors") { edges { node { id } } } }')["cities"]["edges"]
    assert {"node": {"id": "City:tampere"}} in cities


def test_a_draft_finds_the_only_earlier_pilot_that_shares_its_service(api, store):
    """Pairs within the corpus need a feature held by two items; a draft needs only one."""
    nodes = {
        "City": [{"id": "City:t", "name": "T", "kind": "MUNICIPALITY"}],
        "Service": [{"id": "Service:s", "name": "Kiosk", "lifecycle": "ACTIVE"}],
        "Capability": [{"id": "Capability:k", "name": "Kiosk"}],
        "Pilot": [{"id": "Pilot:p", "title": "Kiosk trial", "status": "PROPOSED"}],
    }
    rels = {
        "RUNS": [{"src": "City:t", "dst": "Pilot:p"}],
        "TRIALS": [{"src": "Pilot:p", "dst": "Service:s"}],
        "HAS_CAPABILITY": [{"src": "Service:s", "dst": "Capability:k"}],
    }
    import_bundle(store, bundle(nodes, rels))
    found = api(SIMILAR, d={"cityId": "City:t", "serviceIds": ["Service:s"]})["similarPilots"]
    assert [m["pilot"]["id"] for m in found] == ["Pilot:p"]


# Regions and due dates --------------------------------------------------------------------------


def test_a_region_lists_its_members_pilots_needs_and_services(sample):
    """pilots(cityId: <a region>) returned 0: a region's lists are its members'."""
    members = sample('{ city(id: "City:tampere-region") { members(first: 100) { edges { node { id } } } } }')
    cities = ["City:tampere-region", *(e["node"]["id"] for e in members["city"]["members"]["edges"])]
    assert "City:tampere" in cities and "City:ylojarvi" in cities
    for field in ("pilots", "needs", "services"):
        query = (
            f"query($c: ID) {{ {field}(cityId: $c, first: 100) {{ totalCount edges {{ node {{ id }} }} }} }}"
        )
        region = sample(query, c="City:tampere-region")[field]
        union = {e["node"]["id"] for c in cities for e in sample(query, c=c)[field]["edges"]}
        assert {e["node"]["id"] for e in region["edges"]} == union and region["totalCount"] == len(union) > 0


def test_a_pilot_with_no_end_date_becomes_due_after_the_longest_a_pilot_may_run(api, store):
    nodes = {
        "City": [{"id": "City:y", "name": "Y", "kind": "MUNICIPALITY"}],
        "Pilot": [
            {
                "id": "Pilot:old",
                "title": "Since 2016",
                "status": "RUNNING",
                "startDate": "2016-01-01",
                "startedAt": "2016-01-01T00:00:00Z",
            },
            {
                "id": "Pilot:new",
                "title": "Since last month",
                "status": "RUNNING",
                "startDate": TODAY.replace(day=1).isoformat(),
                "startedAt": "2026-01-01T00:00:00Z",
            },
        ],
    }
    import_bundle(store, bundle(nodes, {"RUNS": [{"src": "City:y", "dst": p["id"]} for p in nodes["Pilot"]]}))
    queue = api(
        '{ pilotsAwaitingDecision(cityId: "City:y") { edges { node { pilot { id } reason since } } } }'
    )
    assert [e["node"] for e in queue["pilotsAwaitingDecision"]["edges"]] == [
        {"pilot": {"id": "Pilot:old"}, "reason": "NO_END_DATE", "since": "2018-01-01"}
    ]


# Smaller defects --------------------------------------------------------------------------------


def test_registering_a_vendor_again_is_idempotent_by_business_id(api):
    register = (
        "mutation($i: RegisterVendorInput!) { registerVendor(input: $i) { vendor { id } " + ERRORS + " } }"
    )
    first = api(register, i={"name": "Kiosks Oy", "businessId": "1234567-8"})["registerVendor"]
    again = api(register, i={"name": "Kiosks Oy", "businessId": "1234567-8"})["registerVendor"]
    assert again == first and first["errors"] == []
    other = api(register, i={"name": "Someone Else Oy", "businessId": "1234567-8"})["registerVendor"]
    assert [e["code"] for e in other["errors"]] == ["DUPLICATE"]
    assert first["vendor"]["id"] in other["errors"][0]["message"]  # names the existing id


def test_the_decisions_csv_has_results_and_the_supersede_chain(sample):
    rows = list(csv.DictReader(io.StringIO(sample.client.get("/decisions.csv?cityId=City:grand-paris").text)))
    assert {"results", "supersedes", "superseded_by"} <= set(rows[0])
    chain = {r["decision_id"]: (r["supersedes"], r["superseded_by"]) for r in rows}
    superseding = [d for d, (older, _) in chain.items() if older]
    assert superseding and all(chain[chain[d][0]][1] == d for d in superseding)


def test_cli_commands_work_while_the_server_holds_the_embedded_store(tmp_path):
    from .processes import Server
    from .test_cli import rolemap

    env = {"ROLEMAP_DB": str(tmp_path / "db.lbug")}
    assert rolemap("seed", env=env).returncode == 0
    created = rolemap("keys", "create", "--role", "ADMIN", "--name", "ops", env=env)
    key = created.stdout.strip().splitlines()[-1]
    with Server(env) as server:
        server.wait_ready()
        env_server = {**env, "ROLEMAP_PORT": str(server.port)}
        report = rolemap("report", "--city", "City:tampere", env=env_server)
        assert report.returncode == 0, report.stderr
        assert report.stdout.startswith("# Pilot close-out: Tampere")
        refused = rolemap("export", str(tmp_path / "x.json"), env=env_server)
        assert refused.returncode == 2 and "ROLEMAP_API_KEY" in refused.stderr
        exported = rolemap("export", str(tmp_path / "x.json"), env={**env_server, "ROLEMAP_API_KEY": key})
        assert exported.returncode == 0, exported.stderr
        assert '"format": "rolemap-bundle"' in (tmp_path / "x.json").read_text()


# Facets -----------------------------------------------------------------------------------------


def test_lists_count_their_items_per_filter_value(sample):
    data = sample(
        '{ pilots(cityId: "City:tampere-region") { totalCount facets { field values { value count node { id } } } } }'
    )["pilots"]
    facets = {f["field"]: {v["value"]: v["count"] for v in f["values"]} for f in data["facets"]}
    assert set(facets) == {"cityId", "status", "outcome", "vendorId", "needId"}
    assert sum(facets["status"].values()) == data["totalCount"]  # each pilot has one status
    assert facets["cityId"]["City:tampere"] > 0 and facets["cityId"]["City:grand-paris"] > 0  # own filter off
    services = sample(
        "{ services(lifecycle: ACTIVE) { totalCount facets { field values { value count } } } }"
    )
    lifecycle = next(f for f in services["services"]["facets"] if f["field"] == "lifecycle")
    assert {v["value"] for v in lifecycle["values"]} == {"ACTIVE", "RETIRED"}
    needs = sample("{ needs { facets { field } } }")["needs"]["facets"]
    assert [f["field"] for f in needs] == ["cityId", "themeId", "status"]


def test_no_analysis_of_the_sample_shows_a_retired_service_or_an_ended_use(sample):
    """Across every city, today: no retired service in any answer, and no ended use as IN_USE.
    Asked as of a day before those ends, they are back."""
    services = sample("{ services(first: 100) { edges { node { id lifecycle retiredAt } } } }")["services"][
        "edges"
    ]
    retired = {e["node"]["id"] for e in services if e["node"]["lifecycle"] == "RETIRED"}
    assert retired
    cities = [
        e["node"]["id"] for e in sample("{ cities(first: 100) { edges { node { id } } } }")["cities"]["edges"]
    ]
    ended = {
        (c, e["node"]["id"])
        for c in cities
        for e in sample("query($c: ID!) { city(id: $c) { services { edges { until node { id } } } } }", c=c)[
            "city"
        ]["services"]["edges"]
        if e["until"]
    }
    assert ended
    seen: set[str] = set()
    for city in cities:
        rows = sample(
            "query($c: ID!) { roleMap(cityId: $c) { rows { cells { role services { id } } } } }", c=city
        )
        for cell in (c for r in rows["roleMap"]["rows"] for c in r["cells"]):
            ids = {s["id"] for s in cell["services"]}
            seen |= ids
            if cell["role"] == "IN_USE":
                assert not {(city, s) for s in ids} & ended, (city, cell)
        gaps = sample("query($c: ID!) { coverageGaps(cityId: $c) { candidates { id } } }", c=city)[
            "coverageGaps"
        ]
        seen |= {s["id"] for g in gaps for s in g["candidates"]}
    overlaps = sample(
        "{ overlaps(scope: {all: true}, kind: SERVICE, minScore: 0, first: 500) { left { id } right { id } } }"
    )
    seen |= {o[side]["id"] for o in overlaps["overlaps"] for side in ("left", "right")}
    assert seen and not seen & retired, seen & retired
    back_then = sample(
        '{ roleMap(cityId: "City:tampere", asOf: "2017-06-01") { rows { cells { role services { id } } } } }'
    )["roleMap"]["rows"]
    in_use = {s["id"] for r in back_then for c in r["cells"] if c["role"] == "IN_USE" for s in c["services"]}
    assert {"Service:example-wellbeing-self-check", "Service:example-booking-sms-reminders"} <= in_use
