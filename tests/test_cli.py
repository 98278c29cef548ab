"""The `rolemap` command as a user runs it: configuration errors, seed, export/import, schema, and a
real `serve` process on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rolemap.config import ConfigError, Settings

from .conftest import REPO
from .processes import Server, clean_env, free_port


def rolemap(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rolemap.cli", *args],
        capture_output=True,
        text=True,
        env=clean_env(env),
        timeout=timeout,
        cwd=REPO,
    )


def test_settings_defaults_run_with_no_setup():
    settings = Settings.from_env({})
    assert (settings.store, settings.host, settings.port) == ("ladybug", "127.0.0.1", 8000)
    assert settings.db_path == Path("data/rolemap.lbug")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"ROLEMAP_STORE": "postgres"}, "ROLEMAP_STORE='postgres' is not one of: ladybug, neo4j"),
        ({"ROLEMAP_PORT": "eighty"}, "ROLEMAP_PORT='eighty' is not a whole number"),
        ({"ROLEMAP_PORT": "70000"}, "ROLEMAP_PORT=70000 is outside 1..65535"),
        ({"ROLEMAP_STORE": "neo4j", "ROLEMAP_NEO4J_URI": "http://x"}, "must start with bolt:// or neo4j://"),
        ({"ROLEMAP_SEED_DIR": "/no/such/dir"}, "ROLEMAP_SEED_DIR='/no/such/dir' is not a directory"),
    ],
)
def test_bad_settings_are_one_clear_line(env, fragment):
    with pytest.raises(ConfigError, match="ROLEMAP_"):
        Settings.from_env(env)
    result = rolemap("seed", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_neo4j_is_one_clear_line():
    env = {"ROLEMAP_STORE": "neo4j", "ROLEMAP_NEO4J_URI": "bolt://127.0.0.1:1"}
    result = rolemap("seed", env=env)
    assert result.returncode == 2
    assert "cannot reach Neo4j at bolt://127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


def test_seed_export_import_round_trip(tmp_path):
    db, copy_db = str(tmp_path / "a.lbug"), str(tmp_path / "b.lbug")
    seeded = rolemap("seed", env={"ROLEMAP_DB": db})
    assert seeded.returncode == 0, seeded.stderr
    assert "loaded the sample role map" in seeded.stdout
    assert rolemap("export", str(tmp_path / "a.json"), env={"ROLEMAP_DB": db}).returncode == 0
    imported = rolemap("import", str(tmp_path / "a.json"), env={"ROLEMAP_DB": copy_db})
    assert imported.returncode == 0, imported.stderr
    assert rolemap("export", str(tmp_path / "b.json"), env={"ROLEMAP_DB": copy_db}).returncode == 0
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    assert rolemap("seed", env={"ROLEMAP_DB": db}).returncode == 2  # not empty
    assert rolemap("seed", "--reset", env={"ROLEMAP_DB": db}).returncode == 0


def test_import_of_a_bad_bundle_names_record_and_field(tmp_path):
    db = str(tmp_path / "a.lbug")
    bundle = {
        "format": "rolemap-bundle",
        "version": 1,
        "nodes": {"City": [{"id": "City:x", "name": "X", "kind": "MUNICIPALITY", "population": "many"}]},
        "relationships": {},
    }
    (tmp_path / "bad.json").write_text(json.dumps(bundle))
    result = rolemap("import", str(tmp_path / "bad.json"), env={"ROLEMAP_DB": db})
    assert result.returncode == 2
    assert "nodes.City[0] (City:x): field population: must be a whole number" in result.stderr
    assert rolemap("export", "-", env={"ROLEMAP_DB": db}).stdout.count('"City:x"') == 0
    (tmp_path / "broken.json").write_text("{")
    result = rolemap("import", str(tmp_path / "broken.json"), env={"ROLEMAP_DB": db})
    assert result.returncode == 2 and "is not JSON" in result.stderr


def test_schema_command_writes_what_is_checked_in(tmp_path):
    result = rolemap("schema", "--dir", str(tmp_path), "--statements", str(tmp_path / "s.json"))
    assert result.returncode == 0, result.stderr
    for name in ("rolemap.graphql", "ladybug.cypher", "neo4j.cypher"):
        assert (tmp_path / name).read_text() == (REPO / "schema" / name).read_text(), (
            f"schema/{name} is stale: run `rolemap schema`"
        )
    statements = json.loads((tmp_path / "s.json").read_text())
    assert any(s["cypher"].startswith("CREATE CONSTRAINT") for s in statements)
    assert len({s["name"] for s in statements}) == len(statements)


def test_serve_loads_the_sample_and_answers_on_loopback(tmp_path):
    db = str(tmp_path / "served.lbug")
    with Server({"ROLEMAP_DB": db}) as server:
        assert server.wait_ready() == {"status": "ok", "store": "ladybug"}
        data = server.graphql('{ city(id: "City:tampere") { name(lang: "sv") } pilots { totalCount } }')
        assert data["city"]["name"] == "Tammerfors"
        assert data["pilots"]["totalCount"] > 10
        # A second process on the same database gets a clear error naming the path.
        second = rolemap("serve", "--port", str(free_port()), env={"ROLEMAP_DB": db})
        assert second.returncode == 2
        assert db in second.stderr and "another process" in second.stderr
