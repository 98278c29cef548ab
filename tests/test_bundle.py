"""The JSON bundle and the sample role map built on it."""

from __future__ import annotations

import copy

import pytest

from rolemap.bundle import DATA_LABELS, BundleError, export_bundle, import_bundle, parse_bundle
from rolemap.graph.schema import NODES
from rolemap.seed import ILLUSTRATIVE, declared_sources, default_seed_dir, seed_bundle

from .conftest import snapshot

SEED_DIR = default_seed_dir()
DECLARED = declared_sources(SEED_DIR)
SOURCES = set(DECLARED) | {ILLUSTRATIVE}


@pytest.fixture(scope="module")
def sample() -> dict:
    return seed_bundle(default_seed_dir())


def test_export_import_export_gives_the_same_bundle(store, tmp_path, sample):
    import_bundle(store, sample)
    first = export_bundle(store)
    from rolemap.graph.ladybug_store import LadybugStore

    other = LadybugStore(tmp_path / "copy.lbug")
    other.apply_schema()
    try:
        import_bundle(other, copy.deepcopy(first))
        assert export_bundle(other) == first
    finally:
        other.close()


def test_sample_role_map_size_and_sources(sample):
    nodes, rels = parse_bundle(sample)
    assert sum(len(v) for v in nodes.values()) >= 120
    for label, records in nodes.items():
        for record in records:
            assert record.get("source") in SOURCES, f"{label} {record['id']} names no source document"
    counts = {label: len(records) for label, records in nodes.items()}
    assert all(counts[label] > 0 for label in DATA_LABELS), counts


def test_the_sample_declares_its_five_source_documents_and_cites_each():
    assert len(DECLARED) == 5
    for key, meta in DECLARED.items():
        assert all(meta[field].strip() for field in ("title", "publisher", "date", "language")), key
    cited = " ".join((SEED_DIR / "SOURCES.md").read_text(encoding="utf-8").split())
    for key, meta in DECLARED.items():
        assert f"`{key}`" in cited, f"SOURCES.md does not cite {key}"
        assert meta["title"].split(",")[0] in cited, f"SOURCES.md does not give the title of {key}"


def test_every_declared_source_is_drawn_on(sample):
    nodes, _ = parse_bundle(sample)
    used = {record["source"] for records in nodes.values() for record in records}
    assert set(DECLARED) <= used


def seed_dir_with(tmp_path, records: str):
    (tmp_path / "sources.yaml").write_text(
        '"001_known":\n  title: T\n  publisher: P\n  date: "2020"\n  language: Finnish\n', encoding="utf-8"
    )
    (tmp_path / "a.yaml").write_text(records, encoding="utf-8")
    return tmp_path


def test_the_loader_refuses_an_undeclared_source(tmp_path):
    seed = seed_dir_with(
        tmp_path,
        "source: 001_known\n"
        "themes:\n"
        "  - {id: Theme:ok, name: Cited}\n"
        "  - {id: Theme:made-up, name: Made up, source: illustrative}\n"
        "  - {id: Theme:bad, name: Bad, source: 002_unknown}\n"
        "uses:\n"
        "  - {city: City:x, service: Service:y, source: 003_unknown}\n",
    )
    with pytest.raises(BundleError) as caught:
        seed_bundle(seed)
    assert caught.value.problems == [
        "a.yaml: themes[2] (Theme:bad): field source: '002_unknown' is not declared in sources.yaml"
        " (nor 'illustrative')",
        "a.yaml: uses[0] (City:x -> Service:y): field source: '003_unknown' is not declared in"
        " sources.yaml (nor 'illustrative')",
    ]
    (seed / "a.yaml").write_text("source: 009_nope\nthemes:\n  - {id: Theme:t, name: T}\n", encoding="utf-8")
    with pytest.raises(BundleError, match=r"a.yaml: themes\[0\] \(Theme:t\): field source: '009_nope'"):
        seed_bundle(seed)
    (seed / "a.yaml").write_text("themes:\n  - {id: Theme:t, name: T}\n", encoding="utf-8")
    with pytest.raises(BundleError, match=r"a.yaml: themes\[0\] \(Theme:t\): field source: is required"):
        seed_bundle(seed)
    (seed / "a.yaml").write_text("source: 001_known\nthemes:\n  - {id: Theme:t, name: T}\n", encoding="utf-8")
    assert seed_bundle(seed)["nodes"]["Theme"][0]["source"] == "001_known"


def test_sample_mirrors_the_grand_paris_outcomes(sample):
    nodes, rels = parse_bundle(sample)
    decisions = {d["id"]: d for d in nodes["Decision"]}
    superseded = {row["dst"] for row in rels[("SUPERSEDES", "Decision", "Decision")]}
    by_pilot = {}
    for row in rels[("DECIDED", "Pilot", "Decision")]:
        if row["dst"] not in superseded:
            by_pilot[row["src"]] = decisions[row["dst"]]["outcome"]
    services = ["gp-digital-user-relations", "gp-digital-training-programme"]
    assert [by_pilot[f"Pilot:{p}"] for p in services] == ["DEVELOP", "DEVELOP"]
    on_hold = ["gp-citizen-participation-platform", "gp-knowledge-sharing-platform"]
    assert [by_pilot[f"Pilot:{p}"] for p in on_hold] == ["LEARNED", "LEARNED"]
    assert by_pilot["Pilot:gp-mutual-knowledge-base"] == "DROP"


def current_outcomes(nodes, rels) -> dict[str, str]:
    """Each decided pilot's current outcome."""
    decisions = {d["id"]: d for d in nodes["Decision"]}
    superseded = {row["dst"] for row in rels[("SUPERSEDES", "Decision", "Decision")]}
    return {
        row["src"]: decisions[row["dst"]]["outcome"]
        for row in rels[("DECIDED", "Pilot", "Decision")]
        if row["dst"] not in superseded
    }


def in_use(rels) -> dict[str, set[str]]:
    """Service -> the cities that use or operate it (both read as "in use" by the role map)."""
    found: dict[str, set[str]] = {}
    for rel in ("USES", "OPERATES"):
        for row in rels.get((rel, "City", "Service"), []):
            found.setdefault(row["dst"], set()).add(row["src"])
    return found


def test_no_city_uses_a_grand_paris_service_on_hold_or_abandoned(sample):
    nodes, rels = parse_bundle(sample)
    outcomes = current_outcomes(nodes, rels)
    trialled = rels[("TRIALS", "Pilot", "Service")]
    stopped = [
        "gp-citizen-participation-platform",
        "gp-knowledge-sharing-platform",
        "gp-mutual-knowledge-base",
    ]
    assert [outcomes[f"Pilot:{p}"] for p in stopped] == ["LEARNED", "LEARNED", "DROP"]
    services = {row["dst"] for row in trialled if row["src"] in {f"Pilot:{p}" for p in stopped}}
    assert len(services) == 3
    used = in_use(rels)
    assert {s: used[s] for s in services if s in used} == {}


def test_a_service_tried_and_not_developed_is_not_in_use(sample):
    """A service whose pilots are all decided, none of them DEVELOP (learned, on hold, dropped), is
    neither used nor operated by any city."""
    nodes, rels = parse_bundle(sample)
    outcomes = current_outcomes(nodes, rels)
    pilots_of: dict[str, set[str]] = {}
    for row in rels[("TRIALS", "Pilot", "Service")]:
        pilots_of.setdefault(row["dst"], set()).add(row["src"])
    not_developed = {
        service
        for service, pilots in pilots_of.items()
        if all(p in outcomes for p in pilots) and "DEVELOP" not in {outcomes[p] for p in pilots}
    }
    assert len(not_developed) >= 5  # on hold and dropped in Grand Paris, learned and dropped in Tampere
    used = in_use(rels)
    assert {s: used[s] for s in sorted(not_developed) if s in used} == {}


def test_no_pilot_budget_is_a_programme_total(sample):
    nodes, _ = parse_bundle(sample)
    budgets = {p["id"]: p.get("budgetEur") for p in nodes["Pilot"]}
    for pilot in ("gp-digital-explorers", "gp-digital-builders"):  # 1.9 M€ for 59 projects; a 1 M€ fund
        assert budgets[f"Pilot:{pilot}"] is None
    cited = [p for p in nodes["Pilot"] if p.get("budgetEur") is not None and p["source"] != ILLUSTRATIVE]
    assert cited == [], "no source document gives a pilot's budget"


def test_sample_has_services_with_the_same_capabilities_in_one_region(sample):
    nodes, rels = parse_bundle(sample)
    caps: dict[str, frozenset] = {}
    for row in rels[("HAS_CAPABILITY", "Service", "Capability")]:
        caps[row["src"]] = caps.get(row["src"], frozenset()) | {row["dst"]}
    sets = list(caps.values())
    assert any(sets.count(s) >= 3 for s in sets), "no capability set shared by three services"


def test_loading_the_sample_into_a_store(store, sample):
    counts = import_bundle(store, sample)
    assert sum(counts[label] for label in NODES) >= 120
    with pytest.raises(BundleError, match="not empty"):
        import_bundle(store, sample)
    again = import_bundle(store, sample, replace=True)
    assert again == counts


def bad(bundle: dict, path: str, value) -> dict:
    out = copy.deepcopy(bundle)
    *parents, last = path.split("/")
    target = out
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("nodes/Pilot/0/budgetEur", -1, "field budgetEur: must not be negative"),
        ("nodes/Pilot/0/endDate", "2001-01-01", "field endDate: is before startDate"),
        ("nodes/City/0/kind", "VILLAGE", "field kind: 'VILLAGE' is not one of"),
        ("nodes/Vendor/0/website", 12, "field website: must be text"),
        ("nodes/Need/0/color", "red", "field color: unknown field"),
        ("nodes/Decision/0/lessons", [], "field lessons: is required"),
        ("nodes/Pilot/0/startDate", "yesterday", "field startDate: 'yesterday' is not a date"),
        ("relationships/RUNS/0/src", "City:atlantis", "field src: no node 'City:atlantis'"),
        ("nodes/Theme/0/id", "City:theme", "field id: must be a string 'Theme:<slug>'"),
    ],
)
def test_a_bad_bundle_names_record_and_field_and_writes_nothing(store, sample, path, value, message):
    broken = bad(sample, path, value)
    label_or_type = path.split("/")[1]
    before = snapshot(store)
    with pytest.raises(BundleError) as caught:
        import_bundle(store, broken)
    text = str(caught.value)
    assert message in text
    assert f".{label_or_type}[" in text  # names the record
    assert snapshot(store) == before


def test_a_misspelt_seed_list_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("source: illustrative\nvendor:\n  - id: Vendor:x\n    name: X\n")
    with pytest.raises(BundleError, match="a.yaml: unknown lists vendor"):
        seed_bundle(tmp_path)


# The importer applies the API's rules (rolemap.domain.rules) to every record. -------------------


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("nodes/City/0/name", "x" * 201, "field name: must be at most 200 characters"),
        ("nodes/City/0/name", "   ", "field name: must not be empty"),
        ("nodes/City/0/code", "", "field code: must not be empty"),
        ("nodes/City/0/description", "x" * 10_001, "field description: must be at most 10000 characters"),
        (
            "nodes/City/0/description_fi",
            "x" * 10_001,
            "field description_fi: must be at most 10000 characters",
        ),
        ("nodes/Goal/0/name_fi", "x" * 201, "field name_fi: must be at most 200 characters"),
        ("nodes/City/0/name", "Oulu\x00", "field name: must not contain a control character (U+0000)"),
        (
            "nodes/City/0/name_fi",
            "Oulu\nkaupunki",
            "field name_fi: must not contain a control character (U+000A)",
        ),
        ("nodes/Vendor/0/name", "Tab\tbed", "field name: must not contain a control character (U+0009)"),
        (
            "nodes/City/0/description",
            "a\x1bb",
            "field description: must not contain a control character (U+001B)",
        ),
        (
            "nodes/Decision/0/rationale",
            "a\x85b",
            "field rationale: must not contain a control character (U+0085)",
        ),
        (
            "nodes/Decision/0/lessons",
            ["ok", "a\rb"],
            "field lessons: must not contain a control character (U+000D)",
        ),
        ("nodes/City/0/name", "a\ud800", "field name: must not contain a lone surrogate (U+D800)"),
        (
            "nodes/Vendor/0/website",
            "javascript:alert(1)",
            "field website: must be an http(s) URL with a host",
        ),
        ("nodes/Vendor/0/website", "http://[::1", "field website: must be an http(s) URL with a host"),
        ("nodes/Vendor/0/country", "FIN", "field country: must be at most 2 characters"),
        ("nodes/City/0/population", -1, "field population: must not be negative"),
        ("nodes/City/0/population", 2**63, "field population: is too large a number"),
        ("nodes/Goal/0/targetYear", 1800, "field targetYear: must be between 1900 and 2200"),
        ("nodes/Pilot/0/budgetEur", float("nan"), "field budgetEur: must be a finite number"),
        ("nodes/Pilot/0/budgetEur", 10**400, "field budgetEur: is too large a number"),
        ("nodes/Pilot/0/startDate", 20010101, "field startDate: 20010101 is not a date"),
        (
            "nodes/Pilot/0/successCriteria",
            "not json",
            "field successCriteria: must be a JSON list of records",
        ),
        (
            "nodes/Pilot/0/successCriteria",
            '[{"name": ""}]',
            "field successCriteria: must be a JSON list of records: [0].name",
        ),
        (
            "nodes/Pilot/0/successCriteria",
            '[{"name": "a"}, {"name": "a"}]',
            "field successCriteria: must be a JSON list of records: the list: each success criterion needs its own name",
        ),
        (
            "nodes/Decision/0/results",
            '[{"name": "a"}]',
            "field results: must be a JSON list of records: [0].met",
        ),
        ("nodes/Theme/0/id", "Theme:Elderly Care", "field id: must be a string 'Theme:<slug>'"),
        ("nodes/Theme/0/id", "Theme:-x", "field id: must be a string 'Theme:<slug>'"),
        ("nodes/Theme/0/id", "Theme:" + "a" * 81, "field id: must be a string 'Theme:<slug>'"),
        ("nodes/Theme/0/id", 7, "field id: must be a string 'Theme:<slug>'"),
        (
            "relationships/STANCE/0/rationale",
            "x\x00",
            "field rationale: must not contain a control character",
        ),
        ("relationships/USES/0/since", {"y": 2020}, "field since: {'y': 2020} is not a date"),
        ("relationships/RUNS/0/src", ["City:oulu"], "field src: no node ['City:oulu'] in the bundle"),
    ],
)
def test_the_importer_applies_the_api_rules(sample, path, value, message):
    with pytest.raises(BundleError) as caught:
        parse_bundle(bad(sample, path, value))
    assert message in str(caught.value)
    assert f".{path.split('/')[1]}[" in str(caught.value)  # names the record


def test_multi_line_texts_keep_newlines_and_tabs_and_texts_are_stripped(sample):
    text = "First line\n\tindented second line"
    bundle = bad(bad(sample, "nodes/City/0/description", text), "nodes/City/0/name", "  Oulu  ")
    nodes, _ = parse_bundle(bundle)
    assert (nodes["City"][0]["description"], nodes["City"][0]["name"]) == (text, "Oulu")


def test_success_criteria_are_written_as_the_api_writes_them(sample):
    bundle = bad(sample, "nodes/Pilot/0/successCriteria", '[{"name": "Use", "target": 70}]')
    nodes, _ = parse_bundle(bundle)
    assert nodes["Pilot"][0]["successCriteria"] == '[{"name": "Use", "target": 70.0, "unit": null}]'


def test_ids_the_api_makes_are_valid_bundle_ids():
    from rolemap.domain.rules import check_id
    from rolemap.graph.access import new_id

    for name in ("Oulu", "Äänekosken kaupunki – digituki", "x" * 300, "!!!", "", "Chatbot 2.0 (pilot)"):
        for label in NODES:
            assert check_id(new_id(label, name), label)


def test_the_importer_and_the_api_check_the_same_json_lists():
    from rolemap import bundle
    from rolemap.domain import inputs

    assert set(bundle.JSON_LISTS) == set(inputs.JSON_LISTS)


FUZZ_VALUES = [
    None, 0, -1, 1.5, 10**30, float("inf"), float("nan"), True, "", " ", "x" * 20_000, "a\x00b", "\ud800",
    "a\r\nb", {}, {"a": [1]}, [], [1], ["a", None], [{}], "2024-01-01", "0001-01-01T00:00:00+05:00",
    "City:a", "[]", '[{"name": 1}]', "http://[::1",
]  # fmt: skip


def test_every_malformed_value_anywhere_is_a_bundle_error():
    """Each value above in every field of the first record of each list, in place of that record and of
    each list, and at the top level, of a small registry: `parse_bundle` raises `BundleError` with short problem lines, or accepts it."""
    from .test_analysis import registry

    base = registry()
    base["nodes"]["City"][0].update(population=3, website="https://x.fi", code="X", country="FI", name_fi="X")
    base["nodes"]["Pilot"][0].update(startDate="2024-01-01", budgetEur=3.0, successCriteria='[{"name": "a"}]')
    base["nodes"]["Goal"] = [{"id": "Goal:g", "name": "G", "targetYear": 2030}]
    base["relationships"]["STANCE"] = [
        {
            "src": "City:a",
            "dst": "Capability:chat",
            "ring": "TRIAL",
            "since": "2024-01-01T00:00:00Z",
            "rationale": "r",
        }
    ]
    parse_bundle(copy.deepcopy(base))
    paths = ["format", "version", "nodes", "relationships", "extra"]
    for section in ("nodes", "relationships"):
        for key, rows in base[section].items():
            paths += [f"{section}/{key}", f"{section}/{key}/0"]  # the first record of each stands for all
            paths += [f"{section}/{key}/0/{field}" for field in rows[0]]
    for path in paths:
        for value in FUZZ_VALUES:
            try:
                parse_bundle(bad(base, path, value))
            except BundleError as exc:
                assert all(len(line) <= 400 for line in str(exc).splitlines()), (path, value)
