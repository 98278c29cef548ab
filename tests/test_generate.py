"""The synthetic registry: reproducible, of the declared size, valid, skewed like real data, and
loadable through the same import path as any bundle (also from the command line)."""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
from collections import Counter, defaultdict

import pytest

from rolemap.bundle import export_bundle, import_bundle, parse_bundle
from rolemap.generate import BASE, SCALES, bundle_counts, generate_bundle
from rolemap.graph.schema import NODES, RELS

from .conftest import REPO
from .test_cli import rolemap


@pytest.fixture(scope="module")
def small() -> dict:
    return generate_bundle("S", 3)


def _digest(bundle: dict) -> str:
    return hashlib.sha256(json.dumps(bundle, sort_keys=True).encode()).hexdigest()


def _by_src(rows: list[dict]) -> dict[str, list[str]]:
    out = defaultdict(list)
    for row in rows:
        out[row["src"]].append(row["dst"])
    return out


def test_same_seed_same_bundle_different_seed_different(small):
    assert generate_bundle("S", 3) == small
    assert _digest(generate_bundle("S", 4)) != _digest(small)


def test_same_bundle_in_another_process_with_another_hash_seed(small):
    """No wall clock, no global random, no set-order dependence."""
    code = (
        "import hashlib, json; from rolemap.generate import generate_bundle; "
        "print(hashlib.sha256(json.dumps(generate_bundle('S', 3), sort_keys=True).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == _digest(small)


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="scale must be one of S, M, L"):
        generate_bundle("XL", 1)


def test_sizes_match_the_declared_scale(small):
    scale, nodes = SCALES["S"], small["nodes"]
    kinds = Counter(city["kind"] for city in nodes["City"])
    assert kinds == {"MUNICIPALITY": scale.cities, "REGION": scale.regions, "NETWORK": 1}
    assert len(nodes["Vendor"]) == scale.vendors
    assert len(nodes["Service"]) == scale.services
    assert len(nodes["Need"]) == scale.needs
    assert len(nodes["Pilot"]) == scale.pilots
    assert len(nodes["Capability"]) == scale.capabilities
    assert len(nodes["Theme"]) == 12
    assert scale.cities <= len(nodes["Goal"]) <= 2 * scale.cities + scale.regions


def test_the_bundle_is_valid_and_every_record_is_marked_generated(small):
    parse_bundle(small)  # raises BundleError naming each problem
    assert set(small["nodes"]) == set(NODES) and set(small["relationships"]) == set(RELS)
    for label, records in small["nodes"].items():
        for rec in records:
            assert rec["source"] == "generated"
            assert rec["id"].startswith(f"{label}:g-")
            assert rec["createdAt"] <= rec["updatedAt"] <= BASE.isoformat() + "Z"


def test_capability_use_is_skewed(small):
    used = Counter(row["dst"] for row in small["relationships"]["HAS_CAPABILITY"])
    counts = [used.get(cap["id"], 0) for cap in small["nodes"]["Capability"]]
    assert max(counts) >= 20 * statistics.median(counts)
    sizes = Counter(len(caps) for caps in _by_src(small["relationships"]["HAS_CAPABILITY"]).values())
    assert set(sizes) == {1, 2, 3, 4, 5}


def test_a_few_big_vendors_and_many_small_ones(small):
    offers = Counter(row["src"] for row in small["relationships"]["OFFERS"])
    counts = sorted(offers.values(), reverse=True)
    assert len(counts) == SCALES["S"].vendors  # every vendor offers something
    assert counts[0] >= 100 and statistics.median(counts) <= 10


def test_services_have_one_owner_and_cities_use_100_to_200(small):
    rels, scale = small["relationships"], SCALES["S"]
    owners = Counter(row["dst"] for row in rels["OFFERS"] + rels["OPERATES"])
    assert set(owners.values()) == {1} and len(owners) == scale.services
    assert len(rels["OPERATES"]) == pytest.approx(0.2 * scale.services, rel=0.01)
    operated = Counter(row["src"] for row in rels["OPERATES"])
    for city, services in _by_src(rels["USES"]).items():
        assert 100 <= len(services) <= max(200, operated[city])
    municipalities = [c["id"] for c in small["nodes"]["City"] if c["kind"] == "MUNICIPALITY"]
    regions = {c["id"] for c in small["nodes"]["City"] if c["kind"] == "REGION"}
    part_of = _by_src(rels["PART_OF"])
    for city in municipalities:
        assert len([p for p in part_of[city] if p in regions]) == 1


def test_pilots_follow_the_lifecycle_and_trial_their_needs_services(small):
    nodes, rels = small["nodes"], small["relationships"]
    city_of_need = {row["dst"]: row["src"] for row in rels["HAS_NEED"]}
    city_of_pilot = {row["dst"]: row["src"] for row in rels["RUNS"]}
    vendor_of = {row["dst"]: row["src"] for row in rels["OFFERS"]}
    decisions = {d["id"]: d for d in nodes["Decision"]}
    decided, trials, partners = _by_src(rels["DECIDED"]), _by_src(rels["TRIALS"]), _by_src(rels["PARTNER"])
    for pilot_id, needs in _by_src(rels["FOR_NEED"]).items():
        assert 1 <= len(needs) <= 2 and {city_of_need[n] for n in needs} == {city_of_pilot[pilot_id]}
    for pilot in nodes["Pilot"]:
        pid, status = pilot["id"], pilot["status"]
        assert 1 <= len(trials[pid]) <= 3
        assert sorted(partners[pid]) == sorted({vendor_of[s] for s in trials[pid] if s in vendor_of})
        assert (status == "DECIDED") == bool(decided[pid])
        if "startDate" in pilot and "endDate" in pilot:
            assert pilot["startDate"] <= pilot["endDate"]
        assert pilot.get("budgetEur", 0) >= 0
        if status in ("RUNNING", "ENDED", "DECIDED"):
            assert pilot["startedAt"] <= pilot.get("endedAt", pilot["startedAt"])
        if status in ("ENDED", "DECIDED"):
            assert all(decisions[d]["decidedAt"] > pilot["endedAt"] for d in decided[pid])
        if status == "CANCELLED":
            assert pilot["cancelledAt"] and pilot["cancelReason"]
    statuses = Counter(p["status"] for p in nodes["Pilot"])
    assert statuses["DECIDED"] > 0.6 * len(nodes["Pilot"]) and all(statuses[s] for s in statuses)


def test_decisions_have_reasons_and_supersede_earlier_ones_of_the_same_pilot(small):
    nodes, rels = small["nodes"], small["relationships"]
    pilot_of = {row["dst"]: row["src"] for row in rels["DECIDED"]}
    decisions = {d["id"]: d for d in nodes["Decision"]}
    for d in decisions.values():
        assert len(d["rationale"]) >= 20 and 1 <= len(d["lessons"]) <= 3
        if d["outcome"] == "DEVELOP":
            assert d["nextSteps"]
    assert rels["SUPERSEDES"]
    for row in rels["SUPERSEDES"]:
        assert pilot_of[row["src"]] == pilot_of[row["dst"]]
        assert decisions[row["src"]]["decidedAt"] > decisions[row["dst"]]["decidedAt"]
    outcomes = Counter(d["outcome"] for d in decisions.values())
    assert outcomes["DEVELOP"] > outcomes["DROP"] > 0 and outcomes["LEARNED"] > 0


def test_imported_into_the_store_it_exports_the_same_registry(store, small):
    counts = import_bundle(store, small)
    nodes, rels = bundle_counts(small)
    assert sum(counts[label] for label in NODES) == nodes
    assert sum(counts[rel] for rel in RELS) == rels
    for label, records in small["nodes"].items():
        assert counts[label] == len(records)
    exported = export_bundle(store)
    assert exported["nodes"] == small["nodes"]
    for rel, rows in small["relationships"].items():
        key = lambda row: json.dumps(row, sort_keys=True)  # noqa: E731
        assert sorted(exported["relationships"][rel], key=key) == sorted(rows, key=key), rel


def test_cli_generates_into_an_empty_store_and_refuses_a_full_one(tmp_path):
    env = {"ROLEMAP_DB": str(tmp_path / "gen.lbug")}
    result = rolemap("generate", "--scale", "S", "--seed", "3", env=env)
    assert result.returncode == 0, result.stderr
    nodes, rels = bundle_counts(generate_bundle("S", 3))
    assert f"generating S (seed 3)… {nodes:,} nodes, {rels:,} relationships in" in result.stderr
    assert f"writing: Service {SCALES['S'].services:,}/{SCALES['S'].services:,}" in result.stderr
    assert f"generated {nodes} nodes, {rels} relationships (scale S, seed 3) in" in result.stdout
    refused = rolemap("generate", "--scale", "S", "--seed", "3", env=env)
    assert refused.returncode == 2
    assert "the store is not empty" in refused.stderr and "Traceback" not in refused.stderr
