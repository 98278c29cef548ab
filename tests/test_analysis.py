"""Overlaps, prior art, coverage gaps, the role map and the radar through the API, on a hand-built
registry (every backend). Names scored for text are either identical or share no word, so the
expected scores do not depend on the tokeniser's stemming rules."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from rolemap.analysis.index import NODE_LABELS, RELS, RegistryIndex
from rolemap.bundle import import_bundle

from .conftest import serve_api

ERRORS = "errors { code field message }"
BUILD_STATEMENTS = len(NODE_LABELS) + len(RELS) + 2
"""One per label and relationship type, and the registry head read before and after them."""


def head(store) -> int:
    """What reading the registry head costs a request that analyses: one statement, none on the
    embedded store (this process is its only writer and knows it)."""
    return 0 if store.sole_writer else 1


def registry() -> dict:
    def city(id_, kind="MUNICIPALITY"):
        return {"id": id_, "name": id_.split(":")[1].title(), "kind": kind}

    return {
        "format": "rolemap-bundle",
        "version": 1,
        "nodes": {
            "City": [city("City:region", "REGION"), city("City:a"), city("City:b"), city("City:far")],
            "Capability": [
                {"id": "Capability:chat", "name": "Chatbot"},
                {"id": "Capability:booking", "name": "Booking"},
                {"id": "Capability:kiosk", "name": "Kiosk"},
            ],
            "Theme": [{"id": "Theme:elderly", "name": "Elderly care"}],
            "Vendor": [{"id": f"Vendor:v{i}", "name": f"Vendor {i}"} for i in (1, 2, 3)],
            "Service": [
                {"id": "Service:bot1", "name": "Health chatbot", "lifecycle": "ACTIVE"},
                {"id": "Service:bot2", "name": "Health chatbot", "lifecycle": "ACTIVE"},
                {"id": "Service:bot3", "name": "Parking assistant", "lifecycle": "ACTIVE"},
                {"id": "Service:kiosk", "name": "Library kiosk", "lifecycle": "ACTIVE"},
            ],
            "Need": [
                {"id": "Need:a-care", "title": "Advice at night", "status": "OPEN"},
                {"id": "Need:a-book", "title": "Book appointments", "status": "OPEN"},
            ],
            "Pilot": [
                {"id": "Pilot:a-bot", "title": "Health chatbot pilot", "status": "RUNNING"},
                {"id": "Pilot:far-bot", "title": "Health chatbot pilot", "status": "DECIDED"},
            ],
            "Decision": [
                {
                    "id": "Decision:far-bot-1",
                    "outcome": "DROP",
                    "rationale": "Residents preferred the phone service at night",
                    "lessons": ["Ask residents first"],
                    "decidedBy": "Far CIO",
                    "decidedAt": "2025-05-01T00:00:00Z",
                }
            ],
        },
        "relationships": {
            "PART_OF": [{"src": "City:a", "dst": "City:region"}, {"src": "City:b", "dst": "City:region"}],
            "OFFERS": [
                {"src": "Vendor:v1", "dst": "Service:bot1"},
                {"src": "Vendor:v2", "dst": "Service:bot2"},
                {"src": "Vendor:v2", "dst": "Service:bot3"},
                {"src": "Vendor:v3", "dst": "Service:kiosk"},
            ],
            "HAS_CAPABILITY": [
                {"src": "Service:bot1", "dst": "Capability:chat"},
                {"src": "Service:bot2", "dst": "Capability:chat"},
                {"src": "Service:bot3", "dst": "Capability:chat"},
                {"src": "Service:kiosk", "dst": "Capability:kiosk"},
            ],
            "USES": [
                {"src": "City:a", "dst": "Service:bot1", "since": "2024-01-01"},
                {"src": "City:b", "dst": "Service:bot2"},
                {"src": "City:a", "dst": "Service:kiosk"},
            ],
            "HAS_NEED": [{"src": "City:a", "dst": "Need:a-care"}, {"src": "City:a", "dst": "Need:a-book"}],
            "REQUIRES": [
                {"src": "Need:a-care", "dst": "Capability:chat"},
                {"src": "Need:a-book", "dst": "Capability:booking"},
            ],
            "IN_THEME": [{"src": "Need:a-care", "dst": "Theme:elderly"}],
            "RUNS": [{"src": "City:a", "dst": "Pilot:a-bot"}, {"src": "City:far", "dst": "Pilot:far-bot"}],
            "FOR_NEED": [{"src": "Pilot:a-bot", "dst": "Need:a-care"}],
            "TRIALS": [
                {"src": "Pilot:a-bot", "dst": "Service:bot1"},
                {"src": "Pilot:far-bot", "dst": "Service:bot2"},
            ],
            "DECIDED": [{"src": "Pilot:far-bot", "dst": "Decision:far-bot-1"}],
        },
    }


@pytest.fixture
def graph_api(store):
    import_bundle(store, registry())
    yield from serve_api(store)


OVERLAPS = """query($scope: OverlapScope!, $kind: OverlapKind!, $min: Float) {
  overlaps(scope: $scope, kind: $kind, minScore: $min) {
    score left { id } right { id } reasons { kind detail weight } } }"""


def pairs(data) -> list[tuple[str, str, float]]:
    return [(o["left"]["id"], o["right"]["id"], o["score"]) for o in data["overlaps"]]


def test_service_overlaps_in_a_region_with_exact_scores(graph_api):
    data = graph_api(OVERLAPS, scope={"regionId": "City:region"}, kind="SERVICE", min=0.0)
    # bot1 (used in a) and bot2 (used in b, piloted in far): same capability, same name, same region.
    assert pairs(data) == [("Service:bot1", "Service:bot2", 0.65)]  # 0.40 capability, 0.20 text, 0.05 region
    reasons = data["overlaps"][0]["reasons"]
    assert round(sum(r["weight"] for r in reasons), 4) == data["overlaps"][0]["score"]
    assert {r["kind"] for r in reasons} == {"capability", "text", "place"}
    today = datetime.now(UTC).date().isoformat()
    assert next(r for r in reasons if r["kind"] == "place")["detail"] == f"same region: Region as of {today}"


def test_no_overlap_where_capabilities_and_text_differ(graph_api):
    data = graph_api(OVERLAPS, scope={"cityId": "City:a"}, kind="SERVICE", min=0.0)
    assert pairs(data) == []  # bot1 and the kiosk share nothing
    data = graph_api(OVERLAPS, scope={"all": True}, kind="SERVICE", min=0.0)
    assert ("Service:bot1", "Service:kiosk") not in {(a, b) for a, b, _ in pairs(data)}


def test_cross_city_pilot_duplicates(graph_api):
    data = graph_api(OVERLAPS, scope={"cityId": "City:a"}, kind="PILOT", min=0.3)
    assert pairs(data) == [("Pilot:a-bot", "Pilot:far-bot", 0.65)]
    kinds = {r["kind"]: r for r in data["overlaps"][0]["reasons"]}
    assert kinds["capability"]["weight"] == 0.4
    assert kinds["text"]["weight"] == 0.2
    assert kinds["decision"]["detail"] == (
        "Health chatbot pilot was decided DROP: Residents preferred the phone service at night"
    )


def test_overlap_scope_must_be_exactly_one(graph_api):
    body = graph_api.raw(OVERLAPS, scope={"cityId": "City:a", "all": True}, kind="SERVICE")
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    body = graph_api.raw(OVERLAPS, scope={"regionId": "City:nowhere"}, kind="SERVICE")
    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "scope.regionId"}


SIMILAR = """query($draft: PilotDraftInput!) { similarPilots(draft: $draft) {
  score pilot { id city { id } decision { outcome rationale lessons } } reasons { kind detail } } }"""


def test_a_drop_elsewhere_surfaces_in_similar_pilots(graph_api):
    draft = {"cityId": "City:b", "capabilityIds": ["Capability:chat"], "title": "Health chatbot pilot"}
    matches = graph_api(SIMILAR, draft=draft)["similarPilots"]
    far = next(m for m in matches if m["pilot"]["id"] == "Pilot:far-bot")
    assert far["pilot"]["city"] == {"id": "City:far"}
    assert far["pilot"]["decision"]["outcome"] == "DROP"
    assert far["pilot"]["decision"]["lessons"] == ["Ask residents first"]
    assert any(r["kind"] == "decision" and "DROP" in r["detail"] for r in far["reasons"])
    near = next(m for m in matches if m["pilot"]["id"] == "Pilot:a-bot")
    today = datetime.now(UTC).date().isoformat()
    assert any(r["detail"] == f"same region: Region as of {today}" for r in near["reasons"])
    assert graph_api(SIMILAR, draft={})["similarPilots"] == []


def test_create_pilot_warns_of_similar_pilots_without_blocking(graph_api):
    out = graph_api(
        f"""mutation {{ createPilot(input: {{cityId: "City:b", title: "Health chatbot pilot",
            serviceIds: ["Service:bot2"]}}) {{ pilot {{ id status }} warnings {{ score pilot {{ id }} }} {ERRORS} }} }}"""
    )["createPilot"]
    assert out["errors"] == [] and out["pilot"]["status"] == "PROPOSED"
    assert {w["pilot"]["id"] for w in out["warnings"]} == {"Pilot:a-bot", "Pilot:far-bot"}
    assert all(w["score"] >= 0.3 for w in out["warnings"])
    quiet = graph_api(
        f'mutation {{ createPilot(input: {{cityId: "City:b", title: "Snow ploughing"}}) {{ warnings {{ score }} {ERRORS} }} }}'
    )["createPilot"]
    assert quiet == {"warnings": [], "errors": []}


GAPS = """query { coverageGaps(cityId: "City:a") { need { id } missingCapabilities { id } candidates { id } } }"""


def test_gaps_disappear_when_a_covering_service_is_put_in_use(graph_api):
    assert graph_api(GAPS)["coverageGaps"] == [
        {
            "need": {"id": "Need:a-book"},
            "missingCapabilities": [{"id": "Capability:booking"}],
            "candidates": [],
        }
    ]
    service = graph_api(
        f"""mutation {{ registerService(input: {{vendorId: "Vendor:v3", name: "Booking desk",
            capabilityIds: ["Capability:booking"]}}) {{ service {{ id }} {ERRORS} }} }}"""
    )["registerService"]["service"]["id"]
    assert graph_api(GAPS)["coverageGaps"][0]["candidates"] == [{"id": service}]
    # Used by a neighbour in the same region: the need is covered.
    graph_api(f'mutation {{ useService(cityId: "City:b", serviceId: "{service}") {{ {ERRORS} }} }}')
    assert graph_api(GAPS)["coverageGaps"] == []


ROLE_MAP = """query { roleMap(cityId: "City:a") { city { id } rows { capability { id } stance
  cells { vendor { id } inHouse role outcome services { id } pilots { id } } } } }"""


def cell(data, cap, vendor):
    row = next(r for r in data["roleMap"]["rows"] if r["capability"]["id"] == cap)
    return next((c for c in row["cells"] if (c["vendor"] or {}).get("id") == vendor), None)


def test_role_map_cells_follow_a_pilot_from_running_to_decided(graph_api):
    data = graph_api(ROLE_MAP)
    assert [r["capability"]["id"] for r in data["roleMap"]["rows"]] == [
        "Capability:booking",
        "Capability:chat",
        "Capability:kiosk",
    ]
    assert cell(data, "Capability:chat", "Vendor:v1")["role"] == "IN_USE"
    assert cell(data, "Capability:kiosk", "Vendor:v3")["role"] == "IN_USE"
    assert cell(data, "Capability:chat", "Vendor:v2")["role"] == "OFFERED"  # bot2, bot3: not here

    pilot = graph_api(
        'mutation { createPilot(input: {cityId: "City:a", title: "Parking help", serviceIds: ["Service:bot3"]}) '
        "{ pilot { id } } }"
    )["createPilot"]["pilot"]["id"]
    graph_api(f'mutation {{ startPilot(id: "{pilot}") {{ {ERRORS} }} }}')
    running = cell(graph_api(ROLE_MAP), "Capability:chat", "Vendor:v2")
    assert (running["role"], running["pilots"]) == ("PILOTING", [{"id": pilot}])

    graph_api(f'mutation {{ endPilot(id: "{pilot}") {{ {ERRORS} }} }}')
    graph_api(
        f"""mutation {{ recordDecision(input: {{pilotId: "{pilot}", outcome: DROP, rationale: "Nobody used it in three months",
            lessons: ["Parking is not a chatbot job"], decidedBy: "CIO"}}) {{ {ERRORS} }} }}"""
    )
    decided = cell(graph_api(ROLE_MAP), "Capability:chat", "Vendor:v2")
    assert (decided["role"], decided["outcome"], decided["services"]) == (
        "DECIDED",
        "DROP",
        [{"id": "Service:bot3"}],
    )


def test_role_map_csv(graph_api):
    response = graph_api.client.get("/rolemap/City:a.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["capability", "capability_id", "stance"]
    assert "Vendor 1" in rows[0]
    chat = next(r for r in rows if r[1] == "Capability:chat")
    assert chat[rows[0].index("Vendor 1")] == "IN_USE"
    assert graph_api.client.get("/rolemap/City:nowhere.csv").status_code == 404


STANCE = """mutation($ring: Ring!, $why: String) { setStance(cityId: "City:a", capabilityId: "Capability:chat",
  ring: $ring, rationale: $why) { stance { ring rationale } capability { id } errors { code field } } }"""
RADAR = """query { radar(cityId: "City:a") { capability { id } ring rationale history { ring rationale }
  suggestedRing suggestedFrom { id outcome } } }"""


def test_radar_keeps_every_change_and_suggests_from_decisions(graph_api):
    assert graph_api(STANCE, ring="TRIAL", why=None)["setStance"]["errors"] == []
    assert graph_api(STANCE, ring="ADOPT", why="Works at night")["setStance"]["stance"] == {
        "ring": "ADOPT",
        "rationale": "Works at night",
    }
    refused = graph_api(STANCE, ring="EXCLUDE", why=None)["setStance"]
    assert refused["errors"] == [{"code": "REQUIRED", "field": "rationale"}]
    entry = next(e for e in graph_api(RADAR)["radar"] if e["capability"]["id"] == "Capability:chat")
    assert entry["ring"] == "ADOPT" and entry["rationale"] == "Works at night"
    assert [h["ring"] for h in entry["history"]] == ["ADOPT", "TRIAL"]
    assert entry["suggestedRing"] is None  # a's pilots have no decision yet

    pilot = "Pilot:a-bot"
    graph_api(f'mutation {{ endPilot(id: "{pilot}") {{ {ERRORS} }} }}')
    decision = graph_api(
        f"""mutation {{ recordDecision(input: {{pilotId: "{pilot}", outcome: DEVELOP, rationale: "Residents use it every night",
            lessons: ["Night use is real"], nextSteps: ["Procure"], decidedBy: "CIO"}}) {{ decision {{ id }} }} }}"""
    )["recordDecision"]["decision"]["id"]
    entry = next(e for e in graph_api(RADAR)["radar"] if e["capability"]["id"] == "Capability:chat")
    assert entry["suggestedRing"] == "ADOPT"  # DEVELOP, and a service with it is in use
    assert entry["suggestedFrom"] == [{"id": decision, "outcome": "DEVELOP"}]


def test_analyses_cost_a_fixed_number_of_statements(graph_api):
    query = """{ overlaps(scope: {all: true}, kind: SERVICE, minScore: 0) { left { id } right { id } }
                 coverageGaps(cityId: "City:a") { need { id } } }"""
    # The index was built at start (in the background: see the next test);
    # a request reads the head, then one statement per label of the objects returned (Service, Need).
    assert graph_api.statements(query) == head(graph_api.store) + 2
    assert graph_api.statements(query) == head(graph_api.store) + 2
    graph_api('mutation { createTheme(input: {name: "New"}) { errors { code } } }')
    # After a write the index follows the change log: the change records, the nodes they touched
    # (one statement per label: here, Theme), the head again; not a rebuild. (Counted by hand:
    # `statements` has the read model catch up first.)
    before = graph_api.store.statement_count
    graph_api.as_(None)(query)
    assert graph_api.store.statement_count - before == head(graph_api.store) + 3 + 2


def test_the_index_builds_in_a_fixed_number_of_statements(store):
    """One statement per label and relationship type, and the head read around them."""
    import_bundle(store, registry())
    before = store.statement_count
    index = RegistryIndex.load(store)
    assert store.statement_count - before == BUILD_STATEMENTS
    assert index.revision == store.head()


def test_overlaps_build_only_the_corpus_of_their_kind(store):
    """A corpus is built on first use, and costs memory and time at scale (the vendors' took 8 s
    at M): asking for service overlaps must not build the pilots' or the vendors' too."""
    from rolemap.analysis import queries
    from rolemap.web.views import today

    import_bundle(store, registry())
    index = RegistryIndex.load(store)
    view = index.at(today())
    built = lambda: sorted(kind for kind, _, _ in index._corpora)  # noqa: E731
    for kind, expected in (("SERVICE", ["SERVICE"]), ("VENDOR", ["SERVICE", "VENDOR"])):
        queries.overlaps(view, None, kind, 0.0, 10)
        assert built() == expected


def test_role_map_names_its_vendors_from_the_index(graph_api):
    query = '{ roleMap(cityId: "City:a") { rows { capability { name } cells { vendor { name } role } } } }'
    graph_api(query)  # builds the index
    assert graph_api.statements(query) == head(graph_api.store)


# CSV injection (OWASP): a text cell that starts like a formula comes out prefixed with `'`. -------

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def evil(trigger: str, what: str, i: int) -> str:
    return f"{trigger}{what}{i}+cmd|' /C calc'!A0"


def hostile_registry() -> dict:
    """A city whose vendors, services, capabilities, pilots and decisions all start like formulas,
    one of each per trigger character."""
    nodes = {
        "City": [{"id": "City:c", "name": "C", "kind": "MUNICIPALITY"}],
        "Capability": [],
        "Vendor": [],
        "Service": [],
        "Pilot": [],
        "Decision": [],
    }
    rels = {t: [] for t in ("OFFERS", "HAS_CAPABILITY", "USES", "RUNS", "TRIALS", "DECIDED")}
    for i, t in enumerate(TRIGGERS):
        nodes["Capability"].append({"id": f"Capability:k{i}", "name": evil(t, "capability", i)})
        nodes["Vendor"].append({"id": f"Vendor:v{i}", "name": evil(t, "vendor", i)})
        nodes["Service"].append({"id": f"Service:s{i}", "name": evil(t, "service", i), "lifecycle": "ACTIVE"})
        dates = {"startDate": "2024-01-01", "endDate": "2024-06-30"}
        nodes["Pilot"] += [
            {"id": f"Pilot:p{i}", "title": evil(t, "pilot", i), "status": "DECIDED", **dates},
            {"id": f"Pilot:open{i}", "title": evil(t, "awaiting", i), "status": "ENDED", **dates},
        ]
        nodes["Decision"].append(
            {
                "id": f"Decision:d{i}",
                "outcome": "DEVELOP",
                "rationale": evil(t, "rationale", i),
                "lessons": [evil(t, "lesson", i)],
                "nextSteps": [evil(t, "next", i)],
                "decidedBy": evil(t, "cio", i),
                "procurementRef": evil(t, "ref", i),
                "decidedAt": "2025-03-01T00:00:00Z",
            }
        )
        rels["OFFERS"].append({"src": f"Vendor:v{i}", "dst": f"Service:s{i}"})
        rels["HAS_CAPABILITY"].append({"src": f"Service:s{i}", "dst": f"Capability:k{i}"})
        rels["USES"].append({"src": "City:c", "dst": f"Service:s{i}"})
        rels["RUNS"] += [{"src": "City:c", "dst": f"Pilot:p{i}"}, {"src": "City:c", "dst": f"Pilot:open{i}"}]
        rels["TRIALS"] += [{"src": f"Pilot:p{i}", "dst": f"Service:s{i}"}]
        rels["DECIDED"].append({"src": f"Pilot:p{i}", "dst": f"Decision:d{i}"})
    return {"format": "rolemap-bundle", "version": 1, "nodes": nodes, "relationships": rels}


def import_unchecked(store, monkeypatch) -> None:
    """Import `hostile_registry` as data stored before the text rules were: the API and the importer
    now strip and refuse leading tabs and CRs, so the rules are switched off for it."""
    import rolemap.bundle

    with monkeypatch.context() as m:
        m.setattr(rolemap.bundle, "check_text", lambda value, rule: value)
        import_bundle(store, hostile_registry())


def assert_neutralised(text: str, *kinds: str) -> None:
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    for cell in cells:
        assert not cell.startswith(TRIGGERS), repr(cell)
    for i, t in enumerate(TRIGGERS):
        for what in kinds:
            assert "'" + evil(t, what, i) in cells, (what, t)


def test_the_role_map_csv_neutralises_formulas(api, store, monkeypatch):
    import_unchecked(store, monkeypatch)
    response = api.client.get("/rolemap/City:c.csv")
    assert response.status_code == 200
    assert_neutralised(response.text, "vendor", "capability")


def test_the_decisions_csv_neutralises_formulas(api, store, monkeypatch):
    import_unchecked(store, monkeypatch)
    response = api.client.get("/decisions.csv")
    assert response.status_code == 200
    assert_neutralised(response.text, "pilot", "rationale", "lesson", "next", "cio", "ref")


def test_the_report_csv_neutralises_formulas(tmp_path, monkeypatch):
    from rolemap.graph.ladybug_store import LadybugStore

    from .conftest import REPO
    from .processes import clean_env

    db = tmp_path / "db"
    store = LadybugStore(db)
    store.apply_schema()
    try:
        import_unchecked(store, monkeypatch)
    finally:
        store.close()
    result = subprocess.run(  # bytes: text mode would turn the CRs in cells into newlines
        [
            sys.executable,
            "-m",
            "rolemap.cli",
            "report",
            "--city",
            "City:c",
            "--year",
            "2025",
            "--format",
            "csv",
        ],
        capture_output=True,
        env=clean_env({"ROLEMAP_DB": str(db)}),
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert_neutralised(result.stdout.decode(), "pilot", "awaiting", "rationale", "lesson")


def test_a_csv_cell_is_left_alone_unless_it_starts_like_a_formula():
    from rolemap.analysis.tables import safe_cell

    assert [safe_cell(v) for v in ("Chatbot", "a=b", "2025-03-01", "Pilot:x", "", 3, -3)] == [
        "Chatbot",
        "a=b",
        "2025-03-01",
        "Pilot:x",
        "",
        3,
        -3,
    ]
    assert [safe_cell(t + "x") for t in TRIGGERS] == ["'" + t + "x" for t in TRIGGERS]


@pytest.mark.parametrize(
    "city_id",
    [
        'City:"x"',
        "City:a\r\nSet-Cookie: x=1",
        "City:a;filename=evil.exe",
        "City:Øresund ümlaut",
        "City:..\\..\\etc",
        "City:" + "x" * 500,
    ],
)
def test_a_csv_file_name_keeps_only_safe_characters(api, monkeypatch, city_id):
    import re
    from urllib.parse import quote

    import rolemap.api.app

    path = f"/rolemap/{quote(city_id, safe='')}.csv"
    assert api.client.get(path).status_code == 404  # no such city, as before
    monkeypatch.setattr(rolemap.api.app, "role_map_table", lambda index, city: "capability\n")
    response = api.client.get(path)
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="rolemap-[A-Za-z0-9._-]{1,100}\.csv"', disposition), (
        disposition
    )
    assert disposition.startswith('attachment; filename="rolemap-City-')


def test_a_csv_file_name_of_a_plain_id_is_unchanged(graph_api):
    response = graph_api.client.get("/rolemap/City:a.csv")
    assert response.headers["content-disposition"] == 'attachment; filename="rolemap-City-a.csv"'
