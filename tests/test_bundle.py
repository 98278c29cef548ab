"""The JSON bundle and the sample role map built on it."""

from __future__ import annotations

import copy

import pytest

from rolemap.bundle import BundleError, export_bundle, import_bundle, parse_bundle
from rolemap.graph.schema import NODES
from rolemap.seed import default_seed_dir, seed_bundle

from .conftest import REPO, snapshot

SOURCES = {p.stem for p in (REPO.parent / "shared" / "seeds").glob("*.txt")} | {"illustrative"}


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
    assert all(counts[label] > 0 for label in NODES), counts


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
