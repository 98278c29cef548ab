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
        assert server.wait_ready() == {"status": "ok", "store": "ladybug", "analyses": "ready"}
        data = server.graphql('{ city(id: "City:tampere") { name(lang: "sv") } pilots { totalCount } }')
        assert data["city"]["name"] == "Tammerfors"
        assert data["pilots"]["totalCount"] > 10
        # A second process on the same database gets a clear error naming the path.
        second = rolemap("serve", "--port", str(free_port()), env={"ROLEMAP_DB": db})
        assert second.returncode == 2
        assert db in second.stderr and "another process" in second.stderr


def test_the_access_log_can_be_left_out(tmp_path):
    """A line per request by default (uvicorn's access log); none with ROLEMAP_ACCESS_LOG=false."""
    lines = {}
    for given in ("", "false"):
        env = {"ROLEMAP_DB": str(tmp_path / f"served{given}.lbug"), "ROLEMAP_ACCESS_LOG": given}
        with Server(env) as server:
            server.wait_ready()
            server.graphql("{ __typename }")
            output = server.output()
        lines[given] = [line for line in output.splitlines() if "uvicorn.access" in line]
    assert any("POST /graphql" in line for line in lines[""]), lines
    assert lines["false"] == []


# `rolemap import` on malformed input: exit status 2, one clear message, never a traceback. --------

DIRECTORY, MISSING = object(), object()


def bundle_with(path: str = "", value=None, **top) -> str:
    """A small valid bundle (a city, a pilot, a capability) with `value` set at `path` (a/b/0/c)."""
    bundle = {
        "format": "rolemap-bundle",
        "version": 1,
        "nodes": {
            "City": [{"id": "City:x", "name": "X", "kind": "MUNICIPALITY"}],
            "Pilot": [{"id": "Pilot:p", "title": "P", "status": "PROPOSED"}],
            "Capability": [{"id": "Capability:k", "name": "K"}],
        },
        "relationships": {"RUNS": [{"src": "City:x", "dst": "Pilot:p"}]},
        **top,
    }
    if path:
        *parents, last = path.split("/")
        target = bundle
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return json.dumps(bundle)


def nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


MALFORMED = [
    # The file itself
    ("an empty file", b"", "is not JSON"),
    ("invalid UTF-8", b'\xff\xfe{"format": "rolemap-bundle"}', "cannot read"),
    ("a directory", DIRECTORY, "cannot read"),
    ("no such file", MISSING, "cannot read"),
    ("truncated JSON", '{"format": "rolemap-bundle", "nodes": {', "is not JSON"),
    ("JSON nested 100,000 deep", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("a number of 5,000 digits", '{"format": ' + "1" * 5000 + "}", "is not JSON that rolemap can read"),
    # The top level
    ("a list", "[]", "not a rolemap bundle"),
    ("null", "null", "not a rolemap bundle"),
    ("a string", '"rolemap-bundle"', "not a rolemap bundle"),
    ("version as text", bundle_with(version="1"), "bundle version '1' is not 1"),
    (
        "nodes as a list",
        bundle_with(nodes=[]),
        "nodes: must be an object mapping each label to a list, not a list",
    ),
    ("nodes as a string", bundle_with(nodes="City"), "nodes: must be an object"),
    ("relationships as a number", bundle_with(relationships=5), "relationships: must be an object"),
    (
        "a label's records as a string",
        bundle_with("nodes/City", "City:x"),
        "nodes.City: must be a list, not text",
    ),
    (
        "a type's rows as an object",
        bundle_with("relationships/RUNS", {}),
        "relationships.RUNS: must be a list",
    ),
    # Records
    (
        "a record as a string",
        bundle_with("nodes/City/0", "City:x"),
        "nodes.City[0]: must be an object, not text",
    ),
    ("a record as null", bundle_with("nodes/City/0", None), "nodes.City[0]: must be an object, not null"),
    (
        "id as a number",
        bundle_with("nodes/City/0/id", 5),
        "nodes.City[0] (5): field id: must be a string 'City:<slug>'",
    ),
    ("id as null", bundle_with("nodes/City/0/id", None), "nodes.City[0] (None): field id: must be a string"),
    (
        "id with capitals and a space",
        bundle_with("nodes/City/0/id", "City:Big Town"),
        "(City:Big Town): field id:",
    ),
    (
        "id of 1,000 characters",
        bundle_with("nodes/City/0/id", "City:" + "a" * 1000),
        "nodes.City[0] ('City:aaaa",
    ),
    (
        "id with a newline",
        bundle_with("nodes/City/0/id", "City:a\nb"),
        "nodes.City[0] ('City:a\\nb'): field id:",
    ),
    (
        "name as an object",
        bundle_with("nodes/City/0/name", {"fi": "X"}),
        "(City:x): field name: must be text, not an object",
    ),
    (
        "name nested 500 deep",
        bundle_with("nodes/City/0/name", nested(500)),
        "(City:x): field name: must be text, not a list",
    ),
    (
        "a name of a million characters",
        bundle_with("nodes/City/0/name", "x" * 1_000_000),
        "field name: must be at most 200 characters",
    ),
    (
        "a NUL byte in a name",
        bundle_with("nodes/City/0/name", "X\u0000"),
        "field name: must not contain a control character (U+0000)",
    ),
    (
        "a lone surrogate",
        bundle_with("nodes/City/0/name", "X\ud800"),
        "field name: must not contain a lone surrogate (U+D800)",
    ),
    (
        "a CR in a description",
        bundle_with("nodes/City/0/description", "a\rb"),
        "field description: must not contain a control character (U+000D)",
    ),
    (
        "a population beyond 64 bits",
        bundle_with("nodes/City/0/population", 10**30),
        "field population: is too large a number",
    ),
    (
        "a negative population",
        bundle_with("nodes/City/0/population", -1),
        "field population: must not be negative",
    ),
    (
        "an infinite budget",
        bundle_with("nodes/Pilot/0/budgetEur", float("inf")),
        "(Pilot:p): field budgetEur: must be a finite number",
    ),
    (
        "a date as an object",
        bundle_with("nodes/Pilot/0/startDate", {"year": 2024}),
        "field startDate: {'year': 2024} is not a date",
    ),
    (
        "a date as a number",
        bundle_with("nodes/Pilot/0/startDate", 20240101),
        "field startDate: 20240101 is not a date",
    ),
    (
        "a timestamp as a list",
        bundle_with("nodes/Pilot/0/startedAt", [2024]),
        "field startedAt: [2024] is not an ISO 8601 timestamp",
    ),
    (
        "a timestamp before year 1 in UTC",
        bundle_with("nodes/Pilot/0/startedAt", "0001-01-01T00:00:00+05:00"),
        "field startedAt:",
    ),
    (
        "success criteria that are not JSON",
        bundle_with("nodes/Pilot/0/successCriteria", "[{"),
        "field successCriteria: must be a JSON list",
    ),
    (
        "a website that is not http",
        bundle_with("nodes/City/0/website", "javascript:alert(1)"),
        "field website: must be an http(s) URL",
    ),
    (
        "an unknown field with a newline",
        bundle_with("nodes/City/0/na\nme", 1),
        "field 'na\\nme': unknown field",
    ),
    # Relationships
    (
        "a relationship as a number",
        bundle_with("relationships/RUNS/0", 5),
        "relationships.RUNS[0]: must be an object, not a number",
    ),
    (
        "src as a list",
        bundle_with("relationships/RUNS/0/src", ["City:x"]),
        "field src: no node ['City:x'] in the bundle",
    ),
    ("dst as null", bundle_with("relationships/RUNS/0/dst", None), "field dst: no node None in the bundle"),
    (
        "a stance's since as an object",
        bundle_with(
            "relationships/STANCE",
            [{"src": "City:x", "dst": "Capability:k", "ring": "TRIAL", "since": {"a": 1}}],
        ),
        "relationships.STANCE[0] (City:x -> Capability:k): field since:",
    ),
]


def test_malformed_bundles_are_one_clear_message_never_a_traceback(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    def attempt(i: int, content) -> subprocess.CompletedProcess:
        path = tmp_path / f"bundle{i}.json"
        if content is DIRECTORY:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not MISSING:
            path.write_text(content, encoding="utf-8")
        return rolemap("import", str(path), env={"ROLEMAP_DB": str(tmp_path / f"db{i}")})

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(attempt, range(len(MALFORMED)), [c for _, c, _ in MALFORMED]))
    for (case, _, fragment), result in zip(MALFORMED, results, strict=True):
        assert result.returncode == 2, (case, result.returncode, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, (case, result.stderr[-2000:])
        assert result.stderr.startswith("rolemap: "), (case, result.stderr[:500])
        assert fragment in result.stderr, (case, result.stderr[:500])
        # The problem itself first (a record left out may also leave a relationship without its end).
        lines = result.stderr.splitlines()
        assert fragment in "\n".join(lines[:2]), (case, result.stderr[:1000])
        assert len(lines) <= 3 and all(len(line) <= 400 for line in lines), (case, result.stderr[:1000])


def test_the_fuzzed_base_bundle_itself_imports(tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(bundle_with())
    result = rolemap("import", str(path), env={"ROLEMAP_DB": str(tmp_path / "db")})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("seed_file", "fragment"),
    [
        (b"cities: [\n", "a.yaml: not valid YAML (line 2, column 1)"),
        (b"\xff\xfe", "a.yaml: not UTF-8 text"),
        (b"5\n", "a.yaml: must be a mapping of lists"),
        (b"- a\n- b\n", "a.yaml: must be a mapping of lists"),
        (b"cities: 5\n", "a.yaml: cities: must be a list"),
        (b"cities: [5]\n", "a.yaml: cities[0]: must be a mapping of fields"),
        (b"uses: [5]\n", "a.yaml: uses[0]: must be a mapping of fields"),
        (
            b'source: illustrative\ncities:\n  - {id: City:x, name: "a\\0b", kind: REGION}\n',
            "field name: must not contain",
        ),
        (b"source: illustrative\ncities:\n  - {id: City:X, name: X, kind: REGION}\n", "(City:X): field id:"),
    ],
)
def test_a_bad_seed_file_is_one_clear_message(tmp_path, seed_file, fragment):
    (tmp_path / "seed").mkdir()
    (tmp_path / "seed" / "a.yaml").write_bytes(seed_file)
    env = {"ROLEMAP_DB": str(tmp_path / "db"), "ROLEMAP_SEED_DIR": str(tmp_path / "seed")}
    result = rolemap("seed", env=env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and fragment in result.stderr, result.stderr[-2000:]
